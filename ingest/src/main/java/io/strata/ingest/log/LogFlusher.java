package io.strata.ingest.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's flush.ms: a log holding records not yet on disk is fsynced once it has not been for
 * its flush.ms. An acks=all produce is fsynced before it is answered whatever this says; what
 * the flusher bounds is the rest, acks=0 and acks=1 records and followers' copies, which would
 * otherwise reach the disk only when the kernel writes them back (about 30 s here) or the
 * {@code log-roller} thread fsyncs their rolled segment. That also keeps a roll's fsync to what
 * flush.ms lets pile up rather than up to a whole segment, which would hold up every other
 * partition's roll queued behind it. The fsyncs
 * go through {@link GroupCommit}: one already running for a log covers the flusher's need, and
 * produces waiting meanwhile share the flusher's.
 *
 * <p>The flusher keeps at most half of GroupCommit's threads busy, since those are also what
 * acks=all produces wait for, and each of its fsyncs may carry a second of a partition's records.
 * A look takes the due logs longest unsynced first, and as each of its fsyncs returns the next due
 * log starts: however many partitions there are, the disk, not the look's interval, sets the pace.
 */
public final class LogFlusher {
    private static final Logger log = LoggerFactory.getLogger(LogFlusher.class);

    private final GroupCommit commit;
    private final int maxInFlight;
    /** Due logs of the last look not started yet, longest unsynced first (guarded by this). */
    private final Deque<PartitionLog> pending = new ArrayDeque<>();
    private int inFlight;

    public LogFlusher(GroupCommit commit) {
        this.commit = commit;
        this.maxInFlight = Math.max(1, commit.fsyncThreads() / 2);
    }

    int maxInFlight() {
        return maxInFlight;
    }

    /** Looks for the logs of {@code logs} due an fsync by their flush.ms and starts fsyncs of them; returns how many it started. */
    public synchronized int flushDue(Collection<PartitionLog> logs) {
        long now = System.nanoTime();
        pending.clear();
        logs.stream().filter(pl -> due(pl, now)).sorted(Comparator.comparingLong(PartitionLog::lastFlushNanos)).forEach(pending::add);
        return startPending();
    }

    private static boolean due(PartitionLog pl, long now) {
        return !pl.isOffline() && pl.flushedOffset() < pl.logEndOffset()
                && now - pl.lastFlushNanos() >= TimeUnit.MILLISECONDS.toNanos(pl.config().flush().ms());
    }

    private synchronized int startPending() {
        int started = 0;
        while (inFlight < maxInFlight && !pending.isEmpty()) {
            PartitionLog pl = pending.poll();
            long end = pl.logEndOffset();
            if (pl.isOffline() || pl.flushedOffset() >= end) {
                continue;
            }
            // Counted even when already done: a fast fsync can finish before this line, and its completion below (run at
            // once then) gives the slot back.
            CompletableFuture<Void> durable = commit.awaitDurable(pl, end - 1);
            inFlight++;
            started++;
            durable.whenComplete((v, t) -> {
                if (t != null) {
                    // A failed fsync (GroupCommit logged it, and the log is offline) or a truncation meanwhile (a follower's):
                    // what is still unsynced is due again at a later look.
                    log.debug("flush of {} failed: {}", pl.name(), t.getMessage());
                }
                synchronized (this) {
                    inFlight--;
                }
                startPending();
            });
        }
        return started;
    }
}
