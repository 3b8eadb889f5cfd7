package io.strata.ingest.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Part of a segment file written to a socket by the kernel ({@code sendfile}). Unlike Netty's
 * {@code DefaultFileRegion} it never closes the channel, which belongs to the segment.
 */
final class SegmentRegion extends SocketRegion {
    private final FileChannel file;
    private final long position;

    SegmentRegion(FileChannel file, long position, long count) {
        super(count);
        this.file = file;
        this.position = position;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public long transferTo(WritableByteChannel target, long offset) throws IOException {
        long remaining = count() - offset;
        if (remaining <= 0) {
            return 0;
        }
        long written = file.transferTo(position + offset, remaining, target);
        if (written > 0) {
            progressed(written);
        } else if (file.size() < position + count()) {
            // Cut back under the response (a follower truncating): fail the write rather than spin.
            throw new IOException("segment file is " + file.size() + " bytes, the response needs " + (position + count()));
        }
        return written;
    }

    @Override
    protected void deallocate() {
        // The channel stays open: the segment owns it.
    }
}
