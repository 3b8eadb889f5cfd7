package io.strata.ingest.log;

import io.strata.ingest.log.fs.LogFile;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * Whole batches of a segment file, named by position and length rather than copied: what a
 * fetch answers with, so the server can send them from the file with {@code sendfile} (Kafka's
 * {@code FileRecords} slice). A deleted segment stays open for {@code file.delete.delay.ms}, so a
 * slice outlives the retention that removes its segment by far more than a response takes.
 */
public final class SegmentRecords implements BaseRecords {
    /** No batches. */
    public static final SegmentRecords EMPTY = new SegmentRecords(null, 0, 0, -1);

    private final LogFile file;
    private final long position;
    private final int size;
    private final long lastOffset;

    SegmentRecords(LogFile file, long position, int size, long lastOffset) {
        this.file = file;
        this.position = position;
        this.size = size;
        this.lastOffset = lastOffset;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    /** The last offset of the last batch; -1 when there is none. */
    public long lastOffset() {
        return lastOffset;
    }

    /** The position of the first batch in the file. */
    public long position() {
        return position;
    }

    /** The file's channel when the kernel can send from it directly; empty for a simulated file system. */
    public Optional<FileChannel> channel() {
        return file == null ? Optional.empty() : file.fileChannel();
    }

    /**
     * Copies the batches into {@code dst}, which must have room for all of them.
     *
     * @throws IOException when the file cannot be read
     * @throws CorruptSegmentException when the file ends early
     */
    public void readInto(ByteBuffer dst) throws IOException {
        if (dst.remaining() < size) {
            throw new IllegalArgumentException("need " + size + " bytes, have " + dst.remaining());
        }
        ByteBuffer window = dst.duplicate();
        window.limit(window.position() + size);
        long p = position;
        while (window.hasRemaining()) {
            int n = file.read(window, p);
            if (n < 0) {
                // Truncated under the read (a follower cutting its log back): not a disk failure.
                throw new CorruptSegmentException("segment file ends at " + p + ", before " + (position + size));
            }
            p += n;
        }
        dst.position(dst.position() + size);
    }

    /** The batches as a heap buffer. */
    public ByteBuffer read() throws IOException {
        ByteBuffer out = ByteBuffer.allocate(size);
        if (size > 0) {
            readInto(out);
        }
        return out.flip();
    }

    /** Not used: the server writes these bytes itself (sendfile, or a copy on a TLS connection). */
    @Override
    public RecordsSend<? extends BaseRecords> toSend() {
        throw new UnsupportedOperationException("segment records are written by the server's response writer");
    }

    @Override
    public String toString() {
        return "SegmentRecords(position=" + position + ", size=" + size + ", lastOffset=" + lastOffset + ")";
    }
}
