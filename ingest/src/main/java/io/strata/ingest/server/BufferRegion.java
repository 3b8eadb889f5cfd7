package io.strata.ingest.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Record bytes already in memory (a remote read's batches) written to the socket from where they
 * are. Copied into the response's Netty buffer instead, megabytes of them made that buffer grow by
 * doubling, each step a new zeroed direct buffer and a copy: a quarter of a node's CPU while a
 * consumer read history. Written in slices, so the JDK's per-thread direct buffer for writes from
 * the heap stays small and is reused.
 */
final class BufferRegion extends SocketRegion {
    /** Bytes per socket write. */
    static final int SLICE = 256 * 1024;
    private final ByteBuffer bytes;

    BufferRegion(ByteBuffer bytes) {
        super(bytes.remaining());
        this.bytes = bytes.duplicate();
    }

    @Override
    public long position() {
        return 0;
    }

    @Override
    public long transferTo(WritableByteChannel target, long offset) throws IOException {
        long remaining = count() - offset;
        if (remaining <= 0) {
            return 0;
        }
        ByteBuffer slice = bytes.duplicate();
        int from = bytes.position() + (int) offset;
        slice.position(from).limit(from + (int) Math.min(remaining, SLICE));
        int written = target.write(slice);
        progressed(written);
        return written;
    }

    @Override
    protected void deallocate() {
        // Heap bytes: nothing to free.
    }
}
