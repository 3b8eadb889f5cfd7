package io.strata.records;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchValidatorTest {
    static final long NOW = 1_700_000_000_000L;
    static final BatchValidator.TimestampPolicy KAFKA = BatchValidator.TimestampPolicy.KAFKA_DEFAULT;

    static Stream<Compression> codecs() {
        return Stream.of(Compression.NONE, Compression.gzip().build(), Compression.snappy().build(),
                Compression.lz4().build(), Compression.zstd().build());
    }

    private static Batches.Batch only(ByteBuffer bytes) {
        List<Batches.Batch> batches = Batches.of(bytes);
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).isValid()).as("CRC of the test batch").isTrue();
        return batches.get(0);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void acceptsWhatKafkaClientsWrite(Compression codec) {
        Batches.Batch b = only(HostileBatches.valid(codec, NOW - 1000));
        BatchValidator.validateFromClient(b, NOW, KAFKA);
        assertThat(b.maxTimestamp()).isEqualTo(NOW - 1000 + 2);
        assertThat(b.isValid()).isTrue();
    }

    static Stream<Map.Entry<String, HostileBatches.Case>> reviewCases() {
        return HostileBatches.reviewCases(NOW).entrySet().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("reviewCases")
    void rejectsEveryBatchWhoseHeaderLies(Map.Entry<String, HostileBatches.Case> c) {
        ByteBuffer bytes = c.getValue().batch();
        List<Batches.Batch> batches = Batches.of(bytes);
        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).isValid()).as("the hostile batch carries a correct CRC").isTrue();
        assertThatThrownBy(() -> BatchValidator.validateFromClient(batches.get(0), NOW, KAFKA))
                .isInstanceOfSatisfying(InvalidBatchException.class,
                        e -> assertThat(e.error()).isEqualTo(Errors.valueOf(c.getValue().error())));
    }

    @Test
    void aHeaderMaxTimestampThatLiesIsReplacedByTheRecordsMaximum() {
        ByteBuffer bytes = HostileBatches.valid(Compression.NONE, NOW - 10);
        bytes.putLong(35, NOW + 999_999_999L);
        HostileBatches.withCrc(bytes);
        Batches.Batch b = only(bytes);
        BatchValidator.validateFromClient(b, NOW, KAFKA);
        assertThat(b.maxTimestamp()).isEqualTo(NOW - 10 + 2);
        assertThat(b.isValid()).as("the CRC is recomputed with the new max timestamp").isTrue();
    }

    @Test
    void timestampsBeforeTheBoundAreRejectedOnlyWhenABoundIsSet() {
        ByteBuffer old = HostileBatches.valid(Compression.NONE, NOW - 86_400_000L);
        BatchValidator.validateFromClient(only(old.duplicate()), NOW, KAFKA);
        assertThatThrownBy(() -> BatchValidator.validateFromClient(only(old.duplicate()), NOW,
                new BatchValidator.TimestampPolicy(false, 3_600_000L, 3_600_000L)))
                .isInstanceOfSatisfying(InvalidBatchException.class, e -> assertThat(e.error()).isEqualTo(Errors.INVALID_TIMESTAMP))
                .hasMessageContaining("message.timestamp.before.max.ms");
    }

    @Test
    void logAppendTimeTopicsDoNotJudgeClientTimestamps() {
        ByteBuffer future = HostileBatches.valid(Compression.NONE, NOW + 86_400_000L);
        BatchValidator.validateFromClient(only(future), NOW, new BatchValidator.TimestampPolicy(true, 0, 0));
    }

    @Test
    void aDecompressedRecordAboveTheBoundIsRefusedBeforeItIsAllocated() {
        byte[] big = new byte[BatchValidator.MAX_DECOMPRESSED_RECORD_BYTES + 1];
        ByteBuffer bytes = org.apache.kafka.common.record.internal.MemoryRecords.withRecords(Compression.gzip().build(),
                new org.apache.kafka.common.record.internal.SimpleRecord(NOW, null, big)).buffer();
        assertThat(bytes.remaining()).as("zeros compress well").isLessThan(1 << 20);
        assertThatThrownBy(() -> BatchValidator.validateFromClient(only(bytes), NOW, KAFKA))
                .isInstanceOfSatisfying(InvalidBatchException.class, e -> assertThat(e.error()).isEqualTo(Errors.INVALID_RECORD))
                .hasMessageContaining("limit");
    }
}
