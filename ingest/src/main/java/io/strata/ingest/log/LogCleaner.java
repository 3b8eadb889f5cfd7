package io.strata.ingest.log;

import io.strata.records.CompactionMap;

import io.strata.ingest.log.fs.LogFile;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kafka's log cleaner for one partition with {@code cleanup.policy=compact}: keeps the latest
 * record of each key. A pass maps every key of the dirty part of the log (the sealed segments
 * after the last pass, below the high watermark and older than {@code min.compaction.lag.ms}) to
 * its newest offset, then rewrites each cleanable segment without the records a newer one of
 * the same key replaces. Offsets never change and are never reused: a consumer sees gaps.
 *
 * <p>Rewriting is kafka-clients' own {@link MemoryRecords#filterTo}: batches keep their base
 * offset, producer and leader epoch; an emptied batch goes unless it is its producer's newest,
 * which keeps the producer's sequence state; a tombstone (a null value) that is the newest of
 * its key is kept, stamped with a delete horizon of now + {@code delete.retention.ms}, and goes
 * at the first pass after it (KIP-534). A segment is rewritten to {@code <base>.log.cleaned},
 * made durable, and swapped in under the log's lock ({@link PartitionLog#replaceSegment}); a
 * crash mid-swap is finished at the next open.
 *
 * <p>A pass is due when the dirty share of the cleanable bytes reaches
 * {@code min.cleanable.dirty.ratio}, or when a dirty segment is older than
 * {@code max.compaction.lag.ms}.
 *
 * <p>Transactions: only segments below the last stable offset are cleaned; records of aborted
 * transactions are neither mapped (they never replace a key's committed value) nor kept; markers
 * are kept, so every offset stays decided.
 */
public final class LogCleaner {
    private static final int CHUNK_BYTES = 1 << 20;
    /** Bytes the key map may take (Kafka's log.cleaner.dedupe.buffer.size); a pass maps fewer segments beyond it. */
    static final long MAX_MAP_BYTES = 64L << 20;

    private LogCleaner() {
    }

    /** What one pass did. */
    public record Result(int segmentsRewritten, long bytesBefore, long bytesAfter, long recordsRemoved, long cleanedTo) {
    }

    /** Runs a pass when one is due; empty when not. */
    public static Optional<Result> cleanIfDue(PartitionLog log, long nowMs) {
        LogConfig.Compaction c = log.config().compaction();
        if (!c.compact()) {
            return Optional.empty();
        }
        List<LogSegment> cleanable = cleanable(log, nowMs, c);
        long firstDirty = Math.max(log.firstDirtyOffset(), log.logStartOffset());
        long cleanBytes = 0;
        long dirtyBytes = 0;
        long oldestDirty = Long.MAX_VALUE;
        for (LogSegment s : cleanable) {
            if (s.nextOffset() <= firstDirty) {
                cleanBytes += s.size();
            } else {
                dirtyBytes += s.size();
                oldestDirty = Math.min(oldestDirty, s.maxTimestamp());
            }
        }
        if (dirtyBytes == 0) {
            return Optional.empty();
        }
        double ratio = (double) dirtyBytes / (cleanBytes + dirtyBytes);
        boolean overdue = oldestDirty != Long.MAX_VALUE && oldestDirty >= 0 && nowMs - oldestDirty > c.maxCompactionLagMs();
        if (ratio < c.minCleanableDirtyRatio() && !overdue) {
            return Optional.empty();
        }
        return Optional.of(clean(log, nowMs, cleanable, firstDirty, c));
    }

    /** Sealed segments below the last stable offset whose newest record is older than min.compaction.lag.ms. */
    private static List<LogSegment> cleanable(PartitionLog log, long nowMs, LogConfig.Compaction c) {
        List<LogSegment> out = new ArrayList<>();
        for (LogSegment s : log.sealedBelowStableOffset()) {
            if (c.minCompactionLagMs() > 0 && s.maxTimestamp() >= 0 && nowMs - s.maxTimestamp() < c.minCompactionLagMs()) {
                break;
            }
            out.add(s);
        }
        return out;
    }

    private static Result clean(PartitionLog log, long nowMs, List<LogSegment> cleanable, long firstDirty, LogConfig.Compaction c) {
        CompactionMap map = new CompactionMap(cleanable.isEmpty() ? List.of()
                : log.abortedTransactions(cleanable.get(0).baseOffset(), cleanable.get(cleanable.size() - 1).nextOffset()));
        long mappedTo = firstDirty;
        for (LogSegment s : cleanable) {
            s.forEachBatch(h -> map.noteProducer(h.producerId(), h.lastOffset()));
            if (s.nextOffset() <= firstDirty) {
                continue;
            }
            if (map.bytes() > MAX_MAP_BYTES) {
                break;
            }
            forEachBatch(s, map::map);
            mappedTo = s.nextOffset();
        }
        long to = mappedTo;
        MemoryRecords.RecordFilter filter = map.filter(nowMs, c.deleteRetentionMs());
        int rewritten = 0;
        long before = 0;
        long after = 0;
        long removed = 0;
        for (LogSegment s : cleanable) {
            if (s.baseOffset() >= to) {
                break;
            }
            Rewrite w = rewrite(log, s, filter);
            if (w == null) {
                continue;
            }
            if (log.replaceSegment(s, w.file())) {
                rewritten++;
                before += s.size();
                after += w.bytes();
                removed += w.recordsRemoved();
            }
        }
        log.setFirstDirtyOffset(to);
        return new Result(rewritten, before, after, removed, to);
    }

    private record Rewrite(Path file, long bytes, long recordsRemoved) {
    }

    /** The segment filtered into {@code <base>.log.cleaned}, made durable; null when nothing in it changes. */
    private static Rewrite rewrite(PartitionLog log, LogSegment s, MemoryRecords.RecordFilter filter) {
        Path file = log.dir().resolve(LogSegment.fileName(s.baseOffset(), PartitionLog.CLEANED_SUFFIX));
        boolean changed = false;
        long written = 0;
        long removed = 0;
        try {
            log.fileSystem().deleteIfExists(file);
            LogFile out = log.fileSystem().create(file);
            try {
                long[] at = {0, 0}; // bytes written, records removed
                boolean[] differs = {false};
                forEachChunk(s, chunk -> {
                    CompactionMap.Filtered r = CompactionMap.apply(chunk, filter);
                    ByteBuffer kept = r.batches();
                    differs[0] |= !kept.equals(chunk);
                    at[1] += r.recordsRemoved();
                    out.writeFully(kept.duplicate(), at[0]);
                    at[0] += kept.remaining();
                });
                changed = differs[0];
                written = at[0];
                removed = at[1];
                out.force();
            } finally {
                out.close();
            }
            if (!changed) {
                log.fileSystem().deleteIfExists(file);
                return null;
            }
            return new Rewrite(file, written, removed);
        } catch (IOException e) {
            throw new LogIOException("cannot write cleaned segment " + file, e);
        }
    }

    private interface ChunkHandler {
        void accept(ByteBuffer wholeBatches) throws IOException;
    }

    /** The segment's batches, a chunk of whole batches (about {@value #CHUNK_BYTES} bytes) at a time. */
    private static void forEachChunk(LogSegment s, ChunkHandler onChunk) throws IOException {
        long offset = s.baseOffset();
        while (offset < s.nextOffset()) {
            ByteBuffer chunk = s.read(offset, CHUNK_BYTES, s.nextOffset());
            if (!chunk.hasRemaining()) {
                break;
            }
            for (RecordBatch b : MemoryRecords.readableRecords(chunk.duplicate()).batches()) {
                offset = b.lastOffset() + 1;
            }
            onChunk.accept(chunk);
        }
    }

    /**
     * Maps the keys of the log's local segments below its last stable offset into {@code map}
     * (the compaction of tiered segments needs the newest local value of every key too).
     */
    public static void mapLocal(PartitionLog log, CompactionMap map) {
        for (LogSegment s : log.sealedBelowStableOffset()) {
            forEachBatch(s, map::map);
        }
    }

    /** Every batch of {@code s}, read a chunk at a time. */
    private static void forEachBatch(LogSegment s, java.util.function.Consumer<RecordBatch> onBatch) {
        try {
            forEachChunk(s, chunk -> MemoryRecords.readableRecords(chunk).batches().forEach(onBatch));
        } catch (IOException e) {
            throw new LogIOException("cannot read segment " + s.baseOffset(), e); // not thrown: reading batches does no I/O of its own
        }
    }
}
