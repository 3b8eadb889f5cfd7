package io.strata.tiering.segment;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The fixed 64-byte footer that ends every sealed-segment object:
 *
 * <pre>
 *  0 magic int32 "STSG" | 4 version int16 | 6 flags int16 | 8 baseOffset int64 | 16 lastOffset int64
 * 24 minTimestamp int64 | 32 maxTimestamp int64 | 40 dataLength int64 | 48 offsetIndexLength int32
 * 52 timeIndexLength int32 | 56 leaderEpoch int32 | 60 crc int32 (CRC-32C of bytes 0..59)
 * </pre>
 *
 * The object is {@code [record batches: dataLength][offset index][time index][footer]}; the
 * offset index holds (int relative offset, int position) pairs, the time index (long max
 * timestamp so far, int relative offset) pairs. A reader needs nothing but the object.
 */
public record SegmentFooter(long baseOffset, long lastOffset, long minTimestamp, long maxTimestamp, long dataLength,
                            int offsetIndexLength, int timeIndexLength, int leaderEpoch) {
    public static final int SIZE = 64;
    static final int MAGIC = 0x53545347;
    static final short VERSION = 1;

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putLong(baseOffset).putLong(lastOffset)
                .putLong(minTimestamp).putLong(maxTimestamp).putLong(dataLength).putInt(offsetIndexLength)
                .putInt(timeIndexLength).putInt(leaderEpoch);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 60);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Parses and checks a footer; {@code objectKey} only names the object in errors. */
    public static SegmentFooter decode(byte[] bytes, String objectKey) {
        if (bytes.length != SIZE) {
            throw new CorruptSegmentObjectException(objectKey, "footer is " + bytes.length + " bytes, expected " + SIZE);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 60);
        if (b.getInt(0) != MAGIC) {
            throw new CorruptSegmentObjectException(objectKey, "not a Strata segment (bad magic)");
        }
        if (b.getInt(60) != (int) crc.getValue()) {
            throw new CorruptSegmentObjectException(objectKey, "footer CRC mismatch");
        }
        short version = b.getShort(4);
        if (version != VERSION) {
            throw new CorruptSegmentObjectException(objectKey, "unsupported segment format version " + version);
        }
        return new SegmentFooter(b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getLong(40),
                b.getInt(48), b.getInt(52), b.getInt(56));
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
