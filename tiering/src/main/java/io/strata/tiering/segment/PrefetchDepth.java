package io.strata.tiering.segment;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many chunks one reader going forward (a partition's consumer) has fetched ahead of what it
 * reads. The depth a reader needs is its pace times a GET's time over a chunk: a consumer taking
 * 100 MiB/s from a bucket that answers a 4 MiB GET in 80 ms needs two chunks on their way, a
 * local S3 server one. Neither is known in advance, so the depth adapts, as TCP's window does:
 * twice as deep on a wait, half as deep on a loss. It starts at half its ceiling (never
 * below the configured prefetch), not at the configured prefetch: a consumer starting on history
 * waits a whole GET's round trip for each step the depth grows, and through a link modelled on
 * S3 a consumer reading 50 MB of one partition from a depth of one chunk spent three round trips
 * of its four growing. It doubles each time a read that goes on where the last one ended
 * ({@link #continuesAt}) waits on a GET, for the index of an object it enters or for a chunk not
 * downloaded yet ({@link #late}, once a read), and halves each time a chunk fetched ahead for it
 * is dropped from the cache unread ({@link #wasted}). It never goes below the configured
 * prefetch, nor above its ceiling; a read fetches ahead no deeper than its share of the cache
 * among the readers reading at the time ({@link #chunksWithin}): readers that together prefetch
 * more than the cache holds push out each other's chunks before they are read. The share bounds
 * each read and leaves the depth as it is, so a partition read with five others, then alone,
 * goes at once as deep as it had grown. Thread-safe.
 */
public final class PrefetchDepth implements ChunkCache.Unread {
    private final int floor;
    private final int ceiling;
    private final AtomicInteger chunks;
    /** The reader whose depth a chunk dropped unread makes shallower: this one, or the one a {@link #firstRead} view is of. */
    private final PrefetchDepth owner;
    /** Whether it is a forward reader's own depth, counted among the readers sharing the cache. */
    private final boolean forward;
    private volatile long lastRead = Long.MIN_VALUE;
    /** The offset its reader's next read starts at if it reads on; -1 before its first read. */
    private volatile long next = -1;

    private PrefetchDepth(int floor, int ceiling, int initial, PrefetchDepth owner, boolean forward) {
        this.floor = floor;
        this.ceiling = Math.max(floor, ceiling);
        this.chunks = new AtomicInteger(Math.max(floor, Math.min(this.ceiling, initial)));
        this.owner = owner == null ? this : owner;
        this.forward = forward;
    }

    /** A forward reader's depth, from {@code floor} (the configured prefetch) to {@code ceiling}, starting at half the ceiling. */
    static PrefetchDepth forward(int floor, int ceiling) {
        return new PrefetchDepth(floor, ceiling, Math.max(floor, ceiling) / 2, null, true);
    }

    /** A depth that does not adapt: for reads that are not part of a forward scan. */
    static PrefetchDepth fixed(int chunks) {
        return new PrefetchDepth(chunks, chunks, chunks, null, false);
    }

    /**
     * The depth of a read that does not go on where this reader's last one ended (a new consumer
     * starting, a seek, a second group reading elsewhere): {@code chunks} deep (this depth within
     * the read's share of the cache), fixed, so that its waits leave this depth as it is; its
     * chunks dropped unread make this depth shallower, as a reader seeking about wastes prefetch.
     */
    PrefetchDepth firstRead(int chunks) {
        return new PrefetchDepth(chunks, chunks, chunks, this, false);
    }

    /** Whether it is a forward reader's own depth ({@link #forward}), not a fixed one or a view of one. */
    boolean isForward() {
        return forward;
    }

    /** The depth it has grown to; a read fetches ahead {@link #chunksWithin} its share of the cache. */
    public int chunks() {
        return chunks.get();
    }

    /** Chunks fetched ahead of a read now, within {@code limit} (its share of the cache), never fewer than configured. */
    int chunksWithin(int limit) {
        return Math.min(chunks.get(), Math.max(floor, limit));
    }

    /** A read waited for a chunk: the prefetch did not reach far enough ahead of it; twice as deep, within its ceiling. */
    void late() {
        chunks.updateAndGet(c -> Math.max(floor, Math.min(c * 2, ceiling)));
    }

    /** Whether a read at {@code offset} goes on where its reader's last one ended. */
    public boolean continuesAt(long offset) {
        return offset >= 0 && offset == next;
    }

    /** Its reader's last read ended before {@code offset} (-1: it served nothing). */
    public void readTo(long offset) {
        next = offset;
    }

    /** Its reader reads now; whether it had read at or after {@code nanos} before (else it starts to count as reading). */
    boolean reading(long now, long nanos) {
        boolean was = readSince(nanos);
        lastRead = now;
        return was;
    }

    /** Whether its reader read at or after {@code nanos}. */
    boolean readSince(long nanos) {
        return lastRead != Long.MIN_VALUE && lastRead - nanos >= 0;
    }

    /** A chunk fetched ahead was dropped before it was read: the readers' prefetch outgrew the cache. */
    void wasted() {
        owner.chunks.updateAndGet(c -> Math.max(owner.floor, c / 2));
    }

    @Override
    public void evictedUnread() {
        wasted();
    }
}
