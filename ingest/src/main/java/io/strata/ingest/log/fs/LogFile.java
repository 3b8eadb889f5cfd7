package io.strata.ingest.log.fs;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An open file of a partition log, addressed by absolute position. Bytes written are not
 * durable until {@link #force()} returns; a power cut may drop or tear whatever came after the
 * last force. Implementations are safe for one writer and concurrent positional readers.
 */
public interface LogFile extends AutoCloseable {
    /** Reads up to {@code dst.remaining()} bytes at {@code position}; -1 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Writes all of {@code src} at {@code position}, or throws (possibly after a partial write). */
    void writeFully(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    void truncate(long size) throws IOException;

    /** Makes every byte written so far durable (fsync/fdatasync). */
    void force() throws IOException;

    @Override
    void close() throws IOException;

    /**
     * The channel of a file on a real disk, for the kernel to send from directly
     * ({@code sendfile}); empty for a file system that only simulates one.
     */
    default java.util.Optional<java.nio.channels.FileChannel> fileChannel() {
        return java.util.Optional.empty();
    }
}
