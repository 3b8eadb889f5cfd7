package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Failover with real processes ({@link ClusterHarness}): three nodes, RF=3,
 * min.insync.replicas=2, idempotent producers with acks=all under load. Leaders are killed with
 * SIGKILL and restarted, paused with SIGSTOP, and replicas lost below min.insync.replicas; after
 * each scenario every acknowledged record is read back exactly once, in order, and the replicas'
 * logs are compared byte for byte.
 */
class FailoverIT {
    // A failed scenario keeps its nodes' logs and data directories, so the failure can be read afterwards.
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    ClusterHarness cluster;

    @org.junit.jupiter.api.BeforeEach
    void harness() {
        cluster = new ClusterHarness(dir);
    }

    @AfterEach
    void stopAll() throws Exception {
        cluster.close();
    }

    @Test
    void killingTheLeaderFiveTimesUnderLoadLosesNothingAcknowledged() throws Exception {
        cluster.startCluster(3);
        List<Long> failover = new ArrayList<>();
        try (Admin admin = cluster.admin()) {
            cluster.createTopic(admin);
            ClusterHarness.Load load = cluster.new Load();
            ClusterHarness.GroupReader reader = cluster.new GroupReader();
            try {
                Thread.sleep(2000);
                int kills = Integer.getInteger("strata.failover.kills", 5);
                for (int round = 0; round < kills; round++) {
                    int leader = ClusterHarness.partition(admin, 0).leader().id();
                    long before = load.acked.size();
                    long killedAt = System.currentTimeMillis();
                    cluster.node(leader).kill9();
                    int next = ClusterHarness.awaitLeader(admin, 0, leader, 30_000);
                    long firstAck = load.firstAckAfter(killedAt, 60_000);
                    failover.add(firstAck - killedAt);
                    System.out.printf("kill %d: leader %d -> %d, first acknowledged produce %d ms after the kill (%d acknowledged before)%n",
                            round + 1, leader, next, firstAck - killedAt, before);
                    // The group's member rejoins after every failover and resumes from the offsets its group committed,
                    // wherever the coordinator went: a commit lost or rolled back shows as a poll going backwards.
                    reader.rejoin.set(true);
                    cluster.node(leader).launch();
                    ClusterHarness.awaitIsr(admin, 3, 60_000);
                    Thread.sleep(1000);
                }
            } finally {
                load.close();
                reader.close();
            }
            assertThat(reader.failure.get()).isNull();
            assertThat(reader.backwards.get()).as("consumer polls never go backwards").isNull();
            assertThat(reader.records.get()).as("the group kept consuming").isPositive();
            assertThat(reader.rejoins.get()).as("the member rejoined after every failover").isEqualTo(failover.size());
            assertThat(failover).hasSize(Integer.getInteger("strata.failover.kills", 5));
            long verified = cluster.verify(admin, load);
            cluster.assertReplicasIdentical(admin);
            System.out.printf("kill -9 x" + failover.size() + ": %d records sent, %d acknowledged and verified; failover (kill to first acknowledged "
                    + "produce on partition 0) p50 %d ms, max %d ms%n", load.sent.get(), verified, ClusterHarness.percentile(failover, 0.5),
                    ClusterHarness.percentile(failover, 1.0));
        }
    }

    private static void signal(StrataNode node, String signal) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).start().waitFor(10, TimeUnit.SECONDS);
    }

    private static ProduceRequestData produceOne(int partition, String value) {
        ProduceRequestData req = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5000);
        ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName(ClusterHarness.TOPIC);
        td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(partition)
                .setRecords(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes()))));
        req.topicData().add(td);
        return req;
    }

    /**
     * A paused leader is replaced; when it resumes it still believes it leads for as long as it
     * cannot re-read the cluster state (here: the MetaStore is frozen at that moment), and takes a
     * produce in that window — which it must not acknowledge, and which the new leader's log
     * then overrides. Its own PostgreSQL, so that freezing it disturbs no other test.
     */
    @Test
    void aPausedLeaderIsReplacedAndFencedWhenItResumes() throws Exception {
        try (io.strata.metastore.postgres.PostgresServer pg = io.strata.metastore.postgres.PostgresServer.start()) {
            cluster.startCluster(3, pg.newDatabase("fencing"));
            try (Admin admin = cluster.admin()) {
                cluster.createTopic(admin);
                ClusterHarness.Load load = cluster.new Load();
                Errors zombieAnswer;
                try {
                    Thread.sleep(1500);
                    int leader = ClusterHarness.partition(admin, 0).leader().id();
                    StrataNode paused = cluster.node(leader);
                    signal(paused, "STOP");
                    int next = ClusterHarness.awaitLeader(admin, 0, leader, 60_000);
                    System.out.printf("SIGSTOP: leader %d -> %d%n", leader, next);
                    Thread.sleep(1500);
                    // The resumed leader cannot re-read its role while the MetaStore is frozen: a produce reaches it stale.
                    pg.freeze(true);
                    try (RawKafkaConnection zombie = new RawKafkaConnection(paused.port())) {
                        ProduceRequestData req = produceOne(0, "zombie").setTimeoutMs(1500);
                        int cid = zombie.write(req, (short) 9);
                        signal(paused, "CONT");
                        ProduceResponseData resp = (ProduceResponseData) zombie.read(org.apache.kafka.common.protocol.ApiKeys.PRODUCE, (short) 9, cid);
                        zombieAnswer = Errors.forCode(resp.responses().iterator().next().partitionResponses().get(0).errorCode());
                    } finally {
                        pg.freeze(false);
                    }
                    ClusterHarness.awaitIsr(admin, 3, 60_000);
                    Thread.sleep(1000);
                } finally {
                    load.close();
                }
                System.out.println("the resumed leader answered a produce with " + zombieAnswer);
                assertThat(zombieAnswer).as("a fenced leader acknowledges nothing").isNotEqualTo(Errors.NONE);
                long verified = cluster.verify(admin, load);
                cluster.assertReplicasIdentical(admin);
                System.out.printf("SIGSTOP: %d acknowledged records verified, the stale append is gone%n", verified);
            }
        }
    }

    @Test
    void belowMinInsyncReplicasAcksAllIsRefusedUntilAReplicaReturns() throws Exception {
        cluster.startCluster(3);
        try (Admin admin = cluster.admin()) {
            cluster.createTopic(admin);
            int leader = ClusterHarness.partition(admin, 0).leader().id();
            List<Integer> others = new ArrayList<>(List.of(1, 2, 3));
            others.remove(Integer.valueOf(leader));
            for (int id : others) {
                cluster.node(id).kill9();
            }
            await("the ISR shrunk to the leader").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> ClusterHarness.partition(admin, 0).isr().size() <= 1);
            assertThat(ClusterHarness.partition(admin, 0).isr()).hasSize(1);
            Map<String, Object> once = Map.of("acks", "all", "enable.idempotence", false, "retries", 0, "delivery.timeout.ms", 5000,
                    "request.timeout.ms", 4000, "linger.ms", 0);
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(cluster.node(leader), once)) {
                assertThatThrownBy(() -> p.send(new ProducerRecord<>(ClusterHarness.TOPIC, 0, null, "refused".getBytes())).get())
                        .hasCauseInstanceOf(NotEnoughReplicasException.class);
            }
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(cluster.node(leader), Map.of("acks", "1"))) {
                p.send(new ProducerRecord<>(ClusterHarness.TOPIC, 0, null, "r-0".getBytes())).get();
            }
            cluster.node(others.get(0)).launch();
            await("the relaunched replica back in the ISR").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ClusterHarness.partition(admin, 0).isr().size() >= 2);
            assertThat(ClusterHarness.partition(admin, 0).isr()).hasSize(2);
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(cluster.node(leader), once)) {
                p.send(new ProducerRecord<>(ClusterHarness.TOPIC, 0, null, "r-1".getBytes())).get();
            }
        }
    }

    @Test
    void fastSuccessiveFailoversLeaveNoDivergence() throws Exception {
        cluster.startCluster(3);
        try (Admin admin = cluster.admin()) {
            cluster.createTopic(admin);
            ClusterHarness.Load load = cluster.new Load();
            try {
                Thread.sleep(1500);
                int first = ClusterHarness.partition(admin, 0).leader().id();
                cluster.node(first).kill9();
                int second = ClusterHarness.awaitLeader(admin, 0, first, 30_000);
                // The new leader dies too, before its followers have caught up with it.
                Thread.sleep(300);
                cluster.node(second).kill9();
                int third = ClusterHarness.awaitLeader(admin, 0, second, 30_000);
                System.out.printf("fast failovers: %d -> %d -> %d%n", first, second, third);
                cluster.node(first).launch();
                cluster.node(second).launch();
                ClusterHarness.awaitIsr(admin, 3, 60_000);
                Thread.sleep(1000);
            } finally {
                load.close();
            }
            long verified = cluster.verify(admin, load);
            cluster.assertReplicasIdentical(admin);
            System.out.printf("fast failovers: %d acknowledged records verified, replicas identical%n", verified);
        }
    }

    @Test
    void aRollingRestartUnderLoadLosesNothingAndLeadershipReturnsToPreferredReplicas() throws Exception {
        cluster.common.add("leader.imbalance.check.interval.seconds=2");
        cluster.startCluster(3);
        try (Admin admin = cluster.admin()) {
            cluster.createTopic(admin);
            ClusterHarness.Load load = cluster.new Load();
            long from;
            long to;
            try {
                Thread.sleep(1500);
                from = System.currentTimeMillis();
                for (StrataNode n : cluster.nodes) {
                    assertThat(n.stop()).as("a clean stop exits 0").isZero();
                    n.launch();
                    ClusterHarness.awaitIsr(admin, 3, 60_000);
                }
                to = System.currentTimeMillis();
                Thread.sleep(1000);
            } finally {
                load.close();
            }
            long verified = cluster.verify(admin, load);
            cluster.assertReplicasIdentical(admin);
            System.out.printf("rolling restart: %d acknowledged records verified; longest produce stall %d ms%n", verified,
                    load.longestStall(from, to));
            long deadline = System.currentTimeMillis() + 30_000;
            while (!ClusterHarness.describe(admin).partitions().stream().allMatch(p -> p.leader() != null
                    && p.leader().id() == p.replicas().get(0).id()) && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            assertThat(ClusterHarness.describe(admin).partitions()).as("every partition led by its preferred replica again")
                    .allMatch(p -> p.leader() != null && p.leader().id() == p.replicas().get(0).id());
        }
    }
}
