package io.strata.records;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Record batches whose headers or records lie, each with its CRC recomputed so only a validator
 * that reads past the checksum can tell: what a hostile or buggy producer can send.
 */
public final class HostileBatches {
    /** Byte positions in a v2 batch header (see {@link BatchHeader}). */
    static final int BASE_OFFSET = 0;
    static final int ATTRIBUTES = 21;
    static final int LAST_OFFSET_DELTA = 23;
    static final int RECORD_COUNT = 57;

    private HostileBatches() {
    }

    /** Three records with values v0..v2 and timestamps {@code ts, ts+1, ts+2}. */
    public static ByteBuffer valid(Compression compression, long ts) {
        SimpleRecord[] records = new SimpleRecord[3];
        for (int i = 0; i < records.length; i++) {
            records[i] = new SimpleRecord(ts + i, ("k" + i).getBytes(), ("v" + i).getBytes());
        }
        ByteBuffer b = MemoryRecords.withRecords(compression, records).buffer();
        ByteBuffer copy = ByteBuffer.allocate(b.remaining());
        copy.put(b.duplicate()).flip();
        return copy;
    }

    /** Recomputes the CRC-32C over bytes 21..end, as a client would. */
    public static ByteBuffer withCrc(ByteBuffer batch) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = batch.duplicate();
        covered.position(ATTRIBUTES);
        crc.update(covered);
        batch.putInt(17, (int) crc.getValue());
        return batch;
    }

    public static ByteBuffer withLastOffsetDelta(ByteBuffer batch, int delta) {
        batch.putInt(LAST_OFFSET_DELTA, delta);
        return withCrc(batch);
    }

    public static ByteBuffer withRecordCount(ByteBuffer batch, int count) {
        batch.putInt(RECORD_COUNT, count);
        return withCrc(batch);
    }

    /** The first record's length varint (one byte for these small records) raised by {@code extra}. */
    public static ByteBuffer withInflatedFirstRecordLength(ByteBuffer batch, int extra) {
        int zigzag = batch.get(BatchHeader.SIZE) & 0xff;
        int length = zigzag >>> 1;
        int inflated = length + extra;
        if (inflated > 63) {
            throw new IllegalArgumentException("keep the varint one byte");
        }
        batch.put(BatchHeader.SIZE, (byte) (inflated << 1));
        return withCrc(batch);
    }

    /**
     * Sets the offset delta of record {@code index} (uncompressed, small records: the length,
     * attributes, timestamp delta and offset delta are one byte each).
     */
    public static ByteBuffer withRecordOffsetDelta(ByteBuffer batch, int index, int offsetDelta) {
        int pos = BatchHeader.SIZE;
        for (int i = 0; i < index; i++) {
            pos += 1 + ((batch.get(pos) & 0xff) >>> 1);
        }
        // length(1) attributes(1) timestampDelta(1) offsetDelta(1)
        batch.put(pos + 3, (byte) (offsetDelta << 1));
        return withCrc(batch);
    }

    /** Overwrites the compressed records region with bytes that decompress to nonsense or not at all. */
    public static ByteBuffer withGarbageRecords(ByteBuffer batch, long seed) {
        java.util.Random r = new java.util.Random(seed);
        for (int p = BatchHeader.SIZE + 8; p < batch.limit(); p++) {
            batch.put(p, (byte) r.nextInt());
        }
        return withCrc(batch);
    }

    public static ByteBuffer withBaseOffset(ByteBuffer batch, long baseOffset) {
        batch.putLong(BASE_OFFSET, baseOffset);
        return batch; // the CRC does not cover the base offset
    }

    public static ByteBuffer withControlFlag(ByteBuffer batch) {
        batch.putShort(ATTRIBUTES, (short) (batch.getShort(ATTRIBUTES) | 0x20));
        return withCrc(batch);
    }

    /**
     * The hostile cases the storage-safety review tried, by name, each with the Kafka error it
     * must get: every one is a well-formed batch whose CRC is right.
     */
    public static Map<String, Case> reviewCases(long nowMs) {
        Map<String, Case> cases = new LinkedHashMap<>();
        cases.put("negative lastOffsetDelta", new Case(withLastOffsetDelta(valid(Compression.NONE, nowMs), -1), "INVALID_RECORD"));
        cases.put("huge lastOffsetDelta", new Case(withLastOffsetDelta(valid(Compression.NONE, nowMs), Integer.MAX_VALUE - 1), "INVALID_RECORD"));
        cases.put("lastOffsetDelta past the records", new Case(withLastOffsetDelta(valid(Compression.NONE, nowMs), 5), "INVALID_RECORD"));
        cases.put("record count too small", new Case(withRecordCount(valid(Compression.NONE, nowMs), 2), "INVALID_RECORD"));
        cases.put("record count and delta both claim 4",
                new Case(withRecordCount(withLastOffsetDelta(valid(Compression.NONE, nowMs), 3), 4), "INVALID_RECORD"));
        cases.put("inflated record length", new Case(withInflatedFirstRecordLength(valid(Compression.NONE, nowMs), 5), "INVALID_RECORD"));
        cases.put("lz4 batch with lastOffsetDelta -1",
                new Case(withLastOffsetDelta(valid(Compression.lz4().build(), nowMs), -1), "INVALID_RECORD"));
        cases.put("lz4 batch claiming a fourth record it does not hold",
                new Case(withRecordCount(withLastOffsetDelta(valid(Compression.lz4().build(), nowMs), 3), 4), "INVALID_RECORD"));
        cases.put("record offset deltas out of order", new Case(withRecordOffsetDelta(valid(Compression.NONE, nowMs), 1, 7), "INVALID_RECORD"));
        cases.put("compressed garbage", new Case(withGarbageRecords(valid(Compression.gzip().build(), nowMs), 42), "CORRUPT_MESSAGE"));
        cases.put("control batch from a client", new Case(withControlFlag(valid(Compression.NONE, nowMs)), "INVALID_RECORD"));
        cases.put("non-zero base offset", new Case(withBaseOffset(valid(Compression.NONE, nowMs), 1000), "INVALID_RECORD"));
        cases.put("timestamp two hours ahead", new Case(valid(Compression.NONE, nowMs + 7_200_000), "INVALID_TIMESTAMP"));
        return cases;
    }

    /** One hostile batch and the name of the {@code Errors} constant it must get. */
    public record Case(ByteBuffer batch, String error) {
    }
}
