package io.strata.records;

import java.nio.ByteBuffer;

/**
 * One sparse index of a segment ({@link BatchIndex} keeps two), kept off the Java heap in a
 * direct buffer that doubles as it fills: entries of {@code (long key, int value)}, appended in
 * ascending key order. With one entry per {@code index.interval.bytes} of batches its size is a
 * fixed fraction of the segment's (12 bytes per 4 KiB by default), and the heap holds no
 * per-batch state for thousands of partitions' segments.
 *
 * <p>Not thread-safe: the owner synchronizes.
 */
final class SparseIndex {
    private static final int ENTRY = 12;
    private ByteBuffer entries;
    private int count;

    SparseIndex() {
        this(16);
    }

    /** Room for {@code entries} before the buffer first grows (an index loaded whole knows its size). */
    SparseIndex(int entries) {
        this.entries = ByteBuffer.allocateDirect(Math.max(1, entries) * ENTRY);
    }

    void append(long key, int value) {
        if ((count + 1) * ENTRY > entries.capacity()) {
            ByteBuffer bigger = ByteBuffer.allocateDirect(entries.capacity() * 2);
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
