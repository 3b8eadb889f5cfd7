package io.strata.tiering.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Immutable objects by key: where sealed segments live. Every operation is asynchronous and
 * fails its future with {@link ObjectStoreException} (or {@link ObjectNotFoundException}) rather
 * than throwing. {@link #delete} is idempotent: deleting a missing object succeeds.
 */
public interface ObjectStore extends AutoCloseable {

    CompletableFuture<Void> put(String key, Path file);

    CompletableFuture<Void> put(String key, byte[] data);

    CompletableFuture<byte[]> get(String key);

    /** {@code length} bytes from {@code offset}; fewer only at the object's end. */
    CompletableFuture<byte[]> getRange(String key, long offset, int length);

    CompletableFuture<Optional<ObjectInfo>> head(String key);

    /** Every object whose key starts with {@code prefix}, in key order. */
    CompletableFuture<List<ObjectInfo>> list(String prefix);

    CompletableFuture<Void> delete(String key);

    String describe();

    @Override
    void close();
}
