package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.strata.ingest.log.SegmentRecords;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes a response, as kafka-clients' generated classes serialize it, into Netty buffers. Record
 * bytes that lie in a segment file become a {@link SegmentRegion} between two buffers, so the
 * kernel sends them from the page cache (Kafka's zero-copy fetch); where that cannot be (a TLS
 * connection encrypts in the JVM, a simulated file system has no file) they are read straight
 * into the response buffer, one copy. Large records already in memory (a remote read's) become a
 * {@link BufferRegion} the same way, where file regions can be used.
 */
final class ResponseWriter implements Writable {
    /** In-memory records at least this large are written from where they are ({@link BufferRegion}), not copied. */
    static final int BUFFER_REGION_MIN = 64 * 1024;
    private final ByteBufAllocator alloc;
    private final boolean fileRegions;
    private final List<Object> parts = new ArrayList<>();
    private ByteBuf current;
    private long written;

    /** {@code capacity}: the bytes expected in buffers (all of them when there are no file regions). */
    ResponseWriter(ByteBufAllocator alloc, boolean fileRegions, int capacity) {
        this.alloc = alloc;
        this.fileRegions = fileRegions;
        this.current = alloc.buffer(capacity);
    }

    /** The response's parts in order (buffers and file regions); the writer is spent after this. */
    List<Object> parts() {
        if (current.isReadable() || parts.isEmpty()) {
            parts.add(current);
        } else {
            current.release();
        }
        current = null;
        return parts;
    }

    /** Bytes written so far, in buffers and regions. */
    long written() {
        return written;
    }

    /** Releases every part (after a failure, before anything was handed to the channel). */
    void release() {
        for (Object p : parts) {
            io.netty.util.ReferenceCountUtil.release(p);
        }
        if (current != null) {
            current.release();
        }
    }

    @Override
    public void writeByte(byte val) {
        current.writeByte(val);
        written += 1;
    }

    @Override
    public void writeShort(short val) {
        current.writeShort(val);
        written += 2;
    }

    @Override
    public void writeInt(int val) {
        current.writeInt(val);
        written += 4;
    }

    @Override
    public void writeLong(long val) {
        current.writeLong(val);
        written += 8;
    }

    @Override
    public void writeDouble(double val) {
        current.writeDouble(val);
        written += 8;
    }

    @Override
    public void writeByteArray(byte[] arr) {
        current.writeBytes(arr);
        written += arr.length;
    }

    @Override
    public void writeByteBuffer(ByteBuffer buf) {
        int n = buf.remaining();
        current.writeBytes(buf.duplicate());
        written += n;
    }

    @Override
    public void writeUnsignedVarint(int i) {
        int v = i;
        while ((v & 0xffffff80) != 0) {
            writeByte((byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        writeByte((byte) v);
    }

    @Override
    public void writeVarint(int i) {
        writeUnsignedVarint((i << 1) ^ (i >> 31));
    }

    @Override
    public void writeVarlong(long i) {
        long v = (i << 1) ^ (i >> 63);
        while ((v & 0xffffffffffffff80L) != 0L) {
            writeByte((byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        writeByte((byte) v);
    }

    @Override
    public void writeRecords(BaseRecords records) {
        if (records instanceof SegmentRecords s) {
            writeSegment(s);
        } else if (records instanceof MemoryRecords m) {
            if (fileRegions && m.sizeInBytes() >= BUFFER_REGION_MIN) {
                addRegion(new BufferRegion(m.buffer()));
            } else {
                writeByteBuffer(m.buffer());
            }
        } else {
            throw new IllegalArgumentException("cannot write records of type " + records.getClass().getName());
        }
    }

    private void writeSegment(SegmentRecords s) {
        int size = s.sizeInBytes();
        if (size == 0) {
            return;
        }
        Optional<FileChannel> file = fileRegions ? s.channel() : Optional.empty();
        if (file.isPresent()) {
            addRegion(new SegmentRegion(file.get(), s.position(), size));
        } else {
            current.ensureWritable(size);
            try {
                s.readInto(current.nioBuffer(current.writerIndex(), size));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + s, e);
            }
            current.writerIndex(current.writerIndex() + size);
            written += size;
        }
    }

    /** Ends the buffer in hand, puts the region after it, and starts a small one for what follows. */
    private void addRegion(SocketRegion region) {
        parts.add(current);
        parts.add(region);
        current = alloc.buffer(64);
        written += region.count();
    }
}
