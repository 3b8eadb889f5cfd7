package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An idempotent producer's retried request — the same producer id, epoch and sequence sent
 * again, exactly what kafka-clients does after a lost response — is acknowledged with the
 * original offset and written once; a gap in sequence is refused with Kafka's error.
 */
class IdempotentProduceIT {
    @TempDir
    static Path dir;
    static StrataNode node;

    @BeforeAll
    static void start() throws Exception {
        node = StrataNode.start(dir.resolve("node"));
        try (Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("idem", 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
    }

    private static ProduceRequestData produce(long pid, short epoch, int seq, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(values[i].getBytes());
        }
        MemoryRecords batch = MemoryRecords.withIdempotentRecords(Compression.NONE, pid, epoch, seq, records);
        ProduceRequestData req = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
        ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName("idem");
        td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
        req.topicData().add(td);
        return req;
    }

    private static ProduceResponseData.PartitionProduceResponse send(RawKafkaConnection c, ProduceRequestData req) throws Exception {
        ProduceResponseData r = (ProduceResponseData) c.send(req, (short) 9);
        return r.responses().iterator().next().partitionResponses().get(0);
    }

    @Test
    void aRetriedBatchIsAcknowledgedWithItsOriginalOffsetAndWrittenOnce() throws Exception {
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            InitProducerIdResponseData id = (InitProducerIdResponseData) c.send(
                    new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1), (short) 4);
            assertThat(id.errorCode()).isZero();
            long pid = id.producerId();

            var first = send(c, produce(pid, (short) 0, 0, "a", "b", "c"));
            var retry = send(c, produce(pid, (short) 0, 0, "a", "b", "c"));
            var next = send(c, produce(pid, (short) 0, 3, "d"));
            var gap = send(c, produce(pid, (short) 0, 7, "h"));
            InitProducerIdResponseData bumped = (InitProducerIdResponseData) c.send(new InitProducerIdRequestData().setTransactionalId(null)
                    .setTransactionalId(null).setTransactionTimeoutMs(60_000).setProducerId(pid).setProducerEpoch((short) 0), (short) 4);
            var newEpoch = send(c, produce(pid, bumped.producerEpoch(), 0, "e"));
            var stale = send(c, produce(pid, (short) 0, 4, "x"));

            assertThat(first.errorCode()).isZero();
            assertThat(retry.errorCode()).isZero();
            assertThat(retry.baseOffset()).as("the duplicate gets the original offset").isEqualTo(first.baseOffset());
            assertThat(next.baseOffset()).as("the duplicate took no offsets").isEqualTo(first.baseOffset() + 3);
            assertThat(gap.errorCode()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code());
            assertThat(bumped.producerId()).isEqualTo(pid);
            assertThat(bumped.producerEpoch()).isEqualTo((short) 1);
            assertThat(newEpoch.errorCode()).as("a bumped epoch restarts at sequence 0").isZero();
            assertThat(stale.errorCode()).as("an older epoch is fenced").isEqualTo(Errors.INVALID_PRODUCER_EPOCH.code());
        }
        try (var consumer = Clients.consumer(node, java.util.Map.of())) {
            var tp = new org.apache.kafka.common.TopicPartition("idem", 0);
            assertThat(consumer.endOffsets(List.of(tp)).get(tp)).isEqualTo(5);
        }
    }
}
