package io.strata.records;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordCursorTest {

    /** What Kafka's iterator reads from a batch, and what the cursor reads, in the same form. */
    private static List<String> kafka(ByteBuffer batch) {
        List<String> out = new ArrayList<>();
        for (MutableRecordBatch b : MemoryRecords.readableRecords(batch.duplicate()).batches()) {
            for (Record r : b) {
                List<Map.Entry<String, byte[]>> hs = new ArrayList<>();
                for (Header h : r.headers()) {
                    hs.add(Map.entry(h.key(), h.value() == null ? new byte[0] : h.value()));
                }
                out.add(describe(r.offset(), r.timestamp(), r.key(), r.value(), hs));
            }
        }
        return out;
    }

    private static List<String> cursor(ByteBuffer batch) {
        List<String> out = new ArrayList<>();
        RecordCursor c = new RecordCursor(batch.duplicate());
        while (c.next()) {
            assertThat(c.keySize()).isEqualTo(c.key() == null ? 0 : c.key().remaining());
            assertThat(c.valueSize()).isEqualTo(c.value() == null ? 0 : c.value().remaining());
            assertThat(c.value() == null || c.value().isReadOnly()).as("views are read-only").isTrue();
            out.add(describe(c.offset(), c.timestamp(), c.key(), c.value(), c.headers()));
        }
        return out;
    }

    private static String describe(long offset, long ts, ByteBuffer key, ByteBuffer value, List<Map.Entry<String, byte[]>> headers) {
        StringBuilder s = new StringBuilder(offset + "@" + ts + " " + text(key) + "=" + text(value));
        headers.forEach(h -> s.append(" ").append(h.getKey()).append(":").append(new String(h.getValue(), StandardCharsets.UTF_8)));
        return s.toString();
    }

    private static String text(ByteBuffer b) {
        if (b == null) {
            return "null";
        }
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ByteBuffer batch(TimestampType type, long logAppendTime, SimpleRecord... records) {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(1 << 16), RecordBatch.CURRENT_MAGIC_VALUE, Compression.NONE,
                type, 5000, logAppendTime);
        for (SimpleRecord r : records) {
            b.append(r);
        }
        return b.build().buffer();
    }

    @Test
    void readsWhatKafkasIteratorReads() {
        String big = "x".repeat(70_000);
        ByteBuffer batch = batch(TimestampType.CREATE_TIME, RecordBatch.NO_TIMESTAMP,
                new SimpleRecord(1_700_000_000_000L, "k0".getBytes(), "v0".getBytes()),
                new SimpleRecord(1_600_000_000_000L, null, "no key, earlier timestamp".getBytes()),
                new SimpleRecord(1_700_000_000_005L, "tombstone".getBytes(), null),
                new SimpleRecord(1_700_000_000_006L, "k3".getBytes(), big.getBytes(),
                        new Header[]{new RecordHeader("trace", "abc".getBytes()), new RecordHeader("null-valued", null)}),
                new SimpleRecord(1_700_000_000_007L, (byte[]) null, (byte[]) null));
        assertThat(cursor(batch)).hasSize(5).isEqualTo(kafka(batch));
        assertThat(cursor(batch).get(3)).startsWith("5003@1700000000006 k3=xxx").endsWith(" trace:abc null-valued:");
    }

    @Test
    void aLogAppendTimeBatchGivesEveryRecordTheBatchsTime() {
        ByteBuffer batch = batch(TimestampType.LOG_APPEND_TIME, 1_800_000_000_000L,
                new SimpleRecord(1L, "a".getBytes(), "1".getBytes()), new SimpleRecord(2L, "b".getBytes(), "2".getBytes()));
        assertThat(cursor(batch)).isEqualTo(kafka(batch)).allMatch(r -> r.contains("@1800000000000 "));
    }

    @Test
    void onlyUncompressedV2BatchesAreReadInPlace() {
        ByteBuffer gzip = MemoryRecords.withRecords(Compression.gzip().build(), new SimpleRecord(1L, "k".getBytes(), "v".getBytes())).buffer();
        assertThat(RecordCursor.readable(gzip)).isFalse();
        assertThatThrownBy(() -> new RecordCursor(gzip)).isInstanceOf(IllegalArgumentException.class);
        assertThat(RecordCursor.readable(HostileBatches.valid(Compression.NONE, 1L))).isTrue();
    }

    @Test
    void aRecordThatLiesIsReportedNotReadPast() {
        // More records counted than the batch holds: the fourth runs off the batch's end.
        assertThatThrownBy(() -> cursor(HostileBatches.withRecordCount(HostileBatches.valid(Compression.NONE, 1L), 4)))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("batch at offset 0");
        // A record whose length says more than its fields fill.
        assertThatThrownBy(() -> cursor(HostileBatches.withInflatedFirstRecordLength(HostileBatches.valid(Compression.NONE, 1L), 2)))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("says it has");
        // A varint that never ends.
        ByteBuffer endless = HostileBatches.valid(Compression.NONE, 1L);
        for (int p = BatchHeader.SIZE; p < endless.limit(); p++) {
            endless.put(p, (byte) 0xff);
        }
        assertThatThrownBy(() -> cursor(endless)).isInstanceOf(InvalidBatchException.class).hasMessageContaining("varint");
        // Bytes after the last record the header counts.
        ByteBuffer valid = HostileBatches.valid(Compression.NONE, 1L);
        ByteBuffer trailing = ByteBuffer.allocate(valid.remaining() + 5).put(valid.duplicate()).position(0);
        assertThatThrownBy(() -> cursor(trailing)).isInstanceOf(InvalidBatchException.class).hasMessageContaining("after its last record");
        // Offsets that go back, or past the header's last.
        assertThatThrownBy(() -> cursor(HostileBatches.withRecordOffsetDelta(HostileBatches.valid(Compression.NONE, 1L), 1, 0)))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("offset delta 0");
        assertThatThrownBy(() -> cursor(HostileBatches.withRecordOffsetDelta(HostileBatches.valid(Compression.NONE, 1L), 2, 5)))
                .isInstanceOf(InvalidBatchException.class).hasMessageContaining("within 2");
        // A batch shorter than its header.
        assertThatThrownBy(() -> new RecordCursor(ByteBuffer.allocate(40))).isInstanceOf(InvalidBatchException.class);
    }
}
