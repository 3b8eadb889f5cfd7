package io.strata.records;

import java.nio.ByteBuffer;

/**
 * The two sparse indexes of a segment's batches, as both tiers keep them: a local segment in
 * memory, rebuilt from its batch headers at open, and a segment object in its index region.
 * <ul>
 *   <li>offsets: (offset relative to the segment's base, byte position of the batch), an entry
 *       for the first batch and then for the first batch after each {@code offsetIntervalBytes};</li>
 *   <li>time: (largest timestamp so far, relative offset of the batch that raised it), an entry
 *       for a batch that raises the largest timestamp once {@code timeIntervalBytes} have passed
 *       since the last entry (0: every such batch).</li>
 * </ul>
 * In a segment object's index region an offset entry is 8 bytes ({@code int} relative offset,
 * {@code int} position) and a time entry 12 ({@code long} timestamp, {@code int} relative offset),
 * big-endian, one after another.
 *
 * <p>Threading: an index still taking batches is the owner's to synchronize, lookups included;
 * one {@link #read} from an object takes none and may be looked up from any thread at once.
 */
public final class BatchIndex {
    private static final int OFFSET_ENTRY = 8;
    private static final int TIME_ENTRY = 12;
    private final long baseOffset;
    private final int offsetIntervalBytes;
    private final int timeIntervalBytes;
    private final SparseIndex offsets;
    private final SparseIndex times;
    private long maxTimestamp = -1;
    private long bytesSinceOffsetEntry;
    private long bytesSinceTimeEntry;

    public BatchIndex(long baseOffset, int offsetIntervalBytes, int timeIntervalBytes) {
        this(baseOffset, offsetIntervalBytes, timeIntervalBytes, new SparseIndex(), new SparseIndex());
    }

    private BatchIndex(long baseOffset, int offsetIntervalBytes, int timeIntervalBytes, SparseIndex offsets, SparseIndex times) {
        this.baseOffset = baseOffset;
        this.offsetIntervalBytes = offsetIntervalBytes;
        this.timeIntervalBytes = timeIntervalBytes;
        this.offsets = offsets;
        this.times = times;
    }

    /**
     * The indexes of a segment object, from its index region ({@code offsetEntries} and
     * {@code timeEntries} in the layout above, read to their limits); it takes no more entries.
     */
    public static BatchIndex read(long baseOffset, ByteBuffer offsetEntries, ByteBuffer timeEntries) {
        ByteBuffer o = offsetEntries.duplicate();
        ByteBuffer t = timeEntries.duplicate();
        SparseIndex offsets = new SparseIndex(o.remaining() / OFFSET_ENTRY);
        SparseIndex times = new SparseIndex(t.remaining() / TIME_ENTRY);
        while (o.remaining() >= OFFSET_ENTRY) {
            int rel = o.getInt();
            offsets.append(rel, o.getInt());
        }
        long max = -1;
        while (t.remaining() >= TIME_ENTRY) {
            long ts = t.getLong();
            times.append(ts, t.getInt());
            max = Math.max(max, ts);
        }
        BatchIndex index = new BatchIndex(baseOffset, Integer.MAX_VALUE, Integer.MAX_VALUE, offsets, times);
        index.maxTimestamp = max;
        return index;
    }

    /** Indexes the batch of {@code length} bytes at {@code position}, after every batch before it. */
    public void add(long firstOffset, long batchMaxTimestamp, long position, int length) {
        if (offsets.size() == 0 || bytesSinceOffsetEntry >= offsetIntervalBytes) {
            offsets.append(firstOffset - baseOffset, (int) position);
            bytesSinceOffsetEntry = 0;
        }
        bytesSinceOffsetEntry += length;
        if (batchMaxTimestamp > maxTimestamp) {
            maxTimestamp = batchMaxTimestamp;
            if (times.size() == 0 || bytesSinceTimeEntry >= timeIntervalBytes) {
                times.append(batchMaxTimestamp, (int) (firstOffset - baseOffset));
                bytesSinceTimeEntry = 0;
            }
        }
        bytesSinceTimeEntry += length;
    }

    /** The largest batch timestamp added (-1: none). */
    public long maxTimestamp() {
        return maxTimestamp;
    }

    /** Forgets every entry (a truncation re-adds the batches it keeps). */
    public void clear() {
        offsets.clear();
        times.clear();
        maxTimestamp = -1;
        bytesSinceOffsetEntry = 0;
        bytesSinceTimeEntry = 0;
    }

    /** The position of the last indexed batch starting at or before {@code offset} (0: scan from the start). */
    public long positionFloor(long offset) {
        int i = offsets.floor(offset - baseOffset);
        return i < 0 ? 0 : offsets.value(i);
    }

    /**
     * An offset from which a forward scan finds the first record with a timestamp at or after
     * {@code timestamp}, or -1 when no batch indexed reaches it.
     */
    public long scanStartForTimestamp(long timestamp) {
        int i = times.ceiling(timestamp);
        if (i >= 0) {
            // Entry i is the first to reach the timestamp; a batch between the entry before it and it may already.
            return i == 0 ? baseOffset : baseOffset + times.value(i - 1);
        }
        // The index is sparse: a batch after its last entry may reach the timestamp.
        return times.size() == 0 || maxTimestamp < timestamp ? -1 : baseOffset + times.value(times.size() - 1);
    }

    /** The offset index in a segment object's layout, positioned to be written. */
    public ByteBuffer offsetEntries() {
        ByteBuffer out = ByteBuffer.allocate(offsets.size() * OFFSET_ENTRY);
        for (int i = 0; i < offsets.size(); i++) {
            out.putInt((int) offsets.key(i)).putInt(offsets.value(i));
        }
        return out.flip();
    }

    /** The time index in a segment object's layout, positioned to be written. */
    public ByteBuffer timeEntries() {
        ByteBuffer out = ByteBuffer.allocate(times.size() * TIME_ENTRY);
        for (int i = 0; i < times.size(); i++) {
            out.putLong(times.key(i)).putInt(times.value(i));
        }
        return out.flip();
    }
}
