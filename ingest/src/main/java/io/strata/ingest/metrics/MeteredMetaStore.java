package io.strata.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.Transaction;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** A MetaStore that records transaction latency, failures and (backend-counted) conflict retries. */
public final class MeteredMetaStore implements MetaStore {
    private final MetaStore store;
    private final Timer latency;
    private final Counter unavailable;
    private final Counter failed;

    public MeteredMetaStore(MetaStore store, MeterRegistry registry) {
        this.store = store;
        this.latency = Timer.builder("strata.metastore.transaction.latency").publishPercentiles(0.5, 0.99)
                .description("MetaStore transaction latency, retries included").register(registry);
        this.unavailable = registry.counter("strata.metastore.transaction.errors", "reason", "unavailable");
        this.failed = registry.counter("strata.metastore.transaction.errors", "reason", "other");
        FunctionCounter.builder("strata.metastore.transaction.conflicts", store, MetaStore::conflicts)
                .description("Transaction attempts retried after a conflict").register(registry);
    }

    @Override
    public <T> T run(Function<Transaction, T> work) {
        long t0 = System.nanoTime();
        try {
            return store.run(work);
        } catch (MetaStoreUnavailableException e) {
            unavailable.increment();
            throw e;
        } catch (RuntimeException e) {
            failed.increment();
            throw e;
        } finally {
            latency.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public <T> CompletableFuture<T> runAsync(Function<Transaction, T> work) {
        long t0 = System.nanoTime();
        return store.runAsync(work).whenComplete((v, t) -> {
            latency.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (t != null) {
                (t.getCause() instanceof MetaStoreUnavailableException || t instanceof MetaStoreUnavailableException ? unavailable : failed).increment();
            }
        });
    }

    // watch() is deliberately not delegated yet: with change signals delivered, ClusterIT failed once in
    // three suites (a producer stalled on some partitions for its whole delivery timeout, no error on
    // either node), a race that polling every 200 ms hides. Nodes poll until it is found and fixed.

    @Override
    public long conflicts() {
        return store.conflicts();
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }
}
