package io.strata.it;

import io.strata.records.HostileBatches;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The storage-safety review's hostile producer, through the Kafka protocol: well-formed batches
 * whose headers lie, each with a correct CRC, must each get Kafka's error and leave the log as
 * it was — across a restart too.
 */
class HostileProducerIT extends SharedNode {
    static final String TOPIC = "hostile";

    private long endOffset() throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
    }

    private static ProduceResponseData.PartitionProduceResponse produceRaw(RawKafkaConnection c, java.nio.ByteBuffer batch) throws Exception {
        return produceRaw(c, TOPIC, batch);
    }

    /** One batch to partition 0 of {@code topic}, as Produce v9 with acks=all. */
    static ProduceResponseData.PartitionProduceResponse produceRaw(RawKafkaConnection c, String topic, java.nio.ByteBuffer batch) throws Exception {
        ProduceRequestData req = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
        ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName(topic);
        td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0)
                .setRecords(MemoryRecords.readableRecords(batch)));
        req.topicData().add(td);
        ProduceResponseData resp = (ProduceResponseData) c.send(req, (short) 9);
        return resp.responses().iterator().next().partitionResponses().get(0);
    }

    @Test
    void everyLyingBatchGetsKafkasErrorAndTheLogIsUntouched() throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
            for (int i = 0; i < 6; i++) {
                p.send(new ProducerRecord<>(TOPIC, ("k" + i).getBytes(), ("good-" + i).getBytes())).get();
            }
        }
        assertThat(endOffset()).isEqualTo(6);
        List<String> outcomes = new ArrayList<>();
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            for (var e : HostileBatches.reviewCases(System.currentTimeMillis()).entrySet()) {
                ProduceResponseData.PartitionProduceResponse r = produceRaw(c, e.getValue().batch());
                outcomes.add(e.getKey() + " -> " + Errors.forCode(r.errorCode()));
                assertThat(Errors.forCode(r.errorCode())).as(e.getKey() + ": " + r.errorMessage())
                        .isEqualTo(Errors.valueOf(e.getValue().error()));
                assertThat(endOffset()).as("log end offset after " + e.getKey()).isEqualTo(6);
            }
        }
        System.out.println("hostile batches: " + outcomes);

        node.kill9();
        node.launch();
        assertThat(endOffset()).as("after a crash and recovery").isEqualTo(6);
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
            p.send(new ProducerRecord<>(TOPIC, "k6".getBytes(), "good-6".getBytes())).get();
        }
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(node, Map.of())) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 15_000;
            while (values.size() < 7 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.offset() + ":" + new String(r.value()));
                }
            }
        }
        assertThat(values).containsExactly("0:good-0", "1:good-1", "2:good-2", "3:good-3", "4:good-4", "5:good-5", "6:good-6");
    }
}
