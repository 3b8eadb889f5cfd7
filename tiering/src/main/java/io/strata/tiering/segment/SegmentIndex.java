package io.strata.tiering.segment;

import java.nio.ByteBuffer;

/** A sealed segment's footer and both indexes, loaded once per object and then kept. Immutable. */
public final class SegmentIndex {
    private final SegmentFooter footer;
    private final int[] rel;
    private final int[] pos;
    private final long[] timeTs;
    private final int[] timeRel;

    SegmentIndex(SegmentFooter footer, byte[] offsetIndex, byte[] timeIndex) {
        this.footer = footer;
        ByteBuffer o = ByteBuffer.wrap(offsetIndex);
        rel = new int[offsetIndex.length / 8];
        pos = new int[rel.length];
        for (int i = 0; i < rel.length; i++) {
            rel[i] = o.getInt();
            pos[i] = o.getInt();
        }
        ByteBuffer t = ByteBuffer.wrap(timeIndex);
        timeTs = new long[timeIndex.length / 12];
        timeRel = new int[timeTs.length];
        for (int i = 0; i < timeTs.length; i++) {
            timeTs[i] = t.getLong();
            timeRel[i] = t.getInt();
        }
    }

    public SegmentFooter footer() {
        return footer;
    }

    /** The position of the last indexed batch starting at or before {@code offset}. */
    public long positionFloor(long offset) {
        long r = offset - footer.baseOffset();
        int lo = 0;
        int hi = rel.length - 1;
        long found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (rel[mid] <= r) {
                found = pos[mid];
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** An offset from which to scan for the first record at or after {@code timestamp}. */
    public long scanStartForTimestamp(long timestamp) {
        for (int i = 0; i < timeTs.length; i++) {
            if (timeTs[i] >= timestamp) {
                return i == 0 ? footer.baseOffset() : footer.baseOffset() + timeRel[i - 1];
            }
        }
        return -1;
    }
}
