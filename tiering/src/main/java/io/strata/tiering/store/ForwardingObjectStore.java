package io.strata.tiering.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** An object store that passes every call to another: a wrapper overrides only what it changes. */
public abstract class ForwardingObjectStore implements ObjectStore {
    protected final ObjectStore delegate;

    protected ForwardingObjectStore(ObjectStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletableFuture<Void> put(String key, Path file) {
        return delegate.put(key, file);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] data) {
        return delegate.put(key, data);
    }

    @Override
    public CompletableFuture<byte[]> get(String key) {
        return delegate.get(key);
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
        return delegate.getRange(key, offset, length);
    }

    @Override
    public CompletableFuture<Optional<ObjectInfo>> head(String key) {
        return delegate.head(key);
    }

    @Override
    public CompletableFuture<List<ObjectInfo>> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return delegate.delete(key);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
