package io.strata.records;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The forward scans both tiers make over a segment's batches, whatever holds the bytes (a local
 * segment file, a segment object's cached chunks): each reads headers or runs of whole batches
 * through a small function of its tier, which reports its own I/O errors (unchecked, as each
 * tier names them).
 */
public final class BatchScan {
    private BatchScan() {
    }

    /** The header of the batch at a byte position (positions below the data's end only). */
    @FunctionalInterface
    public interface HeaderAt {
        BatchHeader at(long position);
    }

    /** Whole batches from the one holding an offset, as many as the tier reads at once; empty when there are none. */
    @FunctionalInterface
    public interface BatchesFrom {
        ByteBuffer read(long offset);
    }

    /**
     * The position of the batch holding {@code offset}, walking headers from {@code from} (an
     * index floor) up to {@code end}; -1 when no batch there holds it.
     */
    public static long positionOf(HeaderAt headers, long from, long end, long offset) {
        long pos = from;
        while (pos + BatchHeader.SIZE <= end) {
            BatchHeader h = headers.at(pos);
            if (h.lastOffset() >= offset) {
                return pos;
            }
            pos += h.totalSize();
        }
        return -1;
    }

    /**
     * The first record with a timestamp at or after {@code timestamp}, reading forward from
     * {@code fromOffset} (where {@link BatchIndex#scanStartForTimestamp} says to start) and
     * stopping before {@code endOffset}; control batches are passed over, as ListOffsets does.
     */
    public static Optional<Batches.TimestampMatch> firstAtOrAfter(BatchesFrom batches, long fromOffset, long endOffset, long timestamp) {
        long offset = fromOffset;
        while (offset < endOffset) {
            ByteBuffer run = batches.read(offset);
            if (!run.hasRemaining()) {
                return Optional.empty();
            }
            Step step = step(run, timestamp);
            if (step.match().isPresent()) {
                return step.match();
            }
            offset = step.nextOffset();
        }
        return Optional.empty();
    }

    /** What one run of whole batches says of a timestamp search: the match, or the offset to read on from. */
    public record Step(Optional<Batches.TimestampMatch> match, long nextOffset) {
    }

    /**
     * One step of {@link #firstAtOrAfter} over a run of whole batches (at least one), for a tier
     * that reads the next run asynchronously and so cannot hand over a blocking {@link BatchesFrom}.
     */
    public static Step step(ByteBuffer run, long timestamp) {
        long next = -1;
        for (Batches.Batch b : Batches.of(run)) {
            if (b.maxTimestamp() >= timestamp && !b.isControl()) {
                Optional<Batches.TimestampMatch> m = Batches.firstAtOrAfter(b.bytes().duplicate(), timestamp);
                if (m.isPresent()) {
                    return new Step(m, b.lastOffset() + 1);
                }
            }
            next = b.lastOffset() + 1;
        }
        return new Step(Optional.empty(), next);
    }
}
