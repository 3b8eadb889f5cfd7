package io.strata.ingest.log.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * The one seam through which every file that recovery depends on is created, written, renamed
 * and deleted: segments, the log start offset, the clean-shutdown marker, topic ids and the data
 * directory's identity. Production uses {@link DiskFileSystem}; tests use a simulated disk that
 * forgets unsynced bytes and directory entries at a simulated power cut, and fails fsyncs,
 * fills up or tears writes on demand.
 *
 * <p>The durability rules the callers follow: a file's bytes are durable after
 * {@link LogFile#force()}; its existence, a rename or a deletion only after
 * {@link #fsyncDirectory} of its parent.
 */
public interface LogFileSystem {
    /** Creates a new, empty file; fails if it exists. The caller fsyncs the directory. */
    LogFile create(Path file) throws IOException;

    /** Opens an existing file for reading and writing. */
    LogFile open(Path file) throws IOException;

    boolean exists(Path path);

    boolean isDirectory(Path path);

    /** The entries of {@code dir}, in no particular order. */
    List<Path> list(Path dir) throws IOException;

    /** Creates {@code dir} and missing parents, fsyncing each parent whose entries changed. */
    void createDirectories(Path dir) throws IOException;

    /** Deletes a file or an empty directory if present. The caller fsyncs the directory. */
    void deleteIfExists(Path path) throws IOException;

    /** Atomically renames, replacing {@code target}. The caller fsyncs the directories. */
    void move(Path source, Path target) throws IOException;

    /** Makes the creations, renames and deletions of entries in {@code dir} durable. */
    void fsyncDirectory(Path dir) throws IOException;

    /** When the file was last modified (segment age after a restart), epoch millis. */
    long lastModifiedMs(Path file) throws IOException;

    default byte[] readAll(Path file) throws IOException {
        try (LogFile f = open(file)) {
            long size = f.size();
            ByteBuffer buf = ByteBuffer.allocate((int) size);
            while (buf.hasRemaining()) {
                if (f.read(buf, buf.position()) < 0) {
                    break;
                }
            }
            byte[] out = new byte[buf.position()];
            buf.flip().get(out);
            return out;
        }
    }

    /**
     * Replaces {@code file}'s content so that after a crash it holds either the old or the new
     * bytes, never a mix: write a temporary file, fsync it, rename it over, fsync the directory.
     */
    default void writeAtomically(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        deleteIfExists(tmp);
        try (LogFile f = create(tmp)) {
            f.writeFully(ByteBuffer.wrap(content), 0);
            f.force();
        }
        move(tmp, file);
        fsyncDirectory(file.getParent());
    }

    /** Deletes {@code dir} and everything under it (directories of deleted topics). */
    default void deleteRecursively(Path dir) throws IOException {
        if (!exists(dir)) {
            return;
        }
        if (isDirectory(dir)) {
            for (Path p : list(dir)) {
                deleteRecursively(p);
            }
        }
        deleteIfExists(dir);
    }
}
