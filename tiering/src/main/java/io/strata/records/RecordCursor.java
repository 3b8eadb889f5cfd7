package io.strata.records;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The records of one uncompressed v2 batch, read where they lie, one at a time: each record's
 * offset and timestamp, and its key and value as read-only views of the batch's bytes. The
 * replay's inner loop: Kafka's iterator ({@code DefaultRecord.readFrom}) makes a record object and
 * two views per record and reads its varints through the buffer's position, which made a third of
 * the CPU a replay spent on its own threads (47 of 124 ms per 300 MB, most of it reading varints);
 * this reads them with absolute gets and makes only the views asked for. A compressed batch has to
 * be decompressed first ({@link #readable} says no): Kafka's iterator does that. The batch is
 * trusted only as far as its CRC goes: a record that runs past its batch, whose fields do not
 * fill exactly the length it gives, or whose offset does not follow the one before within the
 * header's, and bytes after the last record, are reported, not read past.
 */
public final class RecordCursor {
    private static final int RECORDS_START = BatchHeader.SIZE;
    /** Where the header keeps the base timestamp ({@link BatchHeader}'s layout; the parsed header does not carry it). */
    private static final int BASE_TIMESTAMP = 27;

    private final ByteBuffer batch;
    private final long baseOffset;
    private final long baseTimestamp;
    private final boolean logAppendTime;
    private final long maxTimestamp;
    private final int end;
    private final int lastOffsetDelta;
    private int left;
    private int pos;
    /** The last record's offset delta: each next one is larger (compaction leaves gaps), none past the header's last. */
    private int lastDelta = -1;

    private long offset;
    private long timestamp;
    private int keyAt;
    private int keyLength;
    private int valueAt;
    private int valueLength;
    private int headersAt;
    private int headerCount;

    /** Whether the batch at {@code batch}'s position can be read in place: a v2 batch with no compression. */
    public static boolean readable(ByteBuffer batch) {
        return readable(BatchHeader.parse(batch));
    }

    /** Whether a batch with this header can be read in place. */
    public static boolean readable(BatchHeader header) {
        return header.magic() == Batches.CURRENT_MAGIC && !header.isCompressed();
    }

    /** {@code batch}: one whole batch from its position to its limit ({@link #readable} ones only). */
    public RecordCursor(ByteBuffer batch) {
        this(batch, headerOf(batch));
    }

    /** As {@link #RecordCursor(ByteBuffer)}, with its header already parsed. */
    public RecordCursor(ByteBuffer batch, BatchHeader header) {
        if (!readable(header)) {
            throw new IllegalArgumentException("not an uncompressed v2 batch");
        }
        this.batch = batch.slice().asReadOnlyBuffer();
        this.end = this.batch.limit();
        this.baseOffset = header.baseOffset();
        this.baseTimestamp = this.batch.getLong(BASE_TIMESTAMP);
        this.maxTimestamp = header.maxTimestamp();
        this.logAppendTime = header.isLogAppendTime();
        this.lastOffsetDelta = header.lastOffsetDelta();
        this.left = header.recordCount();
        this.pos = RECORDS_START;
        if (left < 0) {
            throw corrupt("a header that counts " + left + " records");
        }
    }

    private static BatchHeader headerOf(ByteBuffer batch) {
        if (batch.remaining() < RECORDS_START) {
            throw new InvalidBatchException(org.apache.kafka.common.protocol.Errors.CORRUPT_MESSAGE,
                    "a batch of " + batch.remaining() + " bytes, shorter than its header");
        }
        return BatchHeader.parse(batch);
    }

    /** Moves to the next record; false after the last one the batch counts. */
    public boolean next() {
        if (left == 0) {
            if (pos != end) {
                // Kafka's iterator and the broker's validator refuse bytes after the last record the header counts.
                throw corrupt((end - pos) + " bytes after its last record");
            }
            return false;
        }
        int length = readVarint();
        int start = pos;
        if (length < 0 || length > end - start) {
            throw corrupt("a record of " + length + " bytes where " + (end - start) + " are left");
        }
        pos++; // attributes: unused in v2
        long timestampDelta = readVarlong();
        int delta = readVarint();
        if (delta <= lastDelta || delta > lastOffsetDelta) {
            throw corrupt("a record whose offset delta " + delta + " does not follow " + lastDelta + " within " + lastOffsetDelta);
        }
        lastDelta = delta;
        offset = baseOffset + delta;
        timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
        keyLength = readVarint();
        keyAt = pos;
        skip(keyLength);
        valueLength = readVarint();
        valueAt = pos;
        skip(valueLength);
        headerCount = readVarint();
        if (headerCount < 0) {
            throw corrupt("a record with " + headerCount + " headers");
        }
        headersAt = pos;
        for (int i = 0; i < headerCount; i++) {
            int k = readVarint();
            if (k < 0) {
                throw corrupt("a header whose key has " + k + " bytes");
            }
            skip(k);
            skip(readVarint());
        }
        if (pos - start != length) {
            throw corrupt("a record that says it has " + length + " bytes and has " + (pos - start));
        }
        left--;
        return true;
    }

    public long offset() {
        return offset;
    }

    public long timestamp() {
        return timestamp;
    }

    /** The key, read-only, where it lies; null when the record has none. */
    public ByteBuffer key() {
        return keyLength < 0 ? null : batch.slice(keyAt, keyLength);
    }

    /** The value, read-only, where it lies; null when the record has none. */
    public ByteBuffer value() {
        return valueLength < 0 ? null : batch.slice(valueAt, valueLength);
    }

    /**
     * The batch the cursor reads, read-only, from its first byte: {@link #keyAt}/{@link #valueAt}
     * are positions in it. For a reader that makes the key's and value's views later, or never.
     * Shared with the cursor (and whatever keeps it): read it with absolute gets and slices only,
     * never moving its position or limit.
     */
    public ByteBuffer batch() {
        return batch;
    }

    /** Where the key starts in {@link #batch()}. */
    public int keyAt() {
        return keyAt;
    }

    /** The key's length; -1 when the record has none. */
    public int keyLength() {
        return keyLength;
    }

    /** Where the value starts in {@link #batch()}. */
    public int valueAt() {
        return valueAt;
    }

    /** The value's length; -1 when the record has none. */
    public int valueLength() {
        return valueLength;
    }

    public int keySize() {
        return Math.max(0, keyLength);
    }

    public int valueSize() {
        return Math.max(0, valueLength);
    }

    /** The headers, copied out (a header's null value as an empty one); an empty list for none, without a copy. */
    public List<Map.Entry<String, byte[]>> headers() {
        if (headerCount == 0) {
            return List.of();
        }
        List<Map.Entry<String, byte[]>> out = new ArrayList<>(headerCount);
        int saved = pos;
        pos = headersAt;
        for (int i = 0; i < headerCount; i++) {
            int k = readVarint();
            byte[] key = new byte[k];
            batch.get(pos, key);
            pos += k;
            int v = readVarint();
            byte[] value = new byte[Math.max(0, v)];
            if (v > 0) {
                batch.get(pos, value);
                pos += v;
            }
            out.add(Map.entry(new String(key, StandardCharsets.UTF_8), value));
        }
        pos = saved;
        return out;
    }

    /** Steps over {@code n} bytes (a length of -1: a null field, nothing to step over). */
    private void skip(int n) {
        if (n < -1 || n > end - pos) {
            throw corrupt("a field of " + n + " bytes where " + (end - pos) + " are left");
        }
        if (n > 0) {
            pos += n;
        }
    }

    private byte nextByte() {
        if (pos >= end) {
            throw corrupt("a record cut at the batch's end");
        }
        return batch.get(pos++);
    }

    /** A zigzag varint, as Kafka writes lengths and deltas. */
    private int readVarint() {
        int raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte b = nextByte();
            raw |= (b & 0x7f) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw corrupt("a varint longer than 5 bytes");
    }

    private long readVarlong() {
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            byte b = nextByte();
            raw |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw corrupt("a varlong longer than 10 bytes");
    }

    private InvalidBatchException corrupt(String what) {
        return new InvalidBatchException(org.apache.kafka.common.protocol.Errors.CORRUPT_MESSAGE,
                "batch at offset " + baseOffset + " holds " + what);
    }
}
