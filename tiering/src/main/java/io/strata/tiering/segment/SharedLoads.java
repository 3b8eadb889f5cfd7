package io.strata.tiering.segment;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * At most one load per key in flight: whoever asks for a key while its load runs gets that load's
 * future, so concurrent readers (and read-aheads of back-to-back fetches) share one set of GETs.
 * A key is forgotten as its load completes; what it loaded is for the caller to cache.
 */
final class SharedLoads<V> {
    private final Map<String, CompletableFuture<V>> running = new ConcurrentHashMap<>();

    CompletableFuture<V> load(String key, Supplier<CompletableFuture<V>> start) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> other = running.putIfAbsent(key, mine);
        if (other != null) {
            return other;
        }
        CompletableFuture<V> started;
        try {
            started = start.get();
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        started.whenComplete((v, t) -> {
            running.remove(key, mine);
            if (t == null) {
                mine.complete(v);
            } else {
                mine.completeExceptionally(t);
            }
        });
        return mine;
    }
}
