package io.strata.tiering.segment;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The spans the {@link SequentialSegmentReader}s of one replay (one per partition) keep in flight
 * together, so that the GETs a finished reader no longer needs go to the others: each reader
 * keeps its own depth, and a finished reader's depth goes to the next reader still to start or,
 * when none is left to start, is lent a span at a time to those still reading (up to twice their
 * own). Without it, the partitions that finish last read on alone at their own depth while the
 * bucket has room for more: in a replay of 300 MB on 6 partitions here, the first partition
 * finished 30–110 ms before the last, of 0.33–0.36 s. A lent span is given back once its bytes
 * are in hand (or its GET has ended, for one abandoned), so the spans downloading never exceed the
 * readers' depths together. Thread-safe.
 */
public final class ReadAheadPool {
    /** Spans of finished readers' depth not lent out. */
    private final AtomicInteger free = new AtomicInteger();
    /** Readers still to start once one of those reading finishes: a finished reader's depth is kept for them. */
    private final AtomicInteger toStart;

    /**
     * @param atOnce the readers that read at once (the replay's parallelism, or fewer)
     * @param readers all the readers the replay will open, one after another as earlier ones finish
     */
    public ReadAheadPool(int atOnce, int readers) {
        this.toStart = new AtomicInteger(Math.max(0, readers - atOnce));
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

    /** A lent span back: its bytes are in hand, or its GET ended unused. */
    void returnLent() {
        free.incrementAndGet();
    }

    /** A reader is done: its depth goes to the next reader still to start, or to those still reading. */
    void finished(int depth) {
        if (toStart.getAndUpdate(w -> w > 0 ? w - 1 : w) <= 0) {
            free.addAndGet(depth);
        }
    }

    /** Spans of depth free to lend now. */
    public int free() {
        return free.get();
    }
}
