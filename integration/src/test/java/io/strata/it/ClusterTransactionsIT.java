package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions on a three-node cluster: one transaction spans partitions led by different nodes
 * (the coordinator writes the markers of the partitions it does not lead with WriteTxnMarkers to
 * their leaders), an abort is invisible to read_committed readers, and a transaction whose
 * coordinator is SIGKILLed in the middle commits through the node that takes the transactional id
 * over from the MetaStore.
 */
class ClusterTransactionsIT {
    @TempDir
    Path dir;
    ClusterHarness cluster;

    @BeforeEach
    void setUp() {
        cluster = new ClusterHarness(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
    }

    private ProducerRecord<byte[], byte[]> rec(int partition, String v) {
        return new ProducerRecord<>(ClusterHarness.TOPIC, partition, null, v.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTransactionAcrossLeadersCommitsThroughANewCoordinatorAfterTheOldOneIsKilled() throws Exception {
        cluster.startCluster(3);
        try (Admin admin = cluster.admin()) {
            cluster.createTopic(admin);
            TopicDescription d = ClusterHarness.describe(admin);
            Set<Integer> leaders = d.partitions().stream().map(TopicPartitionInfo::leader).map(n -> n.id()).collect(Collectors.toSet());
            assertThat(leaders).as("partitions led by more than one node").hasSizeGreaterThan(1);
            Map<String, Object> cfg = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrap(), "transactional.id", "cluster-tx",
                    "acks", "all", "delivery.timeout.ms", 120_000, "max.block.ms", 120_000, "request.timeout.ms", 10_000));
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(ClusterHarness.withSerializers(cfg))) {
                p.initTransactions();
                p.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    p.send(rec(i % ClusterHarness.PARTITIONS, "committed-" + i));
                }
                p.commitTransaction();
                p.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    p.send(rec(i % ClusterHarness.PARTITIONS, "aborted-" + i));
                }
                p.abortTransaction();

                p.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    p.send(rec(i % ClusterHarness.PARTITIONS, "before-kill-" + i)).get();
                }
                int coordinator = admin.describeTransactions(List.of("cluster-tx")).description("cluster-tx").get().coordinatorId();
                cluster.node(coordinator).kill9();
                for (int i = 0; i < 30; i++) {
                    p.send(rec(i % ClusterHarness.PARTITIONS, "after-kill-" + i));
                }
                p.commitTransaction();
                System.out.printf("cluster transactions: coordinator node %d killed mid-transaction; committed through node %d%n",
                        coordinator, admin.describeTransactions(List.of("cluster-tx")).description("cluster-tx").get().coordinatorId());
            }
            List<String> seen = readCommitted();
            assertThat(seen).hasSize(90).noneMatch(v -> v.startsWith("aborted-"));
            assertThat(seen.stream().filter(v -> v.startsWith("after-kill-")).count()).isEqualTo(30);
        }
    }

    private List<String> readCommitted() {
        Map<String, Object> cfg = new HashMap<>(Map.of("bootstrap.servers", cluster.bootstrap(), "isolation.level", "read_committed",
                "auto.offset.reset", "earliest", "enable.auto.commit", false));
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(ClusterHarness.withSerializers(cfg))) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < ClusterHarness.PARTITIONS; i++) {
                tps.add(new TopicPartition(ClusterHarness.TOPIC, i));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline && (out.size() < 90 || System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(2))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                    out.add(new String(r.value(), StandardCharsets.UTF_8));
                    quietSince = System.nanoTime();
                }
            }
        }
        return out;
    }
}
