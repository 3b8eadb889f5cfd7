package io.strata.ingest.log;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The segments of one log that a roll sealed and whose roll has yet to finish, oldest first: a
 * roll only seals the active segment and opens the next, on the request thread and under the
 * log's lock, and the sealed segment's fsync (with the directory's, for the next segment's
 * entry) and the producer snapshot at its end follow on the roll executor, as Kafka schedules a
 * rolled segment's flush. Until its snapshot is written, recovery checks such a segment like the
 * active one; tiering and the cleaner take no segment from the oldest of them on.
 *
 * <p>Threading: the methods that change the queue run under the owning log's lock; {@link
 * #firstBase} is read without it. A roll's snapshot is written, and rolls are retired, under a
 * lock of their own, so that a truncation's removal of the snapshots past its cut never races a
 * snapshot of the history it cut.
 */
final class PendingRolls {
    /** One sealed segment whose roll is still to finish. */
    static final class Roll {
        final LogSegment segment;
        final long end;
        final byte[] producerState;
        /** The segment and the directory are durable (guarded by this). */
        private boolean settled;
        /** Its snapshot must not be written: a truncation cut below its end, or the log closed (set under the snapshot lock). */
        private volatile boolean retired;
        /** Its roll ran to the end (under the log's lock); it leaves the queue once every roll before it has too. */
        private boolean finished;

        Roll(LogSegment segment, long end, byte[] producerState) {
            this.segment = segment;
            this.end = end;
            this.producerState = producerState;
        }

        boolean retired() {
            return retired;
        }

        /**
         * Runs {@code fsyncs} (the segment's and the directory's) unless an earlier call did, and
         * returns the bytes it reports, or -1 when it had already run. Callers racing here wait
         * for the one that runs it, so none is told the segment is durable before it is.
         */
        synchronized long settle(LongSupplier fsyncs) {
            if (settled) {
                return -1;
            }
            long bytes = fsyncs.getAsLong();
            settled = true;
            return bytes;
        }
    }

    private final ArrayDeque<Roll> rolls = new ArrayDeque<>();
    private final ProducerSnapshots snapshots;
    private final Object snapshotLock = new Object();
    /** The base of the oldest roll's segment (Long.MAX_VALUE: none), for the readers that take no lock. */
    private volatile long firstBase = Long.MAX_VALUE;

    PendingRolls(ProducerSnapshots snapshots) {
        this.snapshots = snapshots;
    }

    /** Queues a roll. Under the log's lock, before the next segment is visible: whoever sees that one sees this still to sync. */
    Roll add(LogSegment sealed, long end, byte[] producerState) {
        Roll r = new Roll(sealed, end, producerState);
        rolls.addLast(r);
        changed();
        return r;
    }

    /** The base of the oldest segment whose roll has not finished, or Long.MAX_VALUE. Lock-free. */
    long firstBase() {
        return firstBase;
    }

    /** Every roll still to finish, oldest first. Under the log's lock. */
    List<Roll> all() {
        return new ArrayList<>(rolls);
    }

    /** The rolls up to and including {@code r}, oldest first; empty when {@code r} is no longer queued. Under the log's lock. */
    List<Roll> upTo(Roll r) {
        List<Roll> out = new ArrayList<>();
        if (!rolls.contains(r)) {
            return out;
        }
        for (Roll p : rolls) {
            out.add(p);
            if (p == r) {
                break;
            }
        }
        return out;
    }

    /** Writes {@code r}'s producer snapshot, unless it was retired meanwhile. */
    void writeSnapshot(Roll r) {
        synchronized (snapshotLock) {
            if (!r.retired) {
                snapshots.write(r.end, r.producerState);
            }
        }
    }

    /**
     * Marks {@code r}'s roll finished and takes every finished roll at the head of the queue off
     * it, telling {@code durableTo} each one's end when {@code publish} (no error since): rolls
     * of one log may finish out of order on a pool, and the durable offset passes a roll's end
     * only once every roll before it has finished too. A roll that ended in an error leaves the
     * queue at once. Under the log's lock.
     */
    void finished(Roll r, boolean publish, LongConsumer durableTo) {
        r.finished = true;
        while (!rolls.isEmpty() && rolls.peekFirst().finished) {
            Roll done = rolls.pollFirst();
            if (!done.retired && publish) {
                durableTo.accept(done.end);
            }
        }
        if (!publish) {
            rolls.remove(r);
        }
        changed();
    }

    /** Drops the rolls whose snapshot would describe records past {@code offset} (a truncation's cut; -1: all). Under the log's lock. */
    void retirePast(long offset) {
        synchronized (snapshotLock) {
            for (Roll r : rolls) {
                if (r.end > offset) {
                    r.retired = true;
                }
            }
        }
        rolls.removeIf(r -> r.retired);
        changed();
    }

    /**
     * Writes every queued roll's snapshot here and retires the rolls, so none writes it again:
     * the log is closing, its segments just fsynced, and the snapshots spare the next open a
     * replay and travel with the segments to object storage. Under the log's lock; the caller
     * then drops them ({@link #retirePast}).
     */
    void writeAllSnapshots() {
        synchronized (snapshotLock) {
            for (Roll r : rolls) {
                snapshots.write(r.end, r.producerState);
                r.retired = true;
            }
        }
    }

    private void changed() {
        firstBase = rolls.isEmpty() ? Long.MAX_VALUE : rolls.peekFirst().segment.baseOffset();
    }
}
