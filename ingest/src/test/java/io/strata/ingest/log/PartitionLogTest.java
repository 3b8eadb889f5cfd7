package io.strata.ingest.log;

import io.strata.tiering.service.SealedSegment;
import io.strata.tiering.service.RemoteRange;

import io.strata.records.Batches;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionLogTest {
    @TempDir
    Path dir;
    long now = 1_000_000;

    private static LogConfig config(int segmentBytes) {
        LogConfig d = LogConfig.defaults();
        return new LogConfig(segmentBytes, d.segmentMs(), d.retentionMs(), d.retentionBytes(), 1_000_000, 256, false);
    }

    private static ByteBuffer batch(long timestamp, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(timestamp + i, ("k" + i).getBytes(), values[i].getBytes());
        }
        return MemoryRecords.withRecords(Compression.NONE, records).buffer();
    }

    private ByteBuffer idempotentBatch(long pid, short epoch, int seq, String value) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, pid, epoch, seq, new SimpleRecord(now, null, value.getBytes())).buffer();
    }

    private static List<String> values(PartitionLog log, long from) {
        List<String> out = new ArrayList<>();
        long offset = from;
        while (offset < log.highWatermark()) {
            ByteBuffer bytes = log.read(offset, 1 << 20).records();
            for (RecordBatch b : MemoryRecords.readableRecords(bytes).batches()) {
                for (Record r : b) {
                    if (r.offset() >= offset) {
                        byte[] v = new byte[r.valueSize()];
                        r.value().get(v);
                        out.add(r.offset() + ":" + new String(v));
                    }
                }
                offset = b.lastOffset() + 1;
            }
        }
        return out;
    }

    private Path partitionDir() {
        return dir.resolve("t-0");
    }

    private PartitionLog open(int segmentBytes) {
        return PartitionLog.open(partitionDir(), "t-0", config(segmentBytes), now);
    }

    private Path lastSegmentFile() throws Exception {
        try (var files = Files.list(partitionDir())) {
            return files.filter(p -> p.toString().endsWith(".log")).sorted().reduce((a, b) -> b).orElseThrow();
        }
    }

    @Test
    void assignsContiguousOffsetsAndReadsAcrossSegments() {
        PartitionLog log = open(300);
        for (int i = 0; i < 10; i++) {
            AppendResult r = log.append(batch(now, "a" + i, "b" + i), now);
            assertThat(r.error()).isEqualTo(Errors.NONE);
            assertThat(r.baseOffset()).isEqualTo(2L * i);
        }
        assertThat(log.segmentCount()).as("rolled by segment.bytes").isGreaterThan(1);
        assertThat(values(log, 0)).hasSize(20).startsWith("0:a0", "1:b0").endsWith("19:b9");
        assertThat(values(log, 7)).first().isEqualTo("7:b3");
        assertThatThrownBy(() -> log.read(21, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        log.close();
    }

    @Test
    void aTornTailIsTruncatedToTheLastWholeBatchOnOpen() throws Exception {
        PartitionLog log = open(1 << 20);
        for (int i = 0; i < 5; i++) {
            log.append(batch(now, "v" + i), now);
        }
        // Crash: no close(), then the last write is torn half-way.
        Path file = lastSegmentFile();
        long size = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size - 20);
        }
        PartitionLog reopened = open(1 << 20);
        assertThat(reopened.logEndOffset()).isEqualTo(4);
        assertThat(values(reopened, 0)).containsExactly("0:v0", "1:v1", "2:v2", "3:v3");
        assertThat(reopened.append(batch(now, "after"), now).baseOffset()).as("appends continue after the cut").isEqualTo(4);
        reopened.close();
    }

    @Test
    void aCorruptedTailBatchFailsItsCrcAndIsTruncatedOnOpen() throws Exception {
        PartitionLog log = open(1 << 20);
        for (int i = 0; i < 3; i++) {
            log.append(batch(now, "value-" + i), now);
        }
        Path file = lastSegmentFile();
        long size = Files.size(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(size - 3);
            int b = raf.read();
            raf.seek(size - 3);
            raf.write(b ^ 0xFF);
            raf.seek(size);
            raf.write(new byte[100]);
        }
        PartitionLog reopened = open(1 << 20);
        assertThat(reopened.logEndOffset()).isEqualTo(2);
        assertThat(values(reopened, 0)).containsExactly("0:value-0", "1:value-1");
        reopened.close();
    }

    @Test
    void aCleanCloseReopensWithEverythingAndNoRecovery() {
        PartitionLog log = open(200);
        for (int i = 0; i < 6; i++) {
            log.append(batch(now, "c" + i), now);
        }
        log.close();
        PartitionLog reopened = open(200);
        assertThat(reopened.logEndOffset()).isEqualTo(6);
        assertThat(values(reopened, 0)).hasSize(6);
        reopened.close();
    }

    @Test
    void rejectsCorruptOversizedAndOldFormatBatches() {
        PartitionLog log = open(1 << 20);
        ByteBuffer corrupt = batch(now, "x");
        corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 1));
        assertThat(log.append(corrupt, now).error()).isEqualTo(Errors.CORRUPT_MESSAGE);
        LogConfig small = new LogConfig(1 << 20, 1000, -1, -1, 50, 256, false);
        log.updateConfig(small);
        assertThat(log.append(batch(now, "a value that makes the batch larger than fifty bytes"), now).error())
                .isEqualTo(Errors.MESSAGE_TOO_LARGE);
        ByteBuffer garbage = ByteBuffer.wrap(new byte[30]);
        assertThat(log.append(garbage, now).error()).isEqualTo(Errors.CORRUPT_MESSAGE);
        assertThat(log.logEndOffset()).isZero();
        log.close();
    }

    @Test
    void batchesWhoseHeadersLieAreRefusedWithKafkasErrorAndTheLogIsUntouched() {
        PartitionLog log = open(400);
        for (int i = 0; i < 6; i++) {
            assertThat(log.append(batch(now, "ok" + i), now).error()).isEqualTo(Errors.NONE);
        }
        List<String> before = values(log, 0);
        for (var c : io.strata.records.HostileBatches.reviewCases(now).entrySet()) {
            AppendResult r = log.append(c.getValue().batch(), now);
            assertThat(r.error()).as(c.getKey()).isEqualTo(Errors.valueOf(c.getValue().error()));
            assertThat(log.logEndOffset()).as("log end offset after: " + c.getKey()).isEqualTo(6);
        }
        assertThat(log.append(batch(now, "after"), now).baseOffset()).isEqualTo(6);
        // A crash (no close) and a recovery keep every acknowledged batch.
        PartitionLog reopened = open(400);
        assertThat(reopened.logEndOffset()).isEqualTo(7);
        assertThat(values(reopened, 0)).startsWith(before.toArray(String[]::new)).endsWith("6:after");
        reopened.close();
    }

    @Test
    void idempotentDuplicatesAreRecognisedEvenAfterARestart() {
        PartitionLog log = open(1 << 20);
        assertThat(log.append(idempotentBatch(7, (short) 0, 0, "a"), now).baseOffset()).isZero();
        assertThat(log.append(idempotentBatch(7, (short) 0, 1, "b"), now).baseOffset()).isEqualTo(1);
        log.close();
        PartitionLog reopened = open(1 << 20);
        AppendResult dup = reopened.append(idempotentBatch(7, (short) 0, 1, "b"), now);
        assertThat(dup.error()).isEqualTo(Errors.NONE);
        assertThat(dup.baseOffset()).isEqualTo(1);
        assertThat(reopened.append(idempotentBatch(7, (short) 0, 5, "gap"), now).error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(reopened.logEndOffset()).isEqualTo(2);
        reopened.close();
    }


    /**
     * A client with batches in flight to an old leader and to the new one retries the old ones
     * after later ones were taken: past the five batches kept, a retry of what was written is
     * Kafka's DUPLICATE_SEQUENCE_NUMBER (success without offsets), never a second copy and never
     * an endless out-of-order refusal; a sequence below what this log saw of the producer is not.
     */
    @Test
    void aRetryOlderThanTheKeptBatchesIsADuplicateSequenceAndNotWrittenAgain() {
        PartitionLog log = open(1 << 20);
        for (int seq = 0; seq < 8; seq++) {
            assertThat(log.append(idempotentBatch(7, (short) 0, seq, "v" + seq), now).baseOffset()).isEqualTo(seq);
        }
        AppendResult old = log.append(idempotentBatch(7, (short) 0, 1, "v1"), now);
        assertThat(old.error()).isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER);
        assertThat(old.oldDuplicate()).isTrue();
        assertThat(old.lastOffset()).as("acks=all waits up to the log end").isEqualTo(7);
        assertThat(log.append(idempotentBatch(7, (short) 0, 6, "v6"), now).baseOffset()).as("kept: its own offset").isEqualTo(6);
        assertThat(log.append(idempotentBatch(7, (short) 0, 10, "gap"), now).error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        // Producer 8 is first seen here at sequence 20: sequence 3 was never written to this log.
        assertThat(log.append(idempotentBatch(8, (short) 0, 20, "p8"), now).baseOffset()).isEqualTo(8);
        for (int seq = 21; seq < 27; seq++) {
            log.append(idempotentBatch(8, (short) 0, seq, "p8-" + seq), now);
        }
        assertThat(log.append(idempotentBatch(8, (short) 0, 3, "p8-3"), now).error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(log.append(idempotentBatch(8, (short) 0, 21, "p8-21"), now).error()).isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER);
        assertThat(log.logEndOffset()).isEqualTo(15);
        log.close();
        PartitionLog reopened = open(1 << 20);
        assertThat(reopened.append(idempotentBatch(7, (short) 0, 2, "v2"), now).error()).as("after a restart")
                .isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER);
        assertThat(reopened.append(idempotentBatch(8, (short) 0, 3, "p8-3"), now).error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(reopened.logEndOffset()).isEqualTo(15);
        reopened.close();
    }

    /**
     * A new partition's leader whose role came a moment after Metadata named it refuses an
     * idempotent producer's first batch (sequence 0) and may take its second one: if it did, the
     * first could never follow (out of order for good, retried until the delivery timeout).
     */
    @Test
    void aNeverWrittenLogTakesAnUnknownProducerOnlyFromSequenceZero() {
        PartitionLog log = open(1 << 20);
        AppendResult second = log.append(idempotentBatch(7, (short) 0, 1, "b"), now);
        assertThat(second.error()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(log.logEndOffset()).isZero();
        assertThat(log.append(idempotentBatch(7, (short) 0, 0, "a"), now).baseOffset()).isZero();
        assertThat(log.append(idempotentBatch(7, (short) 0, 1, "b"), now).baseOffset()).isEqualTo(1);
        // Once the log holds records, an unknown producer may have lost its state with them (retention,
        // DeleteRecords, expiration): any sequence is taken, as Kafka takes it.
        assertThat(log.append(idempotentBatch(8, (short) 0, 40, "c"), now).baseOffset()).isEqualTo(2);
        assertThat(values(log, 0)).containsExactly("0:a", "1:b", "2:c");
        log.close();
    }
    private static LogConfig tieredConfig(int segmentBytes, long producerExpirationMs) {
        LogConfig d = LogConfig.defaults();
        return new LogConfig(segmentBytes, d.segmentMs(), -1, -1, 1_000_000, 256, false, true, -2, 0,
                Long.MAX_VALUE, LogConfig.DEFAULT_TIMESTAMP_AFTER_MAX_MS, producerExpirationMs);
    }

    @Test
    void producerStateOutlivesTheLocalSegmentsItCameFrom() {
        PartitionLog log = PartitionLog.open(partitionDir(), "t-0", tieredConfig(300, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS), now);
        AppendResult first = log.append(idempotentBatch(7, (short) 0, 0, "from-producer-7"), now);
        for (int i = 0; i < 20; i++) {
            log.append(idempotentBatch(8, (short) 0, i, "filler-" + i), now);
        }
        assertThat(log.segmentCount()).isGreaterThan(3);
        // Everything sealed is in object storage; local copies go (local.retention.bytes=0).
        log.markTiered(log.sealedSegments().get(log.sealedSegments().size() - 1).nextOffset());
        assertThat(log.deleteTieredLocalSegments(now)).isGreaterThan(0);
        assertThat(log.localStartOffset()).as("producer 7's batch is no longer on local disk").isGreaterThan(first.lastOffset());
        long end = log.logEndOffset();
        log.close();

        PartitionLog reopened = PartitionLog.open(partitionDir(), "t-0", tieredConfig(300, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS), now);
        AppendResult retry = reopened.append(idempotentBatch(7, (short) 0, 0, "from-producer-7"), now);
        assertThat(retry.error()).isEqualTo(Errors.NONE);
        assertThat(retry.baseOffset()).as("the retry is recognised from the snapshot").isEqualTo(first.baseOffset());
        assertThat(reopened.logEndOffset()).as("and not written twice").isEqualTo(end);
        assertThat(reopened.append(idempotentBatch(8, (short) 0, 5, "stale"), now).error())
                .as("an old sequence of producer 8 is known as written (from the snapshot)").isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER);
        assertThat(reopened.logEndOffset()).as("and not written again").isEqualTo(end);
        reopened.close();
    }

    @Test
    void aNodeThatLostItsDiskTakesProducerStateFromTheSnapshotInObjectStorage() throws Exception {
        PartitionLog log = PartitionLog.open(partitionDir(), "t-0", tieredConfig(300, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS), now);
        AppendResult first = log.append(idempotentBatch(7, (short) 0, 0, "a"), now);
        for (int i = 0; i < 10; i++) {
            log.append(batch(now, "filler-" + i), now);
        }
        SealedSegment last = log.sealedSegments().get(log.sealedSegments().size() - 1);
        byte[] snapshot = Files.readAllBytes(log.snapshotFile(last.nextOffset()));
        log.close();

        Path fresh = dir.resolve("fresh-0");
        PartitionLog rebuilt = PartitionLog.open(fresh, "t-0", tieredConfig(300, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS), now,
                new RemoteRange(0, last.nextOffset(), () -> java.util.Optional.of(snapshot)));
        assertThat(rebuilt.logEndOffset()).isEqualTo(last.nextOffset());
        AppendResult retry = rebuilt.append(idempotentBatch(7, (short) 0, 0, "a"), now);
        assertThat(retry.error()).isEqualTo(Errors.NONE);
        assertThat(retry.baseOffset()).isEqualTo(first.baseOffset());
        assertThat(rebuilt.logEndOffset()).isEqualTo(last.nextOffset());
        rebuilt.close();
    }

    @Test
    void idleProducersAreForgottenAfterTheExpiration() {
        PartitionLog log = PartitionLog.open(partitionDir(), "t-0", tieredConfig(1 << 20, 60_000), now);
        for (int pid = 0; pid < 50; pid++) {
            log.append(idempotentBatch(pid, (short) 0, 0, "p" + pid), now);
        }
        assertThat(log.producerCount()).isEqualTo(50);
        log.expireProducers(now + 30_000);
        assertThat(log.producerCount()).isEqualTo(50);
        log.expireProducers(now + 61_000);
        assertThat(log.producerCount()).isZero();
        log.close();
    }

    @Test
    void retentionAndDeleteRecordsMoveTheLogStart() {
        PartitionLog log = open(150);
        for (int i = 0; i < 10; i++) {
            log.append(batch(now - 10_000 + i, "r" + i), now);
        }
        int segments = log.segmentCount();
        assertThat(segments).isGreaterThan(3);
        assertThat(log.deleteRecordsBefore(3)).isEqualTo(3);
        assertThat(values(log, 3)).first().isEqualTo("3:r3");
        assertThatThrownBy(() -> log.read(2, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> log.deleteRecordsBefore(11)).isInstanceOf(OffsetOutOfRangeException.class);

        log.updateConfig(new LogConfig(150, Long.MAX_VALUE, 5_000, -1, 1_000_000, 256, false));
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PartitionLog.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            assertThat(log.applyRetention(now)).isGreaterThan(0);
        } finally {
            logger.detachAppender(logged);
        }
        assertThat(logged.list).as("one INFO line per retention pass, with segments and bytes")
                .filteredOn(e -> e.getFormattedMessage().contains("retention deleted")).hasSize(1).first()
                .satisfies(e -> assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.INFO))
                .satisfies(e -> assertThat(e.getFormattedMessage()).containsPattern("retention deleted \\d+ segment\\(s\\), \\d+ bytes"));
        assertThat(log.segmentCount()).as("the active segment stays").isEqualTo(1);
        assertThat(log.logStartOffset()).as("expired segments are gone").isGreaterThan(3);
        assertThat(values(log, log.logStartOffset())).last().isEqualTo("9:r9");
        log.close();
        PartitionLog reopened = open(150);
        assertThat(reopened.logStartOffset()).as("log start offset is durable").isEqualTo(log.logStartOffset());
        reopened.close();
    }

    @Test
    void findsTheFirstRecordAtOrAfterATimestamp() {
        PartitionLog log = open(200);
        for (int i = 0; i < 10; i++) {
            log.append(batch(1000L * i, "t" + i, "u" + i), now);
        }
        Batches.TimestampMatch m = log.offsetForTimestamp(5000).orElseThrow();
        assertThat(m.offset()).isEqualTo(10);
        assertThat(m.timestamp()).isEqualTo(5000);
        assertThat(log.offsetForTimestamp(5001).orElseThrow().offset()).isEqualTo(11);
        assertThat(log.offsetForTimestamp(100_000)).isEmpty();
        log.close();
    }
}
