package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.InvalidRecordException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * cleanup.policy=compact through kafka-clients against a real node: a keyed workload with
 * overwrites and tombstones is compacted by the log cleaner; a consumer from offset 0 sees every
 * key's latest value, and every record it sees is the one written at that offset. Records
 * without a key are refused as Kafka refuses them (TieredCompactionIT: compaction with remote storage).
 */
class CompactionIT {
    @TempDir
    Path dir;

    @Test
    void aKeyedWorkloadIsCompactedToTheLatestValueOfEachKey() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"), "log.cleaner.backoff.ms=300");
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("latest", 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "segment.bytes", "8192", "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0")))).all().get();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "latest");
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");

            Map<Long, String> written = new TreeMap<>();
            Map<String, String> latest = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("acks", "all", "linger.ms", 0))) {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < 3000; i++) {
                    String key = "k" + (i % 40);
                    String value = i >= 2900 && i % 40 < 10 ? null : "v" + i; // the last round deletes k0..k9
                    acks.add(p.send(new ProducerRecord<>("latest", 0, key.getBytes(StandardCharsets.UTF_8),
                            value == null ? null : value.getBytes(StandardCharsets.UTF_8))));
                    sent.add(key + "=" + value);
                    latest.put(key, value);
                }
                for (int i = 0; i < acks.size(); i++) {
                    written.put(acks.get(i).get().offset(), sent.get(i));
                }
                assertThatThrownBy(() -> p.send(new ProducerRecord<>("latest", 0, null, "no key".getBytes())).get(10, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidRecordException.class);
            }

            await("the log cleaner's first rewrite").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> node.log().contains("log cleaner rewrote"));
            assertThat(node.log()).contains("log cleaner rewrote");
            Thread.sleep(1000);

            Map<Long, String> seen = new TreeMap<>();
            Map<String, String> lastSeen = new HashMap<>();
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
                TopicPartition tp = new TopicPartition("latest", 0);
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                long end = c.endOffsets(List.of(tp)).get(tp);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (c.position(tp) < end && System.nanoTime() < until) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                        String kv = new String(r.key(), StandardCharsets.UTF_8) + "=" + (r.value() == null ? null : new String(r.value()));
                        seen.put(r.offset(), kv);
                        lastSeen.put(new String(r.key(), StandardCharsets.UTF_8), r.value() == null ? null : new String(r.value()));
                    }
                }
            }
            seen.forEach((offset, kv) -> assertThat(written.get(offset)).as("offset %d holds what was written there", offset).isEqualTo(kv));
            latest.forEach((key, value) -> {
                if (value != null) {
                    assertThat(lastSeen.get(key)).as("the latest value of %s", key).isEqualTo(value);
                }
            });
            System.out.printf("compaction: %d records written, %d read back after cleaning%n", written.size(), seen.size());
            assertThat(seen.size()).as("the cleaner removed overwritten records").isLessThan(written.size() / 2);

        }
    }
}
