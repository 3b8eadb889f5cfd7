package io.strata.tiering.segment;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The fixed 64-byte footer that ends every sealed-segment object:
 *
 * <pre>
 *  0 magic int32 "STSG" | 4 version int16 | 6 flags int16 | 8 baseOffset int64 | 16 lastOffset int64
 * 24 minTimestamp int64 | 32 maxTimestamp int64 | 40 dataLength int64 | 48 offsetIndexLength int32
 * 52 timeIndexLength int32 | 56 leaderEpoch int32 | 60 crc int32
 * </pre>
 *
 * The object is {@code [record batches: dataLength][offset index][time index][footer]}; the
 * offset index holds (int relative offset, int position) pairs, the time index (long max
 * timestamp so far, int relative offset) pairs. A reader needs nothing but the object.
 *
 * <p>The CRC-32C covers footer bytes 0..59 and then both indexes (version 2), so an index bit
 * flip cannot send reads to the wrong place; version 1 objects (footer bytes only) stay
 * readable. {@code minTimestamp} is the smallest record timestamp of the segment.
 */
public record SegmentFooter(long baseOffset, long lastOffset, long minTimestamp, long maxTimestamp, long dataLength,
                            int offsetIndexLength, int timeIndexLength, int leaderEpoch) {
    public static final int SIZE = 64;
    static final int MAGIC = 0x53545347;
    static final short VERSION = 2;
    static final short VERSION_FOOTER_ONLY_CRC = 1;

    /** The footer bytes; the CRC covers them and the two indexes that precede the footer in the object. */
    public byte[] encode(ByteBuffer offsetIndex, ByteBuffer timeIndex) {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(baseOffset).putLong(lastOffset)
                .putLong(minTimestamp).putLong(maxTimestamp).putLong(dataLength).putInt(offsetIndexLength)
                .putInt(timeIndexLength).putInt(leaderEpoch);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 60);
        crc.update(offsetIndex.duplicate());
        crc.update(timeIndex.duplicate());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Parses a footer and checks its magic and version; {@code objectKey} only names the object
     * in errors. The CRC is checked by {@link #verify} once the indexes are read.
     */
    public static SegmentFooter decode(byte[] bytes, String objectKey) {
        if (bytes.length != SIZE) {
            throw new CorruptSegmentObjectException(objectKey, "footer is " + bytes.length + " bytes, expected " + SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt(0) != MAGIC) {
            throw new CorruptSegmentObjectException(objectKey, "not a Strata segment (bad magic)");
        }
        short version = b.getShort(4);
        if (version != VERSION && version != VERSION_FOOTER_ONLY_CRC) {
            throw new CorruptSegmentObjectException(objectKey, "unsupported segment format version " + version);
        }
        SegmentFooter f = new SegmentFooter(b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40),
                b.getInt(48), b.getInt(52), b.getInt(56));
        if (f.offsetIndexLength < 0 || f.timeIndexLength < 0 || f.dataLength < 0) {
            throw new CorruptSegmentObjectException(objectKey, "footer has negative lengths");
        }
        return f;
    }

    /**
     * Checks the CRC of {@code footerBytes} (as read) over the footer and the indexes.
     *
     * @throws CorruptSegmentObjectException on a mismatch
     */
    public static void verify(byte[] footerBytes, byte[] offsetIndex, byte[] timeIndex, String objectKey) {
        ByteBuffer b = ByteBuffer.wrap(footerBytes);
        CRC32C crc = new CRC32C();
        crc.update(footerBytes, 0, 60);
        if (b.getShort(4) != VERSION_FOOTER_ONLY_CRC) {
            crc.update(offsetIndex);
            crc.update(timeIndex);
        }
        if (b.getInt(60) != (int) crc.getValue()) {
            throw new CorruptSegmentObjectException(objectKey, "footer and index CRC mismatch");
        }
    }

    /**
     * The footer of an object read whole ({@code object} from its position to its limit), checked
     * as a footer read on its own is: its magic, the object's size it describes, and its CRC over
     * itself and the indexes.
     */
    public static SegmentFooter ofObject(ByteBuffer object, String objectKey) {
        return ofObjectEnd(object, object.remaining(), objectKey);
    }

    /**
     * As {@link #ofObject}, from the object's last bytes ({@code end} from its position to its
     * limit) of an object of {@code objectSize}: they must hold the footer and both indexes.
     */
    public static SegmentFooter ofObjectEnd(ByteBuffer end, long objectSize, String objectKey) {
        ByteBuffer o = end.slice();
        if (o.remaining() < SIZE) {
            throw new CorruptSegmentObjectException(objectKey, "object of " + o.remaining() + " bytes is shorter than its footer");
        }
        byte[] footer = new byte[SIZE];
        o.get(o.remaining() - SIZE, footer);
        SegmentFooter f = decode(footer, objectKey);
        if (f.objectSize() != objectSize) {
            throw new CorruptSegmentObjectException(objectKey, "footer describes " + f.objectSize() + " bytes, object has " + objectSize);
        }
        long from = objectSize - o.remaining();
        if (f.offsetIndexPosition() < from) {
            throw new CorruptSegmentObjectException(objectKey, "its data ends at " + f.dataLength + ", before the " + o.remaining()
                    + " bytes read from its end (at " + from + ")");
        }
        byte[] offsetIndex = new byte[f.offsetIndexLength];
        byte[] timeIndex = new byte[f.timeIndexLength];
        o.get((int) (f.offsetIndexPosition() - from), offsetIndex);
        o.get((int) (f.timeIndexPosition() - from), timeIndex);
        verify(footer, offsetIndex, timeIndex, objectKey);
        return f;
    }

    public long offsetIndexPosition() {
        return dataLength;
    }

    public long timeIndexPosition() {
        return dataLength + offsetIndexLength;
    }

    public long objectSize() {
        return dataLength + offsetIndexLength + timeIndexLength + SIZE;
    }
}
