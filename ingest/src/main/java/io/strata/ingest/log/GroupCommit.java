package io.strata.ingest.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Group commit: a produce that must be durable before it is acknowledged waits here. One thread
 * drains every waiting request and fsyncs each log they name once; the fsyncs of different logs
 * run at the same time on {@code log-fsync} threads, so the device and the file system's journal
 * take them together and a round costs about one fsync however many partitions it covers. Each
 * log's waiters complete, in the order they arrived, as soon as that log's fsync returns.
 */
public final class GroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    /** fsyncs in flight at once: enough to overlap a round's I/O; they wait on the device, not the CPU. */
    static final int FSYNC_THREADS = 8;

    private record Waiter(PartitionLog log, long offset, CompletableFuture<Void> done) {
    }

    private final LinkedBlockingQueue<Waiter> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final ExecutorService fsyncs;
    private volatile boolean running = true;

    public GroupCommit() {
        // -Dstrata.log.fsync.threads: for comparing rounds with and without overlap (1 = one fsync after another).
        this(Integer.getInteger("strata.log.fsync.threads", FSYNC_THREADS));
    }

    GroupCommit(int fsyncThreads) {
        fsyncs = Executors.newFixedThreadPool(fsyncThreads, io.strata.ingest.util.NamedThreads.daemon("log-fsync", true));
        thread = new Thread(this::loop, "log-group-commit");
        thread.setDaemon(true);
        thread.start();
    }

    /** Completes once {@code log} is durable up to and including {@code lastOffset}. */
    public CompletableFuture<Void> awaitDurable(PartitionLog partitionLog, long lastOffset) {
        if (partitionLog.flushedOffset() > lastOffset) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        queue.add(new Waiter(partitionLog, lastOffset, f));
        return f;
    }

    private void loop() {
        List<Waiter> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Waiter first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch);
                Map<PartitionLog, List<Waiter>> byLog = new LinkedHashMap<>();
                for (Waiter w : batch) {
                    byLog.computeIfAbsent(w.log, k -> new ArrayList<>()).add(w);
                }
                batch.clear();
                if (byLog.size() == 1) {
                    Map.Entry<PartitionLog, List<Waiter>> only = byLog.entrySet().iterator().next();
                    commit(only.getKey(), only.getValue());
                    continue;
                }
                List<Future<?>> round = new ArrayList<>(byLog.size());
                try {
                    byLog.forEach((pl, waiters) -> round.add(fsyncs.submit(() -> commit(pl, waiters))));
                } catch (RuntimeException e) {
                    // Closing: the logs not handed to an fsync thread fail rather than wait forever.
                    byLog.values().forEach(ws -> ws.forEach(w -> w.done.completeExceptionally(e)));
                }
                // The next round starts when this one is done, so one log is never fsynced twice at once.
                for (Future<?> f : round) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        log.error("group commit task failed", e.getCause());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** fsyncs {@code pl} if any waiter still needs it, then completes its waiters in arrival order. */
    private static void commit(PartitionLog pl, List<Waiter> waiters) {
        Throwable failure = null;
        long needed = waiters.stream().mapToLong(Waiter::offset).max().orElse(-1);
        if (pl.flushedOffset() <= needed) {
            try {
                pl.flush();
            } catch (RuntimeException | Error e) {
                // Every waiter is answered, whatever went wrong: none may wait forever.
                log.error("fsync of {} failed", pl.name(), e);
                failure = e;
            }
        }
        for (Waiter w : waiters) {
            if (failure != null) {
                w.done.completeExceptionally(failure);
            } else {
                w.done.complete(null);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fsyncs.shutdown();
    }
}
