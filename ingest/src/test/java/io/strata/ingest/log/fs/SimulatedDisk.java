package io.strata.ingest.log.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * An in-memory disk with a page cache that a power cut empties. What survives a
 * {@link #powerCut}: a file's bytes as of its last successful {@code force()}, and directory
 * entries (creations, renames, deletions) as of their directory's last {@code fsyncDirectory}.
 * A cut may also tear the unsynced tail of a file that was only appended to: a random prefix of
 * the unsynced bytes reaches the platter, as a real disk's partial writeback would, sometimes
 * with one sector of it missing (sectors written out of order).
 *
 * <p>Faults on demand: a failing fsync (with Linux's semantics — the dirty bytes are dropped and
 * the error is reported once, so a later fsync succeeds without them while the page cache still
 * shows them, until the file is truncated below them), a full disk, and a write that stops
 * half-way.
 *
 * <p>Thread-safe (one lock); tests drive it from one thread, the log's group commit from another.
 */
public final class SimulatedDisk implements LogFileSystem {
    private static final class Inode {
        final boolean directory;
        byte[] data = new byte[0];
        int length;
        byte[] durable = new byte[0];
        /** Whether bytes below the durable length changed since the last force (then a cut cannot tear). */
        boolean rewritten;
        /** Bytes a failed fsync dropped: a later successful fsync persists zeros there. */
        int lostFrom = -1;
        int lostTo = -1;
        long modifiedMs;

        Inode(boolean directory) {
            this.directory = directory;
        }
    }

    /** The unit of a torn write (small, so that the tiny segments of the tests get torn inside). */
    static final int SECTOR = 64;

    private final Map<Path, Inode> current = new HashMap<>();
    private final Map<Path, Inode> durable = new HashMap<>();
    private final Random random;
    private long clockMs = 1_000_000;
    private Predicate<Path> failForce = p -> false;
    private Predicate<Path> partialWrite = p -> false;
    private Predicate<Path> stallForce = p -> false;
    private java.util.concurrent.CompletableFuture<Void> stallUntil = java.util.concurrent.CompletableFuture.completedFuture(null);
    private long freeBytes = Long.MAX_VALUE;
    private long forces;

    public SimulatedDisk(long seed) {
        this.random = new Random(seed);
        Inode root = new Inode(true);
        current.put(Path.of("/"), root);
        durable.put(Path.of("/"), root);
    }

    private static Path norm(Path p) {
        return p.toAbsolutePath().normalize();
    }

    // ---- faults -------------------------------------------------------------------------------

    /** The next fsync of a file matching {@code which} fails (once). */
    public synchronized void failNextForce(Predicate<Path> which) {
        failForce = once(which);
    }

    /**
     * The next fsync of a file matching {@code which} (once) does not begin until {@code until}
     * completes, as a slow device's would; other files' fsyncs go on meanwhile.
     */
    public synchronized void stallNextForce(Predicate<Path> which, java.util.concurrent.CompletableFuture<Void> until) {
        stallForce = once(which);
        stallUntil = until;
    }

    /** The next write to a file matching {@code which} writes half its bytes, then fails (once). */
    public synchronized void tearNextWrite(Predicate<Path> which) {
        partialWrite = once(which);
    }

    /** A predicate that is true for the first path matching {@code which}, and never again. */
    private static Predicate<Path> once(Predicate<Path> which) {
        boolean[] fired = {false};
        return p -> {
            if (!fired[0] && which.test(p)) {
                fired[0] = true;
                return true;
            }
            return false;
        };
    }

    /** Bytes that may still be written before writes fail with "No space left on device". */
    public synchronized void setFreeBytes(long bytes) {
        freeBytes = bytes;
    }

    // ---- power --------------------------------------------------------------------------------

    /**
     * The power goes: only durable bytes and entries remain; with {@code tear}, files that were
     * only appended to keep a random prefix of their unsynced tail.
     */
    public synchronized void powerCut(boolean tear) {
        current.clear();
        current.putAll(durable);
        // Each inode once (a rename can leave one under two names), in path order: the random draws below must fall on the
        // same files in every run of a seed, which an iteration in identity-hash order did not promise.
        java.util.Set<Inode> inodes = new java.util.LinkedHashSet<>();
        durable.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> inodes.add(e.getValue()));
        for (Inode n : inodes) {
            if (n.directory) {
                continue;
            }
            int keep = n.durable.length;
            int extra = 0;
            if (tear && !n.rewritten && n.length > keep && n.lostFrom < 0) {
                extra = random.nextInt(n.length - keep + 1);
            }
            byte[] survived = Arrays.copyOf(n.durable, keep + extra);
            if (extra > 0) {
                System.arraycopy(n.data, keep, survived, keep, extra);
                if (random.nextBoolean()) {
                    // Sectors reach the platter out of order: one inside the kept tail never did.
                    int sectors = (extra + SECTOR - 1) / SECTOR;
                    int lost = keep + random.nextInt(sectors) * SECTOR;
                    Arrays.fill(survived, lost, Math.min(lost + SECTOR, survived.length), (byte) 0);
                }
            }
            n.data = survived;
            n.length = survived.length;
            // What reached the platter before the cut is on disk now, synced or not.
            n.durable = Arrays.copyOf(survived, survived.length);
            n.rewritten = false;
            n.lostFrom = -1;
            n.lostTo = -1;
        }
    }

    public synchronized long forces() {
        return forces;
    }


    // ---- LogFileSystem ------------------------------------------------------------------------

    private Inode dirOf(Path p) throws IOException {
        Path parent = p.getParent();
        Inode d = current.get(parent);
        if (d == null || !d.directory) {
            throw new NoSuchFileException(parent.toString(), null, "no such directory");
        }
        return d;
    }

    @Override
    public synchronized LogFile create(Path file) throws IOException {
        Path p = norm(file);
        dirOf(p);
        if (current.containsKey(p)) {
            throw new FileAlreadyExistsException(p.toString());
        }
        Inode n = new Inode(false);
        n.modifiedMs = clockMs++;
        current.put(p, n);
        return new SimFile(p, n);
    }

    @Override
    public synchronized LogFile open(Path file) throws IOException {
        Path p = norm(file);
        Inode n = current.get(p);
        if (n == null || n.directory) {
            throw new NoSuchFileException(p.toString());
        }
        return new SimFile(p, n);
    }

    @Override
    public synchronized boolean exists(Path path) {
        return current.containsKey(norm(path));
    }

    @Override
    public synchronized boolean isDirectory(Path path) {
        Inode n = current.get(norm(path));
        return n != null && n.directory;
    }

    @Override
    public synchronized List<Path> list(Path dir) throws IOException {
        Path d = norm(dir);
        if (!isDirectory(d)) {
            throw new NoSuchFileException(d.toString());
        }
        List<Path> out = new ArrayList<>();
        for (Path p : current.keySet()) {
            if (d.equals(p.getParent())) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public synchronized void createDirectories(Path dir) throws IOException {
        Path d = norm(dir);
        if (isDirectory(d)) {
            return;
        }
        createDirectories(d.getParent());
        current.put(d, new Inode(true));
        fsyncDirectory(d.getParent());
    }

    @Override
    public synchronized void deleteIfExists(Path path) throws IOException {
        Path p = norm(path);
        Inode n = current.get(p);
        if (n == null) {
            return;
        }
        if (n.directory && current.keySet().stream().anyMatch(c -> p.equals(c.getParent()))) {
            throw new DirectoryNotEmptyException(p.toString());
        }
        current.remove(p);
    }

    @Override
    public synchronized void move(Path source, Path target) throws IOException {
        Path s = norm(source);
        Path t = norm(target);
        Inode n = current.get(s);
        if (n == null) {
            throw new NoSuchFileException(s.toString());
        }
        dirOf(t);
        // Directories move with their subtree.
        Map<Path, Inode> moved = new HashMap<>();
        for (Map.Entry<Path, Inode> e : current.entrySet()) {
            if (e.getKey().startsWith(s)) {
                moved.put(t.resolve(s.relativize(e.getKey())), e.getValue());
            }
        }
        current.keySet().removeIf(k -> k.startsWith(s));
        current.putAll(moved);
        if (n.directory && durable.get(s) == n) {
            // Simplification: a directory rename is durable at once, subtree and all (the model
            // keys entries by path; callers fsync the parent right after anyway).
            Map<Path, Inode> durableMoved = new HashMap<>();
            for (Map.Entry<Path, Inode> e : durable.entrySet()) {
                if (e.getKey().startsWith(s)) {
                    durableMoved.put(t.resolve(s.relativize(e.getKey())), e.getValue());
                }
            }
            durable.keySet().removeIf(k -> k.startsWith(s));
            durable.putAll(durableMoved);
        }
    }

    @Override
    public synchronized void fsyncDirectory(Path dir) throws IOException {
        Path d = norm(dir);
        if (!isDirectory(d)) {
            throw new NoSuchFileException(d.toString());
        }
        durable.keySet().removeIf(p -> d.equals(p.getParent()) && !current.containsKey(p));
        for (Map.Entry<Path, Inode> e : current.entrySet()) {
            if (d.equals(e.getKey().getParent())) {
                durable.put(e.getKey(), e.getValue());
            }
        }
    }

    @Override
    public synchronized long lastModifiedMs(Path file) throws IOException {
        Inode n = current.get(norm(file));
        if (n == null) {
            throw new NoSuchFileException(file.toString());
        }
        return n.modifiedMs;
    }

    private final class SimFile implements LogFile {
        private final Path path;
        private final Inode inode;
        private boolean closed;

        SimFile(Path path, Inode inode) {
            this.path = path;
            this.inode = inode;
        }

        private void checkOpen() throws IOException {
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            synchronized (SimulatedDisk.this) {
                checkOpen();
                if (position >= inode.length) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), inode.length - position);
                dst.put(inode.data, (int) position, n);
                return n;
            }
        }

        @Override
        public void writeFully(ByteBuffer src, long position) throws IOException {
            synchronized (SimulatedDisk.this) {
                checkOpen();
                int want = src.remaining();
                int allowed = want;
                boolean tear = partialWrite.test(path);
                if (tear) {
                    allowed = want / 2;
                }
                long growth = Math.max(0, position + want - inode.length);
                boolean full = growth > freeBytes;
                if (full) {
                    allowed = (int) Math.min(allowed, Math.max(0, inode.length - position + freeBytes));
                }
                byte[] bytes = new byte[allowed];
                src.get(bytes);
                put(position, bytes);
                if (full) {
                    throw new IOException("No space left on device");
                }
                if (tear) {
                    throw new IOException("Input/output error (simulated partial write)");
                }
            }
        }

        private void put(long position, byte[] bytes) {
            int end = (int) position + bytes.length;
            if (end > inode.data.length) {
                inode.data = Arrays.copyOf(inode.data, Math.max(end, inode.data.length * 2));
            }
            System.arraycopy(bytes, 0, inode.data, (int) position, bytes.length);
            if (position < inode.durable.length) {
                inode.rewritten = true;
            }
            if (end > inode.length) {
                if (freeBytes != Long.MAX_VALUE) {
                    freeBytes -= end - inode.length;
                }
                inode.length = end;
            }
            inode.modifiedMs = clockMs++;
        }

        @Override
        public long size() throws IOException {
            synchronized (SimulatedDisk.this) {
                checkOpen();
                return inode.length;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (SimulatedDisk.this) {
                checkOpen();
                if (size < inode.length) {
                    inode.length = (int) size;
                    if (size < inode.durable.length) {
                        inode.rewritten = true;
                    }
                    // Truncating drops the cached pages of a lost write with the bytes.
                    if (inode.lostFrom >= size) {
                        inode.lostFrom = -1;
                        inode.lostTo = -1;
                    } else if (inode.lostTo > size) {
                        inode.lostTo = (int) size;
                    }
                }
            }
        }

        @Override
        public void force() throws IOException {
            java.util.concurrent.CompletableFuture<Void> stall = null;
            synchronized (SimulatedDisk.this) {
                if (stallForce.test(path)) {
                    stall = stallUntil;
                }
            }
            if (stall != null) {
                // Outside the disk's lock: only this fsync waits.
                stall.join();
            }
            synchronized (SimulatedDisk.this) {
                checkOpen();
                forces++;
                if (failForce.test(path)) {
                    // Linux: the dirty pages are marked clean and their data may never reach the disk;
                    // the error is reported to this caller only.
                    inode.lostFrom = Math.min(inode.durable.length, inode.length);
                    inode.lostTo = inode.length;
                    throw new IOException("Input/output error (simulated fsync failure)");
                }
                byte[] synced = Arrays.copyOf(inode.data, inode.length);
                if (inode.lostFrom >= 0 && inode.lostFrom < synced.length) {
                    // The dropped pages stay lost: the cache still shows the bytes, the disk never gets them.
                    Arrays.fill(synced, inode.lostFrom, Math.min(inode.lostTo, synced.length), (byte) 0);
                }
                inode.durable = synced;
                inode.rewritten = false;
            }
        }

        @Override
        public void close() {
            synchronized (SimulatedDisk.this) {
                closed = true;
            }
        }
    }
}
