package io.strata.records;

import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.TimestampType;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one place Strata touches Kafka's record classes, which live in an internal package of
 * kafka-clients that moves between releases: an upgrade changes this file only.
 */
public final class Batches {
    public static final byte CURRENT_MAGIC = RecordBatch.MAGIC_VALUE_V2;
    public static final long NO_PRODUCER_ID = RecordBatch.NO_PRODUCER_ID;
    public static final int NO_SEQUENCE = RecordBatch.NO_SEQUENCE;

    private Batches() {
    }

    /** Record bytes as the generated message classes carry them (Produce and Fetch bodies). */
    public static BaseRecords toRecords(ByteBuffer bytes) {
        return MemoryRecords.readableRecords(bytes);
    }

    /** The bytes of records taken from a request; only in-memory records arrive over the wire. */
    public static ByteBuffer bytesOf(BaseRecords records) {
        if (records == null) {
            return ByteBuffer.allocate(0);
        }
        if (records instanceof MemoryRecords m) {
            return m.buffer();
        }
        throw new IllegalArgumentException("unexpected records type " + records.getClass().getName());
    }

    /**
     * One control batch ending a transaction (Kafka's COMMIT or ABORT marker) at {@code offset},
     * stamped with the leader epoch, for the producer and epoch it ends.
     */
    public static ByteBuffer txnMarkerBatch(long offset, long timestamp, int leaderEpoch, long producerId, short producerEpoch,
                                            TxnMarker marker) {
        EndTransactionMarker m = new EndTransactionMarker(marker.commit() ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
                marker.coordinatorEpoch());
        return MemoryRecords.withEndTransactionMarker(offset, timestamp, leaderEpoch, producerId, producerEpoch, m).buffer();
    }

    /** The transaction marker of one whole control batch; empty for any other control record (or a data batch). */
    public static Optional<TxnMarker> txnMarker(ByteBuffer oneBatch) {
        for (MutableRecordBatch b : MemoryRecords.readableRecords(oneBatch.duplicate()).batches()) {
            return markerOf(b);
        }
        return Optional.empty();
    }

    private static Optional<TxnMarker> markerOf(RecordBatch b) {
        if (!b.isControlBatch()) {
            return Optional.empty();
        }
        java.util.Iterator<Record> it = b.iterator();
        if (!it.hasNext()) {
            return Optional.empty();
        }
        Record r = it.next();
        ControlRecordType type = ControlRecordType.parse(r.key());
        if (type != ControlRecordType.COMMIT && type != ControlRecordType.ABORT) {
            return Optional.empty();
        }
        return Optional.of(new TxnMarker(type == ControlRecordType.COMMIT, EndTransactionMarker.deserialize(r).coordinatorEpoch()));
    }

    /** Wraps record bytes (one or more whole batches); the buffer is shared, not copied. */
    public static List<Batch> of(ByteBuffer records) {
        List<Batch> out = new ArrayList<>();
        ByteBuffer all = records.duplicate();
        int start = all.position();
        for (MutableRecordBatch b : MemoryRecords.readableRecords(records.duplicate()).batches()) {
            ByteBuffer own = all.duplicate();
            own.position(start).limit(start + b.sizeInBytes());
            out.add(new Batch(b, own.slice()));
            start += b.sizeInBytes();
        }
        return out;
    }

    /**
     * The offset of the first record in {@code batchBytes} (one batch) whose timestamp is at
     * least {@code timestamp}, with that record's timestamp; empty when there is none.
     */
    public static Optional<TimestampMatch> firstAtOrAfter(ByteBuffer batchBytes, long timestamp) {
        for (MutableRecordBatch b : MemoryRecords.readableRecords(batchBytes.duplicate()).batches()) {
            if (b.isControlBatch() || b.maxTimestamp() < timestamp) {
                continue;
            }
            for (Record r : b) {
                if (r.timestamp() >= timestamp) {
                    return Optional.of(new TimestampMatch(r.offset(), r.timestamp()));
                }
            }
        }
        return Optional.empty();
    }

    /** The smallest record timestamp in {@code batches} (whole batches, possibly compressed); Long.MAX_VALUE if none. */
    public static long minTimestamp(ByteBuffer batches) {
        long min = Long.MAX_VALUE;
        for (MutableRecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            if (b.timestampType() == TimestampType.LOG_APPEND_TIME) {
                min = Math.min(min, b.maxTimestamp());
                continue;
            }
            try (var it = b.skipKeyValueIterator(org.apache.kafka.common.utils.internals.BufferSupplier.NO_CACHING)) {
                while (it.hasNext()) {
                    min = Math.min(min, it.next().timestamp());
                }
            }
        }
        return min;
    }

    /** A record found by timestamp: its offset and its own timestamp. */
    public record TimestampMatch(long offset, long timestamp) {
    }

    /** One record as a reader hands it out: offset, timestamp, key, value (null when absent) and headers. */
    public record RecordView(long offset, long timestamp, byte[] key, byte[] value, List<Map.Entry<String, byte[]>> headers) {
    }

    /**
     * Every data record in {@code batches} (whole batches, possibly compressed) with an offset in
     * {@code [fromOffset, toOffset)}, in order; control batches are skipped.
     */
    public static List<RecordView> records(ByteBuffer batches, long fromOffset, long toOffset) {
        List<RecordView> out = new ArrayList<>();
        for (MutableRecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            if (b.isControlBatch() || b.lastOffset() < fromOffset || b.baseOffset() >= toOffset) {
                continue;
            }
            for (Record r : b) {
                if (r.offset() < fromOffset || r.offset() >= toOffset) {
                    continue;
                }
                List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
                for (org.apache.kafka.common.header.Header h : r.headers()) {
                    headers.add(Map.entry(h.key(), h.value() == null ? new byte[0] : h.value()));
                }
                out.add(new RecordView(r.offset(), r.timestamp(), bytes(r.key()), bytes(r.value()), headers));
            }
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** A view of one batch; setters rewrite the header in place (the CRC does not cover them). */
    public static final class Batch {
        private final MutableRecordBatch batch;
        private final ByteBuffer bytes;

        Batch(MutableRecordBatch batch, ByteBuffer bytes) {
            this.batch = batch;
            this.bytes = bytes;
        }

        /** This batch's bytes (shared with the request buffer, position 0 at the batch's first byte). */
        ByteBuffer bytes() {
            return bytes;
        }

        /** The v2 batch itself, for the validator; only call once {@link #magic()} is 2. */
        DefaultRecordBatch defaultBatch() {
            return (DefaultRecordBatch) batch;
        }

        public byte magic() {
            return batch.magic();
        }

        /** Checks the CRC and the header's internal consistency. */
        public boolean isValid() {
            return batch.isValid();
        }

        public int sizeInBytes() {
            return batch.sizeInBytes();
        }

        public int recordCount() {
            Integer n = batch.countOrNull();
            return n == null ? -1 : n;
        }

        public int lastOffsetDelta() {
            return (int) (batch.lastOffset() - batch.baseOffset());
        }

        public long baseOffset() {
            return batch.baseOffset();
        }

        public long lastOffset() {
            return batch.lastOffset();
        }

        public long maxTimestamp() {
            return batch.maxTimestamp();
        }

        public boolean isLogAppendTime() {
            return batch.timestampType() == TimestampType.LOG_APPEND_TIME;
        }

        public long producerId() {
            return batch.producerId();
        }

        public short producerEpoch() {
            return batch.producerEpoch();
        }

        /** The leader epoch of the replica that appended the batch (-1 before one did). */
        public int partitionLeaderEpoch() {
            return batch.partitionLeaderEpoch();
        }

        public int baseSequence() {
            return batch.baseSequence();
        }

        public int lastSequence() {
            return batch.lastSequence();
        }

        public boolean isTransactional() {
            return batch.isTransactional();
        }

        public boolean isControl() {
            return batch.isControlBatch();
        }

        public boolean hasProducerId() {
            return batch.hasProducerId();
        }

        /** The transaction marker this control batch carries, if it is one. */
        public Optional<TxnMarker> txnMarker() {
            return markerOf(batch);
        }

        public void assignOffsets(long baseOffset, int leaderEpoch) {
            batch.setLastOffset(baseOffset + lastOffsetDelta());
            batch.setPartitionLeaderEpoch(leaderEpoch);
        }

        public void setLogAppendTime(long timestamp) {
            batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, timestamp);
        }

        /** Records are compressed and carry their own deltas; only v2 headers are rewritten here. */
        public boolean isDefaultBatch() {
            return batch instanceof DefaultRecordBatch;
        }
    }
}
