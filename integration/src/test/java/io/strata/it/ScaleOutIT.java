package io.strata.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stateless scale-out: a fourth node joins a three-node cluster whose history is in the bucket and
 * takes over a partition through a reassignment (Kafka's AlterPartitionReassignments). It copies
 * only the un-tiered tail from the leader, leads once the move completes, and serves the whole
 * history, the older part read from the bucket.
 */
class ScaleOutIT {
    static final String TOPIC = "history";
    static final int RECORDS = 12_000;
    static final int SIZE = 1000;

    @TempDir
    Path dir;

    private static JsonNode partition0(StrataNode node) throws Exception {
        var url = URI.create("http://127.0.0.1:" + node.adminPort() + "/api/topics/" + TOPIC).toURL();
        try (var in = url.openStream()) {
            return new ObjectMapper().readTree(in).get("partitions").get(0);
        }
    }

    private static byte[] value(int i) {
        byte[] v = new byte[SIZE];
        Arrays.fill(v, (byte) ('a' + i % 26));
        byte[] n = Integer.toString(i).getBytes();
        System.arraycopy(n, 0, v, 0, n.length);
        return v;
    }

    @Test
    void aJoiningNodeCopiesOnlyTheUntieredTailAndServesHistoryFromTheBucket() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start(); ClusterHarness cluster = new ClusterHarness(dir)) {
            cluster.env.putAll(Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                    "AWS_REGION", "us-east-1"));
            cluster.common.addAll(List.of("object.store=" + s3.url("scale-out", "strata"), "log.segment.bytes=1048576",
                    "tiering.check.interval.ms=100", "log.retention.check.interval.ms=300", "log.local.retention.bytes=2097152"));
            cluster.startCluster(3);
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
                try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap(), "acks", "all",
                        "key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer",
                        "value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer", "linger.ms", 5))) {
                    for (int i = 0; i < RECORDS; i++) {
                        p.send(new ProducerRecord<>(TOPIC, 0, null, value(i)));
                    }
                    p.flush();
                }
                TopicPartitionInfo before = admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions().get(0);
                StrataNode leader = cluster.node(before.leader().id());
                long deadline = System.currentTimeMillis() + 60_000;
                while (partition0(leader).get("tieredUpToOffset").asLong() < RECORDS * 3L / 4 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                long tiered = partition0(leader).get("tieredUpToOffset").asLong();
                assertThat(tiered).as("most of the history is in the bucket").isGreaterThan(RECORDS / 2);

                StrataNode joined = cluster.addNode();
                long startedAt = partition0(joined).get("logEndOffset").asLong();
                List<Integer> stay = before.replicas().stream().map(Node::id).filter(id -> id != before.leader().id()).limit(2).toList();
                List<Integer> target = new ArrayList<>(List.of(4));
                target.addAll(stay);
                admin.alterPartitionReassignments(Map.of(new TopicPartition(TOPIC, 0), Optional.of(new NewPartitionReassignment(target))))
                        .all().get();
                deadline = System.currentTimeMillis() + 60_000;
                TopicPartitionInfo after = before;
                while (System.currentTimeMillis() < deadline) {
                    after = admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions().get(0);
                    if (after.replicas().stream().map(Node::id).toList().equals(target) && after.leader() != null && after.leader().id() == 4) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(after.replicas().stream().map(Node::id).toList()).as("the reassignment completed").isEqualTo(target);
                assertThat(after.leader().id()).as("the new node leads (the old leader left)").isEqualTo(4);
                assertThat(admin.listPartitionReassignments().reassignments().get()).isEmpty();

                long copied = RECORDS - startedAt;
                System.out.printf("scale-out: node 4 started its log at offset %d (tiered then: %d); it copied %d of %d records "
                        + "(%.1f%%, about %d of %d KiB) from the leader%n", startedAt, tiered, copied, RECORDS, 100.0 * copied / RECORDS,
                        copied * SIZE / 1024, (long) RECORDS * SIZE / 1024);
                assertThat(copied).as("only the un-tiered tail was copied").isLessThanOrEqualTo(RECORDS - tiered + 1);

                // The whole history, from node 4 alone: the older part comes from the bucket.
                try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", joined.bootstrap(),
                        "key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
                        "value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer", "auto.offset.reset", "earliest"))) {
                    TopicPartition tp = new TopicPartition(TOPIC, 0);
                    c.assign(List.of(tp));
                    c.seekToBeginning(List.of(tp));
                    int next = 0;
                    long end = System.currentTimeMillis() + 60_000;
                    while (next < RECORDS && System.currentTimeMillis() < end) {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                            assertThat(r.offset()).isEqualTo(next);
                            assertThat(r.value()).isEqualTo(value(next));
                            next++;
                        }
                    }
                    assertThat(next).as("node 4 served every record").isEqualTo(RECORDS);
                }
            }
        }
    }
}
