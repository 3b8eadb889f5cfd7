package io.strata.ingest.server;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;

/**
 * A part of a response that Netty hands to {@link #transferTo} instead of copying into its own
 * buffers: what the subclasses share (the byte count, progress, reference counting).
 */
abstract class SocketRegion extends AbstractReferenceCounted implements FileRegion {
    private final long count;
    private long transferred;

    SocketRegion(long count) {
        this.count = count;
    }

    /** Counts bytes a {@link #transferTo} wrote. */
    final void progressed(long written) {
        transferred += written;
    }

    @Override
    @Deprecated
    public final long transfered() {
        return transferred;
    }

    @Override
    public final long transferred() {
        return transferred;
    }

    @Override
    public final long count() {
        return count;
    }

    @Override
    public final FileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public final FileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public final FileRegion touch() {
        return this;
    }

    @Override
    public final FileRegion touch(Object hint) {
        return this;
    }
}
