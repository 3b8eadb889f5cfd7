package io.strata.metastore;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * An ordered key-value store with serializable transactions, the contract every backend
 * (SQLite, PostgreSQL, FoundationDB) fulfils with FoundationDB's semantics.
 *
 * <p>{@link #run} executes {@code work} in one serializable transaction and retries it on
 * conflict, so {@code work} must be free of side effects outside the transaction: it may be
 * executed more than once. A store that cannot be reached fails with
 * {@link MetaStoreUnavailableException}; callers map that to a retriable Kafka error.
 *
 * <p>Thread-safe: any thread may call {@link #run}; {@link #runAsync} runs on the store's
 * own executor so that a network thread never blocks on the store.
 */
public interface MetaStore extends AutoCloseable {

    <T> T run(Function<Transaction, T> work);

    <T> CompletableFuture<T> runAsync(Function<Transaction, T> work);

    /** How many transaction attempts were retried after a conflict since the store opened. */
    default long conflicts() {
        return 0;
    }

    /**
     * Calls {@code onSignal} (on a store thread; it must not block) soon after a transaction that
     * {@linkplain Transaction#signal signalled} {@code channel} commits, so watchers need not wait
     * for their next poll. Best effort: a store without push (SQLite) never calls it, and a lost
     * connection may drop signals, so watchers keep polling as well.
     */
    default AutoCloseable watch(String channel, Runnable onSignal) {
        return () -> { };
    }

    /** A short human-readable description, e.g. {@code sqlite:/data/meta.db}. */
    String describe();

    @Override
    void close();
}
