package io.strata.tiering.segment;

import io.strata.records.BatchIndex;

import java.nio.ByteBuffer;

/**
 * A sealed segment's footer and both indexes, loaded once per object and then kept: the same
 * {@link BatchIndex} a local segment keeps, read from the object's index region. Immutable once
 * built (nothing adds to its index), so its lookups may run on any thread at once.
 */
public final class SegmentIndex {
    private final SegmentFooter footer;
    private final BatchIndex index;

    SegmentIndex(SegmentFooter footer, byte[] offsetIndex, byte[] timeIndex) {
        this.footer = footer;
        this.index = BatchIndex.read(footer.baseOffset(), ByteBuffer.wrap(offsetIndex), ByteBuffer.wrap(timeIndex));
    }

    public SegmentFooter footer() {
        return footer;
    }

    /** The position of the last indexed batch starting at or before {@code offset}. */
    public long positionFloor(long offset) {
        return index.positionFloor(offset);
    }

    /** An offset from which to scan for the first record at or after {@code timestamp}, or -1 when none reaches it. */
    public long scanStartForTimestamp(long timestamp) {
        return index.scanStartForTimestamp(timestamp);
    }
}
