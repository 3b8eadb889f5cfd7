package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The first slice of the cluster: nodes sharing a MetaStore register, one becomes controller and
 * places every partition on exactly one leader; Metadata from any node names the same leaders;
 * a non-leader refuses writes with NOT_LEADER_OR_FOLLOWER; clients spread over the nodes and
 * nothing is written twice or lost. (Replication and failover: ReplicationIT, FailoverIT.)
 */
class ClusterIT {
    @TempDir
    Path dir;

    /** The topic as a node describes it once every partition has a leader (placement reaches nodes within a round). */
    private static TopicDescription placed(Admin admin) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            TopicDescription d = admin.describeTopics(List.of("spread")).allTopicNames().get().get("spread");
            if (d.partitions().stream().allMatch(p -> p.leader() != null) || System.currentTimeMillis() > deadline) {
                return d;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void twoNodesShareTheWorkAndEveryPartitionHasExactlyOneLeader() throws Exception {
        String url = PostgresServer.shared().newDatabase("cluster");
        try (StrataNode a = StrataNode.start(dir.resolve("a"), "metastore=" + url, "node.id=1");
             StrataNode b = StrataNode.start(dir.resolve("b"), "metastore=" + url, "node.id=2");
             Admin admin = Clients.admin(a);
             Admin adminB = Clients.admin(b)) {
            await("both nodes in the cluster").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> admin.describeCluster().nodes().get().size() >= 2);
            assertThat(admin.describeCluster().nodes().get()).extracting(Node::id).containsExactlyInAnyOrder(1, 2);
            int controller = admin.describeCluster().controller().get().id();
            assertThat(controller).isIn(1, 2);
            assertThat(adminB.describeCluster().controller().get().id()).isEqualTo(controller);

            admin.createTopics(List.of(new NewTopic("spread", 8, (short) 1))).all().get();
            TopicDescription seenByA = placed(admin);
            TopicDescription seenByB = placed(adminB);
            Map<Integer, Integer> leaders = new HashMap<>();
            for (TopicPartitionInfo p : seenByA.partitions()) {
                assertThat(p.leader()).as("partition " + p.partition() + " has a leader").isNotNull();
                leaders.put(p.partition(), p.leader().id());
            }
            for (TopicPartitionInfo p : seenByB.partitions()) {
                assertThat(p.leader().id()).as("both nodes name the same leader").isEqualTo(leaders.get(p.partition()));
            }
            assertThat(new HashSet<>(leaders.values())).as("both nodes lead some partitions").containsExactlyInAnyOrder(1, 2);

            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("too-wide", 1, (short) 3))).all().get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidReplicationFactorException.class);

            // A write sent to the node that does not lead the partition is refused, and not written.
            int partition = leaders.entrySet().stream().filter(e -> e.getValue() == 2).findFirst().orElseThrow().getKey();
            try (RawKafkaConnection toA = new RawKafkaConnection(a.port())) {
                ProduceRequestData req = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5000);
                ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName("spread");
                td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition)
                        .setRecords(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("misrouted".getBytes()))));
                req.topicData().add(td);
                ProduceResponseData resp = (ProduceResponseData) toA.send(req, (short) 9);
                assertThat(Errors.forCode(resp.responses().iterator().next().partitionResponses().get(0).errorCode()))
                        .isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
            }

            int n = 2000;
            Map<Integer, String> sendErrors = new java.util.concurrent.ConcurrentHashMap<>();
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(a, Map.of("acks", "all", "enable.idempotence", true, "linger.ms", 5))) {
                for (int i = 0; i < n; i++) {
                    p.send(new ProducerRecord<>("spread", ("k" + i).getBytes(), ("v" + i).getBytes()), (md, e) -> {
                        if (e != null) {
                            sendErrors.putIfAbsent(md == null ? -1 : md.partition(), e.toString());
                        }
                    });
                }
                p.flush();
            }
            Set<String> seen = new HashSet<>();
            int total = 0;
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(b, Map.of("group.id", "spread-readers"))) {
                c.subscribe(List.of("spread"));
                long end = System.currentTimeMillis() + 60_000;
                while (total < n && System.currentTimeMillis() < end) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                        seen.add(new String(r.value()));
                        total++;
                    }
                }
                c.commitSync();
            }
            assertThat(total).as("every record once; first send error per partition: " + sendErrors).isEqualTo(n);
            assertThat(seen).hasSize(n);
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    adminB.listConsumerGroupOffsets("spread-readers").partitionsToOffsetAndMetadata().get();
            assertThat(committed.values().stream().mapToLong(o -> o.offset()).sum()).isEqualTo(n);

            // A's admin API answers for the partitions B leads (RF 1) too, saying it does not lead them: its offsets for them, if
            // it gives any, are not the partition's.
            com.fasterxml.jackson.databind.JsonNode manifests = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    java.net.URI.create("http://127.0.0.1:" + a.adminPort() + "/api/topics/spread/segments").toURL());
            assertThat(manifests.get("partitions")).hasSize(8);
            for (com.fasterxml.jackson.databind.JsonNode p : manifests.get("partitions")) {
                boolean onA = leaders.get(p.get("partition").asInt()) == 1;
                assertThat(p.get("leader").asBoolean()).as("partition " + p.get("partition")).isEqualTo(onA);
                if (onA) {
                    assertThat(p.get("highWatermark").asLong()).as("partition " + p.get("partition")).isPositive();
                }
            }
            // A replay through A's admin API takes the range of B's partitions from the brokers, and reads every record.
            java.util.concurrent.atomic.AtomicLong replayed = new java.util.concurrent.atomic.AtomicLong();
            io.strata.sdk.replay.Replay.Result r = io.strata.sdk.replay.Replay.of("spread").adminUrl("http://127.0.0.1:" + a.adminPort())
                    .bootstrap(a.bootstrap()).run(rec -> replayed.incrementAndGet());
            assertThat(r.complete()).isTrue();
            assertThat(replayed.get()).isEqualTo(n);
        }
    }
}
