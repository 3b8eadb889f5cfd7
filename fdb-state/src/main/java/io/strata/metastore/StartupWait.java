package io.strata.metastore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A node's first MetaStore transactions, retried while the store is unreachable, up to one
 * deadline for the whole start-up. A cluster and its metastore are often started together (a
 * deployment, a host reboot), and a database still starting, or slow to take its first
 * connections, must not kill a node it would serve a second later: Kafka waits
 * {@code zookeeper.connection.timeout.ms} the same way. Only {@link MetaStoreUnavailableException}
 * is retried: a store that refuses the node (bad credentials, no such database) or cannot be
 * used at all ends start-up at once. A stop asked for meanwhile ends the wait.
 */
public final class StartupWait {
    private static final Logger log = LoggerFactory.getLogger(StartupWait.class);
    private static final long MAX_BACKOFF_MILLIS = 2_000;
    /** How often a sleeping wait looks whether the node is being stopped. */
    private static final long STOP_CHECK_MILLIS = 50;
    /** Longer than any start-up waits: nanoTime differences stay far from overflowing. */
    private static final long FOREVER_NANOS = Long.MAX_VALUE / 4;

    private final long timeoutMillis;
    private final long deadlineNanos;
    private final BooleanSupplier stopping;

    /** {@code stopping}: true once the node is asked to stop, which ends the wait. */
    public StartupWait(long timeoutMillis, BooleanSupplier stopping) {
        this.timeoutMillis = timeoutMillis;
        long nanos = timeoutMillis >= FOREVER_NANOS / 1_000_000 ? FOREVER_NANOS : timeoutMillis * 1_000_000;
        this.deadlineNanos = System.nanoTime() + nanos;
        this.stopping = stopping;
    }

    /** No wait: the first failure is the answer (commands that open a store once). */
    public static StartupWait none() {
        return new StartupWait(0, () -> false);
    }

    public <T> T attempt(Supplier<T> work) {
        long backoff = 100;
        while (true) {
            try {
                return work.get();
            } catch (MetaStoreUnavailableException e) {
                if (timeoutMillis == 0) {
                    throw e;
                }
                if (stopping.getAsBoolean()) {
                    throw stopped(e);
                }
                long leftNanos = deadlineNanos - System.nanoTime();
                if (leftNanos <= 0) {
                    throw new MetaStoreUnavailableException(e.getMessage() + " (waited metastore.startup.timeout.ms = "
                            + timeoutMillis + " ms)", e);
                }
                log.warn("metastore not reachable yet, retrying for up to {} s more: {}",
                        Math.max(1, leftNanos / 1_000_000_000), e.getMessage());
                sleep(Math.min(backoff, leftNanos / 1_000_000 + 1), e);
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }

    private static StartupStoppedException stopped(MetaStoreUnavailableException last) {
        return new StartupStoppedException("start-up stopped while waiting for the metastore: " + last.getMessage(), last);
    }

    private void sleep(long millis, MetaStoreUnavailableException last) {
        long until = System.nanoTime() + millis * 1_000_000;
        try {
            for (long left = millis; left > 0; left = (until - System.nanoTime()) / 1_000_000) {
                if (stopping.getAsBoolean()) {
                    throw stopped(last);
                }
                Thread.sleep(Math.min(left, STOP_CHECK_MILLIS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetaStoreUnavailableException("interrupted while waiting for the metastore", e);
        }
    }
}
