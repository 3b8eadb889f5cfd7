package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Replication with two replicas and the default lag window. Every record acknowledged with
 * acks=all is already in the follower's log, byte for byte as the leader wrote it; while the
 * follower is stopped, acks=all produces time out and the high watermark (what consumers and
 * ListOffsets see) does not move; when it resumes, it catches up and the watermark follows.
 */
class ReplicationIT {
    @TempDir
    Path dir;

    private static long latest(Admin admin, TopicPartition tp) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
    }

    private static byte[] segment(StrataNode node) throws Exception {
        return Files.readAllBytes(node.dataDir().resolve("logs").resolve("mirrored-0").resolve("00000000000000000000.log"));
    }

    /**
     * The leader's open fetch sessions once there is one: a full fetch that replaces a session (as
     * a follower's first fetch after a reconnection does) closes the old one when it arrives and
     * opens the new one when it is answered, up to max.wait.ms later.
     */
    private static double sessions(StrataNode leader) throws Exception {
        long deadline = System.currentTimeMillis() + 5000;
        while (leader.metric("strata_fetch_sessions") < 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        return leader.metric("strata_fetch_sessions");
    }

    @Test
    void acknowledgedRecordsAreOnTheFollowerAndTheWatermarkWaitsForIt() throws Exception {
        String url = PostgresServer.shared().newDatabase("replication");
        try (StrataNode a = StrataNode.start(dir.resolve("a"), "metastore=" + url, "node.id=1");
             StrataNode b = StrataNode.start(dir.resolve("b"), "metastore=" + url, "node.id=2");
             Admin admin = Clients.admin(a)) {
            await("both nodes in the cluster").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> admin.describeCluster().nodes().get().size() >= 2);
            admin.createTopics(List.of(new NewTopic("mirrored", 1, (short) 2))).all().get();
            TopicDescription d = admin.describeTopics(List.of("mirrored")).allTopicNames().get().get("mirrored");
            assertThat(d.partitions().get(0).replicas()).hasSize(2);
            assertThat(d.partitions().get(0).isr()).hasSize(2);
            int leaderId = d.partitions().get(0).leader().id();
            StrataNode leader = leaderId == 1 ? a : b;
            StrataNode follower = leaderId == 1 ? b : a;
            TopicPartition tp = new TopicPartition("mirrored", 0);

            int n = 500;
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(leader, Map.of("acks", "all", "enable.idempotence", true))) {
                for (int i = 0; i < n; i++) {
                    p.send(new ProducerRecord<>("mirrored", ("k" + i).getBytes(), ("v" + i).getBytes()));
                }
                p.flush();
            }
            assertThat(latest(admin, tp)).isEqualTo(n);
            assertThat(segment(follower)).as("the follower holds every acknowledged record, byte for byte").isEqualTo(segment(leader));
            // The follower fetches within one incremental fetch session (KIP-227), as Kafka's replica fetchers do.
            assertThat(sessions(leader)).as("fetch sessions at the leader").isEqualTo(1.0);

            // The follower stops: acks=all cannot complete and the watermark stays.
            new ProcessBuilder("kill", "-STOP", Long.toString(follower.pid())).start().waitFor(10, TimeUnit.SECONDS);
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(leader, Map.of("acks", "all", "request.timeout.ms", 2000,
                    "delivery.timeout.ms", 4000, "linger.ms", 0, "enable.idempotence", false, "retries", 0))) {
                assertThatThrownBy(() -> p.send(new ProducerRecord<>("mirrored", "held".getBytes())).get())
                        .isInstanceOf(ExecutionException.class);
            }
            assertThat(latest(admin, tp)).as("nothing past what the follower holds is visible").isEqualTo(n);
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(leader, Map.of("acks", "1"))) {
                p.send(new ProducerRecord<>("mirrored", "acks-1".getBytes())).get();
            }
            assertThat(latest(admin, tp)).as("acks=1 is written but not yet replicated").isEqualTo(n);

            new ProcessBuilder("kill", "-CONT", Long.toString(follower.pid())).start().waitFor(10, TimeUnit.SECONDS);
            long end = System.currentTimeMillis() + 20_000;
            while (latest(admin, tp) < n + 2 && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertThat(latest(admin, tp)).as("the watermark catches up once the follower does").isEqualTo(n + 2);
            assertThat(segment(follower)).isEqualTo(segment(leader));
            // However the stop ended its fetch, the follower holds one session there: a new one closes the old.
            assertThat(sessions(leader)).as("fetch sessions at the leader after the stop").isEqualTo(1.0);
        }
    }
}
