package io.strata.ingest.log;

import java.util.ArrayList;
import java.util.List;

/**
 * Which leader epoch wrote which offsets: (epoch, first offset) pairs, both strictly increasing,
 * as Kafka's {@code LeaderEpochFileCache}. It answers OffsetForLeaderEpoch — "where does epoch E
 * end in this log?" — which is how a follower finds the point where its log and a new leader's
 * part ways (KIP-101, KIP-279).
 *
 * <p>Kept in memory only: every batch carries the epoch that wrote it ({@code
 * partitionLeaderEpoch}) and opening a log reads every batch header anyway, so the cache is rebuilt
 * from the log itself and can never disagree with it after a crash or power cut. Epochs of
 * history that lives only in object storage are not known; truncation never reaches that far
 * back (it stops at the high watermark, and only committed segments are tiered).
 *
 * <p>Thread-safe.
 */
public final class LeaderEpochCache {
    /** Kafka's "no such epoch" (UNDEFINED_EPOCH) and "no such offset" (UNDEFINED_EPOCH_OFFSET). */
    public static final int UNDEFINED_EPOCH = -1;
    public static final long UNDEFINED_OFFSET = -1;

    public record Entry(int epoch, long startOffset) {
    }

    /** The answer to "where does epoch E end": the largest epoch ≤ E held here, and its end offset. */
    public record EpochEnd(int epoch, long endOffset) {
        static final EpochEnd UNDEFINED = new EpochEnd(UNDEFINED_EPOCH, UNDEFINED_OFFSET);
    }

    private final List<Entry> entries = new ArrayList<>();

    /**
     * Records that {@code epoch} writes from {@code startOffset} on. Older or equal epochs are
     * ignored (a batch of the current epoch, or a stale one a follower already holds); entries
     * starting at or after {@code startOffset} are replaced (they were truncated away).
     */
    public synchronized void assign(int epoch, long startOffset) {
        if (epoch < 0) {
            return;
        }
        Entry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
        if (last != null && epoch <= last.epoch()) {
            return;
        }
        entries.removeIf(e -> e.startOffset() >= startOffset);
        entries.add(new Entry(epoch, startOffset));
    }

    /** The newest epoch, or {@link #UNDEFINED_EPOCH}. */
    public synchronized int latestEpoch() {
        return entries.isEmpty() ? UNDEFINED_EPOCH : entries.get(entries.size() - 1).epoch();
    }

    /**
     * Kafka's {@code endOffsetFor}: for the newest epoch, the log end; for an older one, the start
     * of the next epoch held, reported under the largest epoch ≤ {@code requested} (or under
     * {@code requested} itself when it is older than every epoch here); undefined when
     * {@code requested} is newer than every epoch here or nothing is known.
     */
    public synchronized EpochEnd endOffsetFor(int requested, long logEndOffset) {
        if (requested < 0 || entries.isEmpty()) {
            return EpochEnd.UNDEFINED;
        }
        Entry last = entries.get(entries.size() - 1);
        if (requested == last.epoch()) {
            return new EpochEnd(requested, logEndOffset);
        }
        Entry floor = null;
        Entry higher = null;
        for (Entry e : entries) {
            if (e.epoch() <= requested) {
                floor = e;
            } else {
                higher = e;
                break;
            }
        }
        if (higher == null) {
            return EpochEnd.UNDEFINED;
        }
        return new EpochEnd(floor == null ? requested : floor.epoch(), higher.startOffset());
    }

    /** Forgets epochs starting at or after {@code endOffset} (the log was cut there). */
    public synchronized void truncateFromEnd(long endOffset) {
        entries.removeIf(e -> e.startOffset() >= endOffset);
    }

    /** Forgets what lies before {@code startOffset}, keeping the epoch that covers it. */
    public synchronized void truncateFromStart(long startOffset) {
        Entry covering = null;
        while (!entries.isEmpty() && entries.get(0).startOffset() <= startOffset) {
            covering = entries.remove(0);
        }
        if (covering != null) {
            entries.add(0, new Entry(covering.epoch(), startOffset));
        }
    }

    public synchronized void clear() {
        entries.clear();
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }
}
