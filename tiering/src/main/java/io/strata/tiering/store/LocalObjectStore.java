package io.strata.tiering.store;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * Objects as files under a root directory ({@code file:/path}); keys map to relative paths.
 * A put writes a temporary file and renames it into place, so a reader never sees half an object.
 */
public final class LocalObjectStore implements ObjectStore {
    private final Path root;
    private final ExecutorService io = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "object-store-local");
        t.setDaemon(true);
        return t;
    });

    public LocalObjectStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    private Path path(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("object key escapes the store: " + key);
        }
        return p;
    }

    private interface IoWork<T> {
        T run() throws IOException;
    }

    private <T> CompletableFuture<T> async(String key, IoWork<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (NoSuchFileException e) {
                throw new ObjectNotFoundException(key, e);
            } catch (IOException e) {
                throw new ObjectStoreException(describe() + ": " + key + ": " + e.getMessage(), e);
            }
        }, io);
    }

    @Override
    public CompletableFuture<Void> put(String key, Path file) {
        return async(key, () -> {
            Path target = path(key);
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            moveIntoPlace(tmp, target);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] data) {
        return async(key, () -> {
            Path target = path(key);
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.write(tmp, data);
            moveIntoPlace(tmp, target);
            return null;
        });
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public CompletableFuture<byte[]> get(String key) {
        return async(key, () -> Files.readAllBytes(path(key)));
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
        return async(key, () -> {
            Path p = path(key);
            if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString());
            }
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
                long n = Math.max(0, Math.min(length, f.length() - offset));
                byte[] out = new byte[(int) n];
                f.seek(offset);
                f.readFully(out);
                return out;
            }
        });
    }

    @Override
    public CompletableFuture<Optional<ObjectInfo>> head(String key) {
        return async(key, () -> {
            Path p = path(key);
            if (!Files.exists(p)) {
                return Optional.empty();
            }
            return Optional.of(new ObjectInfo(key, Files.size(p), Files.getLastModifiedTime(p).toMillis()));
        });
    }

    @Override
    public CompletableFuture<List<ObjectInfo>> list(String prefix) {
        return async(prefix, () -> {
            List<ObjectInfo> out = new ArrayList<>();
            if (!Files.exists(root)) {
                return out;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.filter(Files::isRegularFile).toList()) {
                    String key = root.relativize(p).toString().replace('\\', '/');
                    if (key.startsWith(prefix) && !key.endsWith(".tmp")) {
                        out.add(new ObjectInfo(key, Files.size(p), Files.getLastModifiedTime(p).toMillis()));
                    }
                }
            }
            out.sort(Comparator.comparing(ObjectInfo::key));
            return out;
        });
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return async(key, () -> {
            Files.deleteIfExists(path(key));
            return null;
        });
    }

    @Override
    public String describe() {
        return "file:" + root;
    }

    @Override
    public void close() {
        io.shutdown();
    }
}
