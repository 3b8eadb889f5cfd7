package io.strata.tiering.segment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded cache of fixed-size object chunks (objects are immutable, so a chunk never goes
 * stale). A chunk fetched ahead for a reader is put with that reader as its owner, who is told
 * if the chunk is dropped to make room before anyone read it. To make room it drops, least
 * recently used first: chunks fetched ahead and not read yet while they hold more than three
 * quarters of the cache (the readers' shares of prefetch divide half of it, and the reads' own
 * next chunks, fetched ahead of the requests for them, take some more: past that, the oldest are
 * typically a stopped reader's or a seek's); then chunks read (or fetched for a read); then
 * chunks fetched ahead, only when no other is left. A chunk a consumer is partway through was
 * used last, and goes last of those read. With least recently used alone, six partitions read
 * together pushed out the chunks fetched ahead for the slowest of them, each drop halving its
 * prefetch and each chunk fetched again, while the cache held chunks every reader had gone past.
 * Thread-safe.
 */
public final class ChunkCache {
    /** The owner of a chunk fetched ahead, told when it is dropped unread. */
    public interface Unread {
        void evictedUnread();
    }

    /** The owner of a chunk that came ahead of its reads with no reader to tell (the object's tail, with its index). */
    public static final Unread NO_READER = () -> { };

    private static final class Entry {
        final byte[] bytes;
        /** Who fetched it ahead, until it is read; null then, or when it was fetched for a read. */
        Unread owner;

        Entry(byte[] bytes, Unread owner) {
            this.bytes = bytes;
            this.owner = owner;
        }
    }

    private final long maxBytes;
    private long bytes;
    private long unread;
    private final LinkedHashMap<String, Entry> chunks = new LinkedHashMap<>(64, 0.75f, true);

    public ChunkCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The chunk, if cached, which counts as read. */
    public synchronized byte[] get(String key) {
        Entry e = chunks.get(key);
        if (e == null) {
            return null;
        }
        read(e);
        return e.bytes;
    }

    /** A read has the chunk's bytes from its load rather than from here: it no longer counts as unread. */
    public synchronized void markRead(String key) {
        Entry e = chunks.get(key);
        if (e != null) {
            read(e);
        }
    }

    private void read(Entry e) {
        if (e.owner != null) {
            e.owner = null;
            unread -= e.bytes.length;
        }
    }

    /** Bytes of chunks fetched ahead and not read yet. */
    public synchronized long unreadBytes() {
        return unread;
    }

    public synchronized boolean contains(String key) {
        return chunks.containsKey(key);
    }

    public void put(String key, byte[] chunk) {
        put(key, chunk, null);
    }

    /** Caches {@code chunk}; {@code owner}, if any, is told should it be dropped before it is read. */
    public void put(String key, byte[] chunk, Unread owner) {
        List<Unread> dropped = new ArrayList<>(0);
        synchronized (this) {
            Entry old = chunks.put(key, new Entry(chunk, owner));
            bytes += chunk.length - (old == null ? 0 : old.bytes.length);
            unread += (owner == null ? 0 : chunk.length) - (old == null || old.owner == null ? 0 : old.bytes.length);
            evict(key, Drop.UNREAD_PAST_LIMIT, dropped);
            evict(key, Drop.READ, dropped);
            evict(key, Drop.ANY, dropped);
        }
        // Told outside the lock: an owner may read or fetch again.
        dropped.forEach(Unread::evictedUnread);
    }

    /** Which chunks one pass of {@link #evict} drops. */
    private enum Drop { UNREAD_PAST_LIMIT, READ, ANY }

    /**
     * Drops chunks of the kind {@code which}, least recently used first, until the cache is within
     * its bound (for {@link Drop#UNREAD_PAST_LIMIT}, or its unread chunks within three quarters of
     * it); never {@code keep}, the one just put.
     */
    private void evict(String keep, Drop which, List<Unread> dropped) {
        var it = chunks.entrySet().iterator();
        while (bytes > maxBytes && (which != Drop.UNREAD_PAST_LIMIT || unread > maxBytes * 3 / 4) && it.hasNext()) {
            Map.Entry<String, Entry> e = it.next();
            boolean isUnread = e.getValue().owner != null;
            if (e.getKey().equals(keep) || which == Drop.READ && isUnread || which == Drop.UNREAD_PAST_LIMIT && !isUnread) {
                continue;
            }
            bytes -= e.getValue().bytes.length;
            if (isUnread) {
                unread -= e.getValue().bytes.length;
                dropped.add(e.getValue().owner);
            }
            it.remove();
        }
    }

    public synchronized long sizeInBytes() {
        return bytes;
    }
}
