package io.strata.tiering.segment;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many chunks one reader going forward (a partition's consumer) has fetched ahead of what it
 * reads. The depth a reader needs is its pace times a GET's time over a chunk: a consumer taking
 * 100 MiB/s from a bucket that answers a 4 MiB GET in 80 ms needs two chunks on their way, a
 * local S3 server one. Neither is known in advance, so the depth adapts, as TCP's window does:
 * one chunk deeper each time a read that goes on where the last one ended ({@link #continuesAt})
 * waits on a GET, for the index of an object it enters or for a chunk not downloaded yet
 * ({@link #late}, once a read), half as deep each time a chunk fetched ahead for it is dropped
 * from the cache unread ({@link #wasted}). It never goes below the configured prefetch, nor above its ceiling or its
 * share of the cache among the readers reading at the time (the limit its reader passes in):
 * readers that together prefetch more than the cache holds push out each other's chunks before
 * they are read. Thread-safe.
 */
public final class PrefetchDepth implements ChunkCache.Unread {
    private final int floor;
    private final int ceiling;
    private final AtomicInteger chunks;
    private volatile long lastRead = Long.MIN_VALUE;
    /** The offset its reader's next read starts at if it reads on; -1 before its first read. */
    private volatile long next = -1;

    PrefetchDepth(int floor, int ceiling) {
        this.floor = floor;
        this.ceiling = Math.max(floor, ceiling);
        this.chunks = new AtomicInteger(floor);
    }

    /** A depth that does not adapt: for reads that are not part of a forward scan. */
    static PrefetchDepth fixed(int chunks) {
        return new PrefetchDepth(chunks, chunks);
    }

    /** The depth it has grown to; a read fetches ahead {@link #chunksWithin} its share of the cache. */
    public int chunks() {
        return chunks.get();
    }

    /** Chunks fetched ahead of a read now, within {@code limit} (its share of the cache), never fewer than configured. */
    int chunksWithin(int limit) {
        return Math.min(chunks.get(), Math.max(floor, limit));
    }

    /**
     * A read waited for a chunk: the prefetch did not reach far enough ahead of it; one deeper,
     * within {@code limit} (down to it, when other readers have made its share smaller).
     */
    void late(int limit) {
        chunks.updateAndGet(c -> Math.max(floor, Math.min(c + 1, Math.min(ceiling, limit))));
    }

    /** Whether a read at {@code offset} goes on where its reader's last one ended. */
    public boolean continuesAt(long offset) {
        return offset >= 0 && offset == next;
    }

    /** Its reader's last read ended before {@code offset} (-1: it served nothing). */
    public void readTo(long offset) {
        next = offset;
    }

    /** Its reader reads now. */
    void reading(long nanos) {
        lastRead = nanos;
    }

    /** Whether its reader read at or after {@code nanos}. */
    boolean readSince(long nanos) {
        return lastRead != Long.MIN_VALUE && lastRead - nanos >= 0;
    }

    /** A chunk fetched ahead was dropped before it was read: the readers' prefetch outgrew the cache. */
    void wasted() {
        chunks.updateAndGet(c -> Math.max(floor, c / 2));
    }

    @Override
    public void evictedUnread() {
        wasted();
    }
}
