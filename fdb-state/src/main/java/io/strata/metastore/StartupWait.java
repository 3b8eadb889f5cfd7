package io.strata.metastore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * A node's first MetaStore transactions, retried while the store is unreachable, up to one
 * deadline for the whole start-up. A cluster and its metastore are often started together (a
 * deployment, a host reboot), and a database still starting, or slow to take its first
 * connections, must not kill a node it would serve a second later: Kafka waits
 * {@code zookeeper.connection.timeout.ms} the same way. Any other failure ends start-up at once.
 */
public final class StartupWait {
    private static final Logger log = LoggerFactory.getLogger(StartupWait.class);
    private static final long MAX_BACKOFF_MILLIS = 2_000;

    private final long deadlineNanos;
    private final long timeoutMillis;

    public StartupWait(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
        this.deadlineNanos = System.nanoTime() + timeoutMillis * 1_000_000;
    }

    public <T> T attempt(Supplier<T> work) {
        long backoff = 100;
        while (true) {
            try {
                return work.get();
            } catch (MetaStoreUnavailableException e) {
                long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (leftMillis < backoff) {
                    throw new MetaStoreUnavailableException(e.getMessage() + " (waited metastore.startup.timeout.ms = "
                            + timeoutMillis + " ms)", e);
                }
                log.warn("metastore not reachable yet, retrying for up to {} s more: {}", Math.max(1, leftMillis / 1000), e.getMessage());
                sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetaStoreUnavailableException("interrupted while waiting for the metastore", e);
        }
    }
}
