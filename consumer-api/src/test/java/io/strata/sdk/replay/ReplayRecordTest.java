package io.strata.sdk.replay;

import io.strata.records.RecordCursor;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A record read from a batch where it lies: its views are made when asked for, each its own, read-only. */
class ReplayRecordTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<ReplayRecord> read(MemoryRecords records) {
        RecordCursor cursor = new RecordCursor(records.buffer());
        List<ReplayRecord> out = new java.util.ArrayList<>();
        while (cursor.next()) {
            out.add(ReplayRecord.inBatch("t", 3, cursor.offset(), cursor.timestamp(), cursor.batch(), cursor.keyAt(), cursor.keyLength(),
                    cursor.valueAt(), cursor.valueLength(), cursor.headers()));
        }
        return out;
    }

    @Test
    void keysAndValuesAreReadWhereTheyLieInTheirBatch() {
        MemoryRecords batch = MemoryRecords.withRecords(40L, Compression.NONE,
                new SimpleRecord(1000L, utf8("k1"), utf8("first")),
                new SimpleRecord(1001L, null, utf8("no key")),
                new SimpleRecord(1002L, utf8("k3"), null),
                new SimpleRecord(1003L, utf8(""), utf8("")));
        List<ReplayRecord> rs = read(batch);
        assertEquals(4, rs.size());

        ReplayRecord first = rs.get(0);
        assertEquals(40L, first.offset());
        assertEquals(1000L, first.timestamp());
        assertEquals("t", first.topic());
        assertEquals(3, first.partition());
        assertEquals(ByteBuffer.wrap(utf8("k1")), first.keyBuffer());
        assertEquals(ByteBuffer.wrap(utf8("first")), first.valueBuffer());
        assertArrayEquals(utf8("first"), first.value());
        assertSame(first.value(), first.value(), "copied once");

        assertNull(rs.get(1).keyBuffer());
        assertNull(rs.get(1).key());
        assertArrayEquals(utf8("no key"), rs.get(1).value());
        assertArrayEquals(utf8("k3"), rs.get(2).key());
        assertNull(rs.get(2).valueBuffer());
        assertNull(rs.get(2).value());
        assertEquals(0, rs.get(3).keyBuffer().remaining(), "an empty key is not a missing one");
        assertArrayEquals(new byte[0], rs.get(3).value());
        assertEquals(new ReplayRecord("t", 3, 40L, 1000L, utf8("k1"), utf8("first"), List.of()), first);
    }

    @Test
    void aBatchThatDoesNotStartItsBufferIsReadFromItsOwnStart() {
        // As a replay reads them: one batch after another in a downloaded span, each from where it starts.
        ByteBuffer first = MemoryRecords.withRecords(0L, Compression.NONE, new SimpleRecord(utf8("a"), utf8("first batch"))).buffer();
        ByteBuffer second = MemoryRecords.withRecords(1L, Compression.NONE, new SimpleRecord(utf8("bb"), utf8("second batch"))).buffer();
        ByteBuffer span = ByteBuffer.allocate(first.remaining() + second.remaining()).put(first.duplicate()).put(second.duplicate()).flip();
        List<ReplayRecord> rs = read(MemoryRecords.readableRecords(span.duplicate().position(first.remaining()).slice()));
        assertEquals(1, rs.size());
        assertEquals(1L, rs.get(0).offset());
        assertArrayEquals(utf8("bb"), rs.get(0).key());
        assertEquals(ByteBuffer.wrap(utf8("second batch")), rs.get(0).valueBuffer());

        ByteBuffer unsliced = span.duplicate().position(first.remaining());
        RecordCursor cursor = new RecordCursor(unsliced);
        cursor.next();
        ReplayRecord r = ReplayRecord.inBatch("t", 0, cursor.offset(), cursor.timestamp(), cursor.batch(), cursor.keyAt(), cursor.keyLength(),
                cursor.valueAt(), cursor.valueLength(), cursor.headers());
        assertArrayEquals(utf8("second batch"), r.value());
    }

    @Test
    void eachViewIsItsOwnAndNoneCanWriteTheBatch() {
        List<ReplayRecord> rs = read(MemoryRecords.withRecords(0L, Compression.NONE, new SimpleRecord(utf8("key"), utf8("value"))));
        ReplayRecord r = rs.get(0);
        ByteBuffer a = r.valueBuffer();
        a.get();
        ByteBuffer b = r.valueBuffer();
        assertNotSame(a, b);
        assertEquals(0, b.position(), "reading one view moves no other");
        assertEquals(5, b.remaining());
        assertTrue(b.isReadOnly());
        assertThrows(ReadOnlyBufferException.class, () -> b.put(0, (byte) 'X'));
        assertArrayEquals(utf8("value"), r.value());
    }

    @Test
    void aRecordOverGivenBuffersReadsFromTheirPositionsAndIgnoresLaterMoves() {
        ByteBuffer value = ByteBuffer.wrap(utf8("__value"));
        value.position(2);
        ReplayRecord r = new ReplayRecord("t", 0, 7L, 9L, null, value, List.of());
        value.position(5);
        assertArrayEquals(utf8("value"), r.value());
        assertEquals(ByteBuffer.wrap(utf8("value")), r.valueBuffer());
        assertEquals(0, r.valueBuffer().position(), "a view from the value's first byte");
        assertEquals((byte) 'v', r.valueBuffer().get(0));
        assertTrue(r.valueBuffer().isReadOnly());
        assertNull(r.keyBuffer());
    }
}
