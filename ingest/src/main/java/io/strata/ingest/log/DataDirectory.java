package io.strata.ingest.log;

import io.strata.ingest.log.fs.LogFileSystem;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * A node's data directory: held by one process at a time ({@code .lock}, an OS file lock kept
 * for the process's life, as Kafka's), and bound to one cluster and node by
 * {@code meta.properties} — written once, fsynced, directory fsynced, never rewritten. A
 * directory that belongs to another cluster or node refuses to start and is left untouched,
 * because the alternative (trusting whichever MetaStore the node was pointed at) deletes or
 * mixes up acknowledged data.
 *
 * <pre>
 * meta.properties:  version=1 · cluster.id=&lt;MetaStore cluster id&gt; · node.id=&lt;node.id&gt;
 * .lock:            the holder's pid (informational; the OS lock is what excludes)
 * </pre>
 */
public final class DataDirectory implements AutoCloseable {
    static final String META = "meta.properties";
    static final String LOCK = ".lock";

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private DataDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Creates (if needed) and locks {@code dir}.
     *
     * @throws DataDirectoryException when another process holds it, naming its pid where known
     */
    public static DataDirectory lock(Path dir) {
        Path lockFile = dir.resolve(LOCK);
        try {
            Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                String holder = new String(Files.readAllBytes(lockFile), StandardCharsets.UTF_8).trim();
                ch.close();
                throw new DataDirectoryException("data directory " + dir.toAbsolutePath() + " is in use by another Strata process"
                        + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; stop it or choose another --data-dir");
            }
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)), 0);
            return new DataDirectory(dir, ch, l);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock data directory " + dir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Binds the directory to {@code clusterId} and {@code nodeId} on first use; afterwards checks
     * that they match.
     *
     * @throws DataDirectoryException naming both ids when the directory belongs elsewhere
     */
    public void claim(LogFileSystem fs, String clusterId, int nodeId) {
        Path meta = dir.resolve(META);
        try {
            if (!fs.exists(meta)) {
                Properties p = new Properties();
                p.setProperty("version", "1");
                p.setProperty("cluster.id", clusterId);
                p.setProperty("node.id", Integer.toString(nodeId));
                StringWriter w = new StringWriter();
                p.store(w, "Strata data directory identity: written once, never edit");
                fs.writeAtomically(meta, w.toString().getBytes(StandardCharsets.UTF_8));
                return;
            }
            Properties p = new Properties();
            p.load(new StringReader(new String(fs.readAll(meta), StandardCharsets.UTF_8)));
            String storedCluster = p.getProperty("cluster.id");
            String storedNode = p.getProperty("node.id");
            if (!clusterId.equals(storedCluster)) {
                throw new DataDirectoryException("data directory " + dir.toAbsolutePath() + " belongs to cluster " + storedCluster
                        + " but the MetaStore is cluster " + clusterId + ": refusing to start and touching nothing. "
                        + "Check the metastore URL and cluster.name; a new cluster needs a new --data-dir.");
            }
            if (!Integer.toString(nodeId).equals(storedNode)) {
                throw new DataDirectoryException("data directory " + dir.toAbsolutePath() + " belongs to node " + storedNode
                        + " of cluster " + storedCluster + " but this node is node.id " + nodeId + ": refusing to start");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + meta + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // The process is ending; the OS drops the lock with it.
        }
    }

    /** The data directory cannot be used by this process. */
    public static final class DataDirectoryException extends RuntimeException {
        public DataDirectoryException(String message) {
            super(message);
        }
    }
}
