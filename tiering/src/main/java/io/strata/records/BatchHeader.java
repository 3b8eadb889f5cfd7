package io.strata.records;

import java.nio.ByteBuffer;

/**
 * The fixed 61-byte header of a Kafka v2 record batch, read without touching the records:
 *
 * <pre>
 *  0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
 * 16 magic int8 | 17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 lastOffsetDelta int32
 * 27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
 * 53 baseSequence int32 | 57 recordCount int32 | 61 records…
 * </pre>
 *
 * Used to scan logs on disk (recovery, index rebuilds, offset lookups) one header at a time.
 * {@code marker} is null unless a scan also read a control batch's record ({@link #withMarker}).
 */
public record BatchHeader(long baseOffset, int batchLength, int partitionLeaderEpoch, byte magic,
                          short attributes, int lastOffsetDelta, long maxTimestamp, long producerId,
                          short producerEpoch, int baseSequence, int recordCount, TxnMarker marker) {

    public static final int SIZE = 61;
    /** Bytes before {@code batchLength}'s payload starts: baseOffset and batchLength themselves. */
    public static final int LOG_OVERHEAD = 12;

    /** Parses the header at {@code buf}'s position (absolute reads; the position is not moved). */
    public static BatchHeader parse(ByteBuffer buf) {
        int p = buf.position();
        return new BatchHeader(buf.getLong(p), buf.getInt(p + 8), buf.getInt(p + 12), buf.get(p + 16),
                buf.getShort(p + 21), buf.getInt(p + 23), buf.getLong(p + 35), buf.getLong(p + 43),
                buf.getShort(p + 51), buf.getInt(p + 53), buf.getInt(p + 57), null);
    }

    /** This header with the transaction marker its control batch carries (read from the record, which the header does not hold). */
    public BatchHeader withMarker(TxnMarker m) {
        return new BatchHeader(baseOffset, batchLength, partitionLeaderEpoch, magic, attributes, lastOffsetDelta, maxTimestamp,
                producerId, producerEpoch, baseSequence, recordCount, m);
    }

    public int totalSize() {
        return LOG_OVERHEAD + batchLength;
    }

    public long lastOffset() {
        return baseOffset + lastOffsetDelta;
    }

    public boolean isControl() {
        return (attributes & 0x20) != 0;
    }

    public boolean isLogAppendTime() {
        return (attributes & 0x08) != 0;
    }

    /** Whether its records are compressed (attributes' codec bits: 0 is none). */
    public boolean isCompressed() {
        return (attributes & 0x07) != 0;
    }

    public boolean isTransactional() {
        return (attributes & 0x10) != 0;
    }
}
