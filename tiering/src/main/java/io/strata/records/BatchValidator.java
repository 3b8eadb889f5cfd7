package io.strata.records;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecord;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.ByteUtils;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * Checks one batch from a producer the way Kafka's {@code LogValidator} does before anything is
 * written, trusting nothing the client computed except as a claim to verify:
 * <ul>
 *   <li>the header: base offset 0, {@code lastOffsetDelta >= 0}, record count equal to
 *       {@code lastOffsetDelta + 1}, no control batch, producer id/epoch/sequence consistent;</li>
 *   <li>every record, decompressing a compressed batch one record at a time (a record's
 *       declared length is bounded before anything is allocated): its length matches its
 *       fields, its offset delta is its index, no bytes follow the last record;</li>
 *   <li>timestamps with CreateTime: within {@code message.timestamp.before.max.ms} and
 *       {@code message.timestamp.after.max.ms} of now; the batch's max timestamp is set to the
 *       records' real maximum (the header's claim is not kept).</li>
 * </ul>
 * CRC and magic are checked by the caller first; this class assumes a v2 batch with a good CRC.
 *
 * <p>Stateless and thread-safe; runs on the request handler thread.
 */
public final class BatchValidator {
    /**
     * The largest single record accepted after decompression. A compressed batch is bounded by
     * {@code max.message.bytes} on the wire, but its records are not: this keeps a decompression
     * bomb from allocating more than this per record being checked.
     */
    public static final int MAX_DECOMPRESSED_RECORD_BYTES = 32 << 20;

    /** Timestamp bounds of a topic (Kafka's names), and whether records need keys (a compacted topic). */
    public record TimestampPolicy(boolean logAppendTime, long beforeMaxMs, long afterMaxMs, boolean keysRequired) {
        public static final TimestampPolicy KAFKA_DEFAULT = new TimestampPolicy(false, Long.MAX_VALUE, 3_600_000L);

        public TimestampPolicy(boolean logAppendTime, long beforeMaxMs, long afterMaxMs) {
            this(logAppendTime, beforeMaxMs, afterMaxMs, false);
        }
    }

    private static final long NO_TIMESTAMP = -1;

    private BatchValidator() {
    }

    /**
     * Validates {@code batch} (a v2 batch whose CRC was checked) as arriving from a client;
     * rewrites its max timestamp to the records' maximum when it uses CreateTime.
     *
     * @throws InvalidBatchException with the Kafka error to answer
     */
    public static void validateFromClient(Batches.Batch batch, long nowMs, TimestampPolicy policy) {
        DefaultRecordBatch b = batch.defaultBatch();
        if (b.baseOffset() != 0) {
            throw invalid("the base offset of a produced batch must be 0, got " + b.baseOffset());
        }
        int lastOffsetDelta = (int) (b.lastOffset() - b.baseOffset());
        if (lastOffsetDelta < 0) {
            throw invalid("batch has an invalid offset range: lastOffsetDelta " + (b.lastOffset() - b.baseOffset()));
        }
        Integer count = b.countOrNull();
        if (count == null || count <= 0) {
            throw invalid("invalid reported record count " + count);
        }
        if ((long) lastOffsetDelta + 1 != count) {
            throw invalid("record count " + count + " does not match lastOffsetDelta " + lastOffsetDelta
                    + " (expected " + ((long) lastOffsetDelta + 1) + ")");
        }
        if (b.isControlBatch()) {
            throw invalid("clients may not write control batches");
        }
        if (b.isTransactional() && !b.hasProducerId()) {
            throw invalid("a transactional batch must carry a producer id");
        }
        if (b.hasProducerId()) {
            if (b.producerEpoch() < 0) {
                throw invalid("producer " + b.producerId() + " has an invalid epoch " + b.producerEpoch());
            }
            if (b.baseSequence() < 0) {
                throw invalid("producer " + b.producerId() + " sent a batch without a base sequence");
            }
        }
        CompressionType codec;
        try {
            codec = b.compressionType();
        } catch (IllegalArgumentException e) {
            throw new InvalidBatchException(Errors.UNSUPPORTED_COMPRESSION_TYPE, e.getMessage());
        }
        boolean checkTimestamps = !policy.logAppendTime() && b.timestampType() == TimestampType.CREATE_TIME;
        RecordCheck check = new RecordCheck(b, batch.bytes(), count, nowMs, policy, checkTimestamps);
        if (codec == CompressionType.NONE) {
            check.uncompressed();
        } else {
            check.compressed(codec);
        }
        if (checkTimestamps && b.maxTimestamp() != check.maxTimestamp) {
            b.setMaxTimestamp(TimestampType.CREATE_TIME, check.maxTimestamp);
        }
    }

    private static InvalidBatchException invalid(String message) {
        return new InvalidBatchException(Errors.INVALID_RECORD, message);
    }

    /** Walks the records of one batch, checking each as it goes. */
    private static final class RecordCheck {
        private final DefaultRecordBatch batch;
        private final ByteBuffer bytes;
        private final int count;
        private final long nowMs;
        private final TimestampPolicy policy;
        private final boolean checkTimestamps;
        long maxTimestamp = -1;

        RecordCheck(DefaultRecordBatch batch, ByteBuffer bytes, int count, long nowMs, TimestampPolicy policy, boolean checkTimestamps) {
            this.batch = batch;
            this.bytes = bytes;
            this.count = count;
            this.nowMs = nowMs;
            this.policy = policy;
            this.checkTimestamps = checkTimestamps;
        }

        void uncompressed() {
            ByteBuffer records = recordsRegion();
            for (int i = 0; i < count; i++) {
                if (!records.hasRemaining()) {
                    throw invalid("batch declares " + count + " records but holds " + i);
                }
                check(i, parse(records));
            }
            if (records.hasRemaining()) {
                throw invalid(records.remaining() + " bytes follow the last of the batch's " + count + " records");
            }
        }

        void compressed(CompressionType codec) {
            try (InputStream in = batch.recordInputStream(BufferSupplier.NO_CACHING)) {
                for (int i = 0; i < count; i++) {
                    int length;
                    try {
                        // At the end of the stream kafka-clients' varint reader sees -1 bytes and fails with
                        // IllegalArgumentException (or EOFException): either way the batch holds fewer records.
                        length = ByteUtils.readVarint(in);
                    } catch (EOFException | IllegalArgumentException e) {
                        throw invalid("compressed batch declares " + count + " records but holds " + i);
                    }
                    if (length <= 0 || length > MAX_DECOMPRESSED_RECORD_BYTES) {
                        throw invalid("record " + i + " declares a length of " + length + " bytes (limit "
                                + MAX_DECOMPRESSED_RECORD_BYTES + ")");
                    }
                    ByteBuffer one = ByteBuffer.allocate(ByteUtils.sizeOfVarint(length) + length);
                    ByteUtils.writeVarint(length, one);
                    int read = in.readNBytes(one.array(), one.position(), length);
                    if (read < length) {
                        throw invalid("record " + i + " declares " + length + " bytes but only " + read + " follow");
                    }
                    one.position(0);
                    check(i, parse(one));
                }
                if (in.read() != -1) {
                    throw invalid("bytes follow the last of the compressed batch's " + count + " records");
                }
            } catch (InvalidBatchException e) {
                throw e;
            } catch (InvalidRecordException e) {
                throw invalid(e.getMessage());
            } catch (IOException | RuntimeException e) {
                // Whatever the decompressor throws on bytes that are not what they claim to be.
                throw new InvalidBatchException(Errors.CORRUPT_MESSAGE, "cannot decompress " + codec.name + " batch: " + e);
            }
        }

        private ByteBuffer recordsRegion() {
            ByteBuffer whole = bytes.duplicate();
            whole.position(BatchHeader.SIZE);
            return whole.slice();
        }

        private DefaultRecord parse(ByteBuffer in) {
            try {
                return DefaultRecord.readFrom(in, 0, batch.baseTimestamp(), batch.baseSequence(), null);
            } catch (InvalidRecordException | BufferUnderflowException | IllegalArgumentException e) {
                throw invalid("malformed record: " + e.getMessage());
            }
        }

        private void check(int index, DefaultRecord r) {
            if (r.offset() != index) {
                throw invalid("record " + index + " has offset delta " + r.offset());
            }
            if (policy.keysRequired() && !r.hasKey()) {
                // Kafka's words: compaction keeps the latest record per key, so a record without one has no place.
                throw invalid("Compacted topic cannot accept message without key (record " + index + " of the batch)");
            }
            if (!checkTimestamps) {
                return;
            }
            long ts = r.timestamp();
            if (ts == NO_TIMESTAMP) {
                return;
            }
            if (policy.beforeMaxMs() != Long.MAX_VALUE && nowMs - ts > policy.beforeMaxMs()) {
                throw new InvalidBatchException(Errors.INVALID_TIMESTAMP, "timestamp " + ts + " of record " + index
                        + " is more than message.timestamp.before.max.ms " + policy.beforeMaxMs() + " before now " + nowMs);
            }
            if (policy.afterMaxMs() != Long.MAX_VALUE && ts - nowMs > policy.afterMaxMs()) {
                throw new InvalidBatchException(Errors.INVALID_TIMESTAMP, "timestamp " + ts + " of record " + index
                        + " is more than message.timestamp.after.max.ms " + policy.afterMaxMs() + " after now " + nowMs);
            }
            maxTimestamp = Math.max(maxTimestamp, ts);
        }
    }
}
