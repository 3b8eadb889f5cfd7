package io.strata.tiering.service;

import io.strata.records.AbortedTxn;
import io.strata.records.CompactionMap;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * What tiering needs of one partition's local log: its sealed segments to upload, the offset
 * below which object storage holds them, the bounds it must respect (high watermark, last stable
 * offset, log start), the leader epoch that every manifest commit is checked against, and the
 * local copies it may drop once tiered. Implemented by the broker's partition log; every method
 * may be called from tiering's threads while the log serves requests.
 */
public interface TieredLog {
    TierPolicy tierPolicy();

    /** The log's directory, where tiering stages the objects it builds. */
    Path dir();

    int leaderEpoch();

    long logStartOffset();

    /** The first offset still on local disk. */
    long localStartOffset();

    long highWatermark();

    long lastStableOffset();

    /** Closed local segments, oldest first. */
    List<SealedSegment> sealedSegments();

    /** Rolls the active segment when it has been idle past {@code segment.ms}, so a quiet partition's tail is tiered too; true when it rolled. */
    boolean rollIfIdle(long nowMs);

    /** The producer-state snapshot taken at {@code offset} (it may not exist). */
    Path snapshotFile(long offset);

    /** Offsets below {@code nextOffset} are in object storage. */
    void markTiered(long nextOffset);

    long tieredOffset();

    long untieredBytes();

    int untieredSegments();

    /** Drops local segments that are tiered and past local retention; how many went. */
    int deleteTieredLocalSegments(long nowMs);

    /** Retention removed history below {@code offset} from object storage. */
    void advanceLogStart(long offset);

    /** Aborted transactions overlapping {@code [from, upTo)}. */
    List<AbortedTxn> abortedTransactions(long from, long upTo);

    /** Maps the keys of the local sealed segments below the last stable offset, for a compaction of the tiered ones. */
    void mapLocalKeys(CompactionMap map);

    /** Whole local batches from the one holding {@code offset}, up to {@code maxBytes}. */
    ByteBuffer localBatches(long offset, int maxBytes);
}
