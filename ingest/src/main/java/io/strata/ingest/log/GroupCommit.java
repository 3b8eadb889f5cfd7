package io.strata.ingest.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One fsync thread serving many writers: a produce that must be durable before it is
 * acknowledged waits here; the thread drains every waiting request, fsyncs each log once and
 * completes the waiters in the order they arrived. Concurrent producers thus share an fsync.
 */
public final class GroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

    private record Waiter(PartitionLog log, long offset, CompletableFuture<Void> done) {
    }

    private final LinkedBlockingQueue<Waiter> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    public GroupCommit() {
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
                Map<PartitionLog, Throwable> failures = new LinkedHashMap<>();
                for (Waiter w : batch) {
                    if (w.log.flushedOffset() <= w.offset && !failures.containsKey(w.log)) {
                        try {
                            w.log.flush();
                        } catch (RuntimeException e) {
                            log.error("fsync of {} failed", w.log.name(), e);
                            failures.put(w.log, e);
                        }
                    }
                }
                for (Waiter w : batch) {
                    Throwable t = failures.get(w.log);
                    if (t != null) {
                        w.done.completeExceptionally(t);
                    } else {
                        w.done.complete(null);
                    }
                }
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
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
    }
}
