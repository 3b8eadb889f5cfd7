package io.strata.records;

import java.nio.ByteBuffer;

/**
 * One sparse index of a segment ({@link BatchIndex} keeps two): entries of
 * {@code (long key, int value)}, appended in ascending key order, in a buffer that doubles as it
 * fills. A local segment's grows off the Java heap (a direct buffer): with one entry per
 * {@code index.interval.bytes} of batches its size is a fixed fraction of the segment's (12 bytes
 * per 4 KiB by default), and the heap holds no per-batch state for thousands of partitions'
 * segments. A segment object's, loaded whole into a cache that drops them, is on the heap, where
 * a dropped one is freed by the next collection rather than by a direct buffer's cleaner.
 *
 * <p>Appends are not thread-safe (the owner synchronizes); lookups only read, so an index no
 * longer appended to may be read from any thread.
 */
final class SparseIndex {
    private static final int ENTRY = 12;
    private ByteBuffer entries;
    private int count;

    private final boolean direct;

    /** An index that grows off the heap (a local segment's). */
    SparseIndex() {
        this.direct = true;
        this.entries = ByteBuffer.allocateDirect(16 * ENTRY);
    }

    /** An index on the heap with room for {@code entries} (a segment object's, loaded whole). */
    SparseIndex(int entries) {
        this.direct = false;
        this.entries = ByteBuffer.allocate(Math.max(1, entries) * ENTRY);
    }

    void append(long key, int value) {
        if ((count + 1) * ENTRY > entries.capacity()) {
            ByteBuffer bigger = direct ? ByteBuffer.allocateDirect(entries.capacity() * 2) : ByteBuffer.allocate(entries.capacity() * 2);
            ByteBuffer old = entries.duplicate();
            old.position(0).limit(count * ENTRY);
            bigger.put(old);
            entries = bigger;
        }
        entries.putLong(count * ENTRY, key).putInt(count * ENTRY + 8, value);
        count++;
    }

    int size() {
        return count;
    }

    long key(int i) {
        return entries.getLong(i * ENTRY);
    }

    int value(int i) {
        return entries.getInt(i * ENTRY + 8);
    }

    /** The index of the last entry whose key is at most {@code key}, or -1. */
    int floor(long key) {
        int lo = 0;
        int hi = count - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (key(mid) <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** The index of the first entry whose key is at least {@code key}, or -1. */
    int ceiling(long key) {
        int lo = 0;
        int hi = count - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (key(mid) >= key) {
                found = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return found;
    }

    void clear() {
        count = 0;
    }
}
