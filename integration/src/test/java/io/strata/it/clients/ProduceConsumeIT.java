package io.strata.it.clients;

import io.strata.it.Clients;
import io.strata.it.StrataNode;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Produce and consume with kafka-clients: every codec, byte-for-byte; size limits; lookups by time. */
class ProduceConsumeIT {
    @TempDir
    static Path dir;
    static StrataNode node;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        node = StrataNode.start(dir.resolve("node"));
        admin = Clients.admin(node);
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        assertThat(node.stop()).as("exit code after SIGTERM").isZero();
    }

    @Test
    void theClientVersionUnderTestIsLoaded() {
        String expected = System.getProperty("strata.expectedClientMajor", "4");
        assertThat(Clients.version()).startsWith(expected + ".");
    }

    @Test
    void theNodeRunsOnTheMetaStoreUnderTest() {
        String expected = "postgresql".equals(System.getProperty("strata.it.metastore")) ? "metastore postgresql://" : "metastore sqlite:";
        assertThat(node.log()).contains(expected);
    }

    record Sent(byte[] key, byte[] value, List<Header> headers, long timestamp) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void tenThousandRecordsRoundTripByteForByte(String codec) throws Exception {
        String topic = "roundtrip-" + codec;
        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        Random random = new Random(codec.hashCode());
        long baseTs = System.currentTimeMillis() - 3_600_000;
        Map<TopicPartition, Map<Long, Sent>> sent = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5))) {
            List<Future<RecordMetadata>> futures = new ArrayList<>();
            List<Sent> records = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                byte[] key = ("key-" + i).getBytes();
                byte[] value = new byte[random.nextInt(600)];
                random.nextBytes(value);
                List<Header> headers = List.of(new RecordHeader("h1", ("v" + i).getBytes()), new RecordHeader("empty", new byte[0]));
                Sent s = new Sent(key, value, headers, baseTs + i);
                records.add(s);
                futures.add(producer.send(new ProducerRecord<>(topic, null, s.timestamp(), key, value, headers)));
            }
            for (int i = 0; i < futures.size(); i++) {
                RecordMetadata md = futures.get(i).get();
                sent.computeIfAbsent(new TopicPartition(topic, md.partition()), k -> new HashMap<>()).put(md.offset(), records.get(i));
            }
        }
        for (Map.Entry<TopicPartition, Map<Long, Sent>> e : sent.entrySet()) {
            assertThat(e.getValue().keySet()).as("offsets of %s are contiguous from 0", e.getKey())
                    .containsExactlyInAnyOrderElementsOf(rangeOf(e.getValue().size()));
        }
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> received = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(node, Map.of())) {
            List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            int total = 0;
            long deadline = System.currentTimeMillis() + 60_000;
            while (total < 10_000 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    received.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r);
                    total++;
                }
            }
            assertThat(total).isEqualTo(10_000);
        }
        for (Map.Entry<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> e : received.entrySet()) {
            List<ConsumerRecord<byte[], byte[]>> rs = e.getValue();
            Map<Long, Sent> expected = sent.get(e.getKey());
            for (int i = 0; i < rs.size(); i++) {
                ConsumerRecord<byte[], byte[]> r = rs.get(i);
                assertThat(r.offset()).as("offset order in %s", e.getKey()).isEqualTo(i);
                Sent s = expected.get(r.offset());
                assertThat(r.key()).isEqualTo(s.key());
                assertThat(r.value()).isEqualTo(s.value());
                assertThat(r.timestamp()).isEqualTo(s.timestamp());
                assertThat(Arrays.asList(r.headers().toArray())).containsExactlyElementsOf(s.headers());
            }
        }
    }

    private static List<Long> rangeOf(int n) {
        List<Long> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void aRecordOverMaxMessageBytesFailsWithRecordTooLarge() throws Exception {
        String topic = "small-messages";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "10000")))).all().get();
        byte[] big = new byte[20_000];
        new Random(1).nextBytes(big);
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of())) {
            Future<RecordMetadata> f = producer.send(new ProducerRecord<>(topic, big));
            assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RecordTooLargeException.class);
            // A record within the limit still goes through on the same topic.
            assertThat(producer.send(new ProducerRecord<>(topic, new byte[100])).get().offset()).isZero();
        }
    }

    @Test
    void offsetsForTimesFindsTheFirstRecordAtOrAfterATimestamp() throws Exception {
        String topic = "by-time";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        long t0 = 1_700_000_000_000L;
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 200))) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(topic, 0, t0 + i * 1000L, null, ("r" + i).getBytes()));
            }
            producer.flush();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(node, Map.of())) {
            Map<TopicPartition, OffsetAndTimestamp> mid = consumer.offsetsForTimes(Map.of(tp, t0 + 50_500));
            assertThat(mid.get(tp).offset()).isEqualTo(51);
            assertThat(mid.get(tp).timestamp()).isEqualTo(t0 + 51_000);
            assertThat(consumer.offsetsForTimes(Map.of(tp, t0 - 1)).get(tp).offset()).isZero();
            assertThat(consumer.offsetsForTimes(Map.of(tp, t0 + 99_000)).get(tp).offset()).isEqualTo(99);
            assertThat(consumer.offsetsForTimes(Map.of(tp, t0 + 100_000)).get(tp)).isNull();
            assertThat(consumer.beginningOffsets(List.of(tp)).get(tp)).isZero();
            assertThat(consumer.endOffsets(List.of(tp)).get(tp)).isEqualTo(100);
        }
    }
}
