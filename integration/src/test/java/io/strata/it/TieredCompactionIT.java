package io.strata.it;

import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A compacted topic that tiers (remote.storage.enable=true with cleanup.policy=compact, which
 * Apache Kafka refuses): a keyed workload with many overwrites is tiered to a real S3 server
 * (s3proxy) uncompacted, then the log cleaner compacts the tiered segments into new objects
 * committed to the manifest in one MetaStore transaction. A consumer reading from offset 0 (all
 * of it from the bucket) sees each key's latest value, and every record it sees is the one
 * written at that offset; the tiered bytes shrink to the live keys.
 */
class TieredCompactionIT {
    @TempDir
    Path dir;

    private static long bucketSegmentBytes(S3ProxyServer s3, String bucket) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try (Stream<Path> files = Files.walk(s3.blobDir(bucket))) {
                return files.filter(f -> f.toString().endsWith(".seg")).mapToLong(f -> f.toFile().length()).sum();
            } catch (java.io.UncheckedIOException e) {
                // s3proxy renames its temporary upload files while the walk runs: look again.
                if (attempt >= 10) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void tieredSegmentsOfACompactedTopicAreCompactedInTheBucket() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            Map<Long, String> written = new TreeMap<>();
            Map<String, String> latest = new HashMap<>();
            long before;
            // First without the cleaner: the history reaches the bucket as it was written.
            try (StrataNode node = TieringIT.nodeOn(s3, dir, "node", "compacted", Map.of(), "log.cleaner.enable=false");
                 Admin admin = Clients.admin(node)) {
                admin.createTopics(List.of(new NewTopic("profiles", 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                        "remote.storage.enable", "true", "segment.bytes", "65536", "segment.ms", "2000", "local.retention.bytes", "65536",
                        "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0",
                        // Compact-only: retention.ms must not delete the tiered history, however old (every key's latest value).
                        "retention.ms", "1000")))).all().get();
                try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("acks", "all", "linger.ms", 5))) {
                    List<Future<RecordMetadata>> acks = new ArrayList<>();
                    List<String> sent = new ArrayList<>();
                    for (int i = 0; i < 3000; i++) {
                        String key = "user-" + (i % 50);
                        String value = "v" + i + "-" + "x".repeat(900);
                        acks.add(p.send(new ProducerRecord<>("profiles", 0, key.getBytes(StandardCharsets.UTF_8),
                                value.getBytes(StandardCharsets.UTF_8))));
                        sent.add(key + "=" + value);
                        latest.put(key, value);
                    }
                    for (int i = 0; i < acks.size(); i++) {
                        written.put(acks.get(i).get().offset(), sent.get(i));
                    }
                }
                await("the uncompacted history in the bucket").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> bucketSegmentBytes(s3, "compacted") >= 2_500_000);
                Thread.sleep(3000); // the idle tail rolls after segment.ms and tiers too
                before = bucketSegmentBytes(s3, "compacted");
                assertThat(before).as("the uncompacted history is in the bucket").isGreaterThan(2_500_000);
                admin.close();
                node.stop(); // a clean stop ends the node's lease, so the next start may take its node.id at once
            }
            // Then with the cleaner: the tiered segments are compacted into new objects.
            try (StrataNode node = TieringIT.nodeOn(s3, dir, "node", "compacted", Map.of(), "log.cleaner.backoff.ms=500")) {
                await("a compaction of the tiered segments").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> node.log().contains("profiles-0: compacted tiered segments"));
                Matcher m = Pattern.compile("profiles-0: compacted tiered segments: (\\d+) objects -> (\\d+), (\\d+) -> (\\d+) bytes")
                        .matcher(node.log());
                assertThat(m.find()).as("a compaction of the tiered segments ran:\n" + node.log()).isTrue();
                long tieredBefore = Long.parseLong(m.group(3));
                long tieredAfter = Long.parseLong(m.group(4));
                assertThat(tieredAfter).as("tiered bytes after compaction").isLessThan(tieredBefore / 4);

                Map<Long, String> seen = new TreeMap<>();
                Map<String, String> lastSeen = new HashMap<>();
                try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
                    TopicPartition tp = new TopicPartition("profiles", 0);
                    c.assign(List.of(tp));
                    c.seekToBeginning(List.of(tp));
                    long end = c.endOffsets(List.of(tp)).get(tp);
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (c.position(tp) < end && System.nanoTime() < until) {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                            String kv = new String(r.key(), StandardCharsets.UTF_8) + "=" + new String(r.value(), StandardCharsets.UTF_8);
                            seen.put(r.offset(), kv);
                            lastSeen.put(new String(r.key(), StandardCharsets.UTF_8), new String(r.value(), StandardCharsets.UTF_8));
                        }
                    }
                    assertThat(c.position(tp)).as("the consumer read to the end").isEqualTo(end);
                }
                seen.forEach((offset, kv) -> assertThat(written.get(offset)).as("offset %d holds what was written there", offset).isEqualTo(kv));
                assertThat(lastSeen).isEqualTo(latest);
                assertThat(seen.size()).as("overwritten records are gone").isLessThan(written.size() / 4);
                System.out.printf("tiered compaction: %d records written, %d read back; bucket segment bytes %d before, "
                        + "tiered bytes %d -> %d (the replaced objects go after the orphan grace period)%n",
                        written.size(), seen.size(), before, tieredBefore, tieredAfter);
            }
        }
    }
}
