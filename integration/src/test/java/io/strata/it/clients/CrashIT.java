package io.strata.it.clients;

import io.strata.it.Clients;
import io.strata.it.StrataNode;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGKILL during an acks=all produce loses no acknowledged record and duplicates none. */
class CrashIT {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedRecordSurvivesKillMinusNine() throws Exception {
        String topic = "crash";
        int partitions = 3;
        Map<Integer, Set<Long>> acked = new ConcurrentHashMap<>();
        try (StrataNode node = StrataNode.start(dir.resolve("node"))) {
            try (Admin admin = Clients.admin(node)) {
                admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            }
            KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 2,
                    ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000));
            long seq = 0;
            long killAt = System.currentTimeMillis() + 3000;
            while (System.currentTimeMillis() < killAt) {
                long s = seq++;
                int p = (int) (s % partitions);
                producer.send(new ProducerRecord<>(topic, p, null, ByteBuffer.allocate(8).putLong(s).array()), (md, e) -> {
                    if (e == null) {
                        acked.computeIfAbsent(p, k -> ConcurrentHashMap.newKeySet()).add(s);
                    }
                });
                if (s % 20 == 0) {
                    Thread.sleep(1);
                }
            }
            node.kill9();
            producer.close(Duration.ofSeconds(10));
            int ackedCount = acked.values().stream().mapToInt(Set::size).sum();
            assertThat(ackedCount).as("records acknowledged before the crash").isGreaterThan(1000);

            node.launch();
            assertThat(node.log()).contains("unclean shutdown");
            Map<Integer, List<Long>> read = new HashMap<>();
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(node, Map.of())) {
                List<TopicPartition> tps = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    tps.add(new TopicPartition(topic, p));
                }
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                Map<TopicPartition, Long> end = consumer.endOffsets(tps);
                long total = end.values().stream().mapToLong(Long::longValue).sum();
                long got = 0;
                long deadline = System.currentTimeMillis() + 60_000;
                while (got < total && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        read.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(ByteBuffer.wrap(r.value()).getLong());
                        got++;
                    }
                }
                assertThat(got).isEqualTo(total);
            }
            for (int p = 0; p < partitions; p++) {
                List<Long> values = read.getOrDefault(p, List.of());
                assertThat(values).as("partition %d holds each record once, in send order", p).isSorted().doesNotHaveDuplicates();
                assertThat(values).as("partition %d holds every acknowledged record", p).containsAll(acked.getOrDefault(p, Set.of()));
            }
        }
    }
}
