package io.strata.ingest.group;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Orders each group's MetaStore writes: a write starts only once the previous write of the same
 * group has finished (successfully or not), so a group record of an older generation never
 * lands after a newer one and two commits of one group land in the order they were accepted —
 * the MetaStore's executor is multi-threaded and would otherwise reorder them. Different groups
 * proceed in parallel.
 *
 * <p>Thread-safe. Writes are started on the thread that completed the previous one.
 */
final class GroupWriteSequencer {
    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    <T> CompletableFuture<T> submit(String groupId, Supplier<CompletableFuture<T>> write) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<Void> tail = tails.compute(groupId, (k, previous) -> {
            CompletableFuture<Void> before = previous == null ? CompletableFuture.completedFuture(null) : previous;
            return before.thenCompose(v -> {
                CompletableFuture<T> started;
                try {
                    started = write.get();
                } catch (RuntimeException e) {
                    started = CompletableFuture.failedFuture(e);
                }
                started.whenComplete((value, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                    } else {
                        result.complete(value);
                    }
                });
                // The chain itself never fails: a failed write must not block the group's next one.
                return started.handle((value, error) -> (Void) null);
            });
        });
        tail.whenComplete((v, t) -> tails.remove(groupId, tail));
        return result;
    }
}
