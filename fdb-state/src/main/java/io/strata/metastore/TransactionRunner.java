package io.strata.metastore;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Bounded retry with jittered backoff for transaction attempts that end in
 * {@link ConflictException}. Backends wrap each attempt; after the budget the caller
 * sees {@link MetaStoreUnavailableException}, which is retriable for Kafka clients.
 */
public final class TransactionRunner {
    private static final Logger log = LoggerFactory.getLogger(TransactionRunner.class);

    private final java.util.concurrent.atomic.AtomicLong conflicts = new java.util.concurrent.atomic.AtomicLong();
    private final int maxAttempts;
    private final long maxBackoffMillis;

    public TransactionRunner(int maxAttempts, long maxBackoffMillis) {
        this.maxAttempts = maxAttempts;
        this.maxBackoffMillis = maxBackoffMillis;
    }

    public <T> T run(String storeName, Supplier<T> attempt) {
        ConflictException last = null;
        for (int i = 1; i <= maxAttempts; i++) {
            try {
                return attempt.get();
            } catch (ConflictException e) {
                last = e;
                conflicts.incrementAndGet();
                long backoff = Math.min(maxBackoffMillis, 2L << Math.min(i, 10));
                log.debug("{}: transaction attempt {} conflicted, retrying in <= {} ms", storeName, i, backoff);
                sleep(ThreadLocalRandom.current().nextLong(backoff + 1));
            }
        }
        throw new MetaStoreUnavailableException(storeName + ": transaction still conflicting after "
                + maxAttempts + " attempts", last);
    }

    public long conflicts() {
        return conflicts.get();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetaStoreUnavailableException("interrupted while retrying a transaction", e);
        }
    }
}
