package io.strata.tiering.segment;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The spans the {@link SequentialSegmentReader}s of one replay (one per partition) keep in flight
 * together, so that the GETs a finished reader no longer needs go to the others: each reader
 * keeps its own depth, and the depth of readers that have finished is lent, a span at a time, to
 * those still reading (up to twice their own). Without it, the partitions that finish last read on
 * alone at their own depth while the bucket has room for more: in a replay of 300 MB on 6
 * partitions here, the first partition finished 30–110 ms before the last, of 0.33–0.36 s. The
 * spans in flight never exceed the readers' depths together. Thread-safe.
 */
public final class ReadAheadPool {
    /** Spans of finished readers' depth not lent out. */
    private final AtomicInteger free = new AtomicInteger();
    /** Readers counted in the pool from the start, not joined yet: the first to join take their places. */
    private final AtomicInteger unclaimed;

    /** {@code readers}: how many read at once (each keeping its own depth). */
    public ReadAheadPool(int readers) {
        this.unclaimed = new AtomicInteger(readers);
    }

    /**
     * A reader starts with {@code depth} spans of its own: one of the readers counted from the
     * start, or one that takes the place of a finished one (its depth no longer lent).
     */
    void join(int depth) {
        if (unclaimed.getAndUpdate(u -> u > 0 ? u - 1 : u) <= 0) {
            free.addAndGet(-depth);
        }
    }

    /** A span beyond a reader's own depth, while a finished reader's is not in use. */
    boolean tryLend() {
        while (true) {
            int f = free.get();
            if (f <= 0) {
                return false;
            }
            if (free.compareAndSet(f, f - 1)) {
                return true;
            }
        }
    }

    /** Spans back: lent spans that arrived (or were abandoned), or a finished reader's own depth. */
    void giveBack(int spans) {
        free.addAndGet(spans);
    }

    /** Spans of depth free to lend now. */
    public int free() {
        return free.get();
    }
}
