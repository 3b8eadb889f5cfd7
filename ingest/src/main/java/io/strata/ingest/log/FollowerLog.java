package io.strata.ingest.log;

import java.nio.ByteBuffer;

/**
 * A partition's log as the replica fetcher of a follower sees it (Kafka's follower side of
 * {@code UnifiedLog}): where it stands, where each leader epoch ends in it, and the three changes
 * a follower makes to its history: append its leader's batches, truncate a divergent tail, or
 * start again at the leader's log start. Each of those names the leader epoch its fetch was
 * answered in and is refused with a {@link StaleEpochException}, leaving the log untouched, when
 * this replica no longer follows in that epoch: an answer from a leader it has stopped following
 * must not land. The high watermark and log start it takes from the leader only move forward.
 *
 * <p>Threading: every method may be called from any thread; changes serialise on the log's lock.
 */
public interface FollowerLog {
    String name();

    long logStartOffset();

    /** The first offset held on local disk (above the log start when older records are only in object storage). */
    long localStartOffset();

    long logEndOffset();

    long highWatermark();

    /** The newest epoch that wrote to (or leads) this log, or -1. */
    int latestEpoch();

    /** Where {@code epoch} ends in this log (what OffsetForLeaderEpoch answers). */
    LeaderEpochCache.EpochEnd endOffsetForEpoch(int epoch);

    /** Appends batches as the leader assigned them (offsets, epochs and producer state kept); returns the new log end. */
    long appendAsFollower(ByteBuffer records, long nowMs, int expectedEpoch);

    /** Cuts the log to end at {@code offset} (rounded down to a batch boundary), where it agrees with the leader. */
    void truncateTo(long offset, int expectedEpoch);

    /** Empties the log and continues it at {@code offset}: the leader deleted everything this replica lacks. */
    void truncateFullyAndStartAt(long offset, long nowMs, int expectedEpoch);

    /** Moves the high watermark forward to what the leader reported (never back, never past the log end). */
    void updateHighWatermark(long offset);

    /** Moves the log start offset forward to the leader's; local segments below it go. */
    void advanceLogStart(long offset);
}
