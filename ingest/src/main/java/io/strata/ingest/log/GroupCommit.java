package io.strata.ingest.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Group commit: a produce that must be durable before it is acknowledged waits here. Each log
 * has its own chain of fsyncs on the {@code log-fsync} threads, one at a time: a waiter that
 * arrives while its log is being synced waits for that log's next fsync, which starts as soon as
 * the current one returns and covers every waiter that came meanwhile. Logs do not wait for each
 * other: a round that synced every waiting log together and began the next round only after its
 * slowest fsync made each partition's acknowledgements wait for the slowest disk write of all of
 * them. The fsyncs of different logs overlap, so the device and the file system's journal take
 * them together. Each log's waiters complete, in the order they arrived, as soon as the fsync
 * that covers them returns.
 */
public final class GroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    /** fsyncs in flight at once: enough to overlap several logs' I/O; they wait on the device, not the CPU. */
    static final int FSYNC_THREADS = 8;

    private record Waiter(long offset, CompletableFuture<Void> done) {
    }

    /** A log with an fsync running or about to: the waiters its next fsync will answer. Guarded by {@code chains}. */
    private static final class Chain {
        final List<Waiter> next = new ArrayList<>();
    }

    /** Logs whose chain is running; a log's entry goes when its chain finds no more waiters. */
    private final Map<PartitionLog, Chain> chains = new HashMap<>();
    private final ExecutorService fsyncs;
    private final int fsyncThreads;
    private final LongAdder fsyncCount = new LongAdder();
    private final LongAdder fsyncBytes = new LongAdder();
    private final LongAdder fsyncNanos = new LongAdder();

    public GroupCommit() {
        // -Dstrata.log.fsync.threads: for comparing with and without overlap (1 = one fsync after another).
        this(Integer.getInteger("strata.log.fsync.threads", FSYNC_THREADS));
    }

    GroupCommit(int fsyncThreads) {
        this.fsyncThreads = fsyncThreads;
        fsyncs = Executors.newFixedThreadPool(fsyncThreads, io.strata.ingest.util.NamedThreads.daemon("log-fsync", true));
    }

    /** Completes once {@code log} is durable up to and including {@code lastOffset}. */
    public CompletableFuture<Void> awaitDurable(PartitionLog partitionLog, long lastOffset) {
        if (partitionLog.flushedOffset() > lastOffset) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        boolean start;
        synchronized (chains) {
            Chain c = chains.get(partitionLog);
            start = c == null;
            if (start) {
                c = new Chain();
                chains.put(partitionLog, c);
            }
            c.next.add(new Waiter(lastOffset, f));
        }
        if (start) {
            submit(partitionLog);
        }
        return f;
    }

    /** Runs {@code pl}'s next fsync on an fsync thread (behind other logs' already queued: no log starves the rest). */
    private void submit(PartitionLog pl) {
        try {
            fsyncs.execute(() -> next(pl));
        } catch (RuntimeException | Error e) {
            // Closing (or no thread could be made): the chain's waiters fail, and the log's entry goes, rather than leave
            // an entry no task will ever answer, which every later waiter of the log would join.
            List<Waiter> dropped;
            synchronized (chains) {
                Chain c = chains.remove(pl);
                dropped = c == null ? List.of() : c.next;
            }
            dropped.forEach(w -> w.done.completeExceptionally(e));
        }
    }

    /** One fsync of {@code pl} for the waiters so far; then the next, if more came meanwhile. */
    private void next(PartitionLog pl) {
        List<Waiter> waiters;
        synchronized (chains) {
            Chain c = chains.get(pl);
            waiters = new ArrayList<>(c.next);
            c.next.clear();
        }
        try {
            commit(pl, waiters);
        } catch (RuntimeException | Error e) {
            log.error("group commit of {} failed", pl.name(), e);
        }
        boolean more;
        synchronized (chains) {
            Chain c = chains.get(pl);
            more = !c.next.isEmpty();
            if (!more) {
                chains.remove(pl);
            }
        }
        if (more) {
            submit(pl);
        }
    }

    /** fsyncs {@code pl} if any waiter still needs it, then completes its waiters in arrival order. */
    private void commit(PartitionLog pl, List<Waiter> waiters) {
        Throwable failure = null;
        long needed = waiters.stream().mapToLong(Waiter::offset).max().orElse(-1);
        if (pl.flushedOffset() <= needed) {
            long[] since = {System.nanoTime()};
            boolean wasOnline = !pl.isOffline();
            try {
                // A flush may run several fsyncs (rolled segments first): each is timed from the end of the one before.
                pl.flush(bytes -> {
                    long now = System.nanoTime();
                    recordFsync(bytes, now - since[0]);
                    since[0] = now;
                });
            } catch (RuntimeException | Error e) {
                // Every waiter is answered, whatever went wrong: none may wait forever. A log already offline (deleted, or
                // after a disk error that was logged then) is no news.
                if (wasOnline) {
                    log.error("fsync of {} failed", pl.name(), e);
                } else {
                    log.debug("fsync of {} refused: {}", pl.name(), e.getMessage());
                }
                failure = e;
            }
        }
        for (Waiter w : waiters) {
            if (failure != null) {
                w.done.completeExceptionally(failure);
            } else if (pl.flushedOffset() <= w.offset) {
                // Only a truncation (this replica diverged from its leader) leaves a waiter uncovered: its record is gone or
                // was replaced, and what replaced it was not in this fsync.
                w.done.completeExceptionally(new org.apache.kafka.common.errors.NotLeaderOrFollowerException(pl.name()
                        + " was truncated (it follows another leader now) while offset " + w.offset + " was being fsynced"));
            } else {
                w.done.complete(null);
            }
        }
    }

    /**
     * fsyncs run so far (for acknowledgements and the log flusher). With {@link #fsyncBytes()} it tells how much each
     * one covers: an fsync costs the kernel about the same whatever it carries, so many small ones
     * cost more CPU per byte than a few large ones.
     */
    public long fsyncs() {
        return fsyncCount.sum();
    }

    /** Counts an fsync run outside group commit (a segment roll's, on the roll executor). */
    public void recordFsync(long bytes, long nanos) {
        fsyncCount.increment();
        fsyncBytes.add(bytes);
        fsyncNanos.add(nanos);
    }

    /** Bytes those fsyncs made durable. */
    public long fsyncBytes() {
        return fsyncBytes.sum();
    }

    /** How many fsyncs may run at once. */
    public int fsyncThreads() {
        return fsyncThreads;
    }

    /** Time spent in those fsyncs, in seconds (overlapping fsyncs of different logs each counted). */
    public double fsyncSeconds() {
        return fsyncNanos.sum() / 1e9;
    }

    @Override
    public void close() {
        // Queued fsyncs run; what arrives after this fails at once (submit).
        fsyncs.shutdown();
        try {
            fsyncs.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
