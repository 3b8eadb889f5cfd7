package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two Strata processes on one PostgreSQL MetaStore share topics and committed offsets. */
class TwoNodesOneStoreIT {
    @TempDir
    Path dir;

    @Test
    void bothNodesSeeTheSameTopicsAndOffsetsAndConcurrentCreationHasOneWinner() throws Exception {
        String url = PostgresServer.shared().newDatabase("two_nodes");
        try (StrataNode a = StrataNode.start(dir.resolve("a"), "metastore=" + url, "node.id=1");
             StrataNode b = StrataNode.start(dir.resolve("b"), "metastore=" + url, "node.id=2");
             Admin adminA = Clients.admin(a);
             Admin adminB = Clients.admin(b)) {
            assertThat(adminA.describeCluster().clusterId().get()).isEqualTo(adminB.describeCluster().clusterId().get());

            adminA.createTopics(List.of(new NewTopic("shared", 3, (short) 1).configs(Map.of("retention.ms", "123456")))).all().get();
            assertThat(adminB.listTopics().names().get()).contains("shared");
            assertThat(adminB.describeTopics(List.of("shared")).allTopicNames().get().get("shared").partitions()).hasSize(3);

            TopicPartition tp = new TopicPartition("shared", 2);
            adminA.alterConsumerGroupOffsets("shared-group", Map.of(tp, new OffsetAndMetadata(42, "from-a"))).all().get();
            OffsetAndMetadata seenByB = adminB.listConsumerGroupOffsets("shared-group").partitionsToOffsetAndMetadata().get().get(tp);
            assertThat(seenByB.offset()).isEqualTo(42);
            assertThat(seenByB.metadata()).isEqualTo("from-a");

            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int i = 0; i < 10; i++) {
                    String name = "race-" + i;
                    List<Future<Boolean>> results = new ArrayList<>();
                    for (Admin admin : List.of(adminA, adminB)) {
                        Callable<Boolean> create = () -> {
                            try {
                                admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
                                return true;
                            } catch (ExecutionException e) {
                                assertThat(e.getCause()).isInstanceOf(TopicExistsException.class);
                                return false;
                            }
                        };
                        results.add(pool.submit(create));
                    }
                    int winners = 0;
                    for (Future<Boolean> f : results) {
                        winners += f.get() ? 1 : 0;
                    }
                    assertThat(winners).as("exactly one creator of %s wins", name).isEqualTo(1);
                }
            } finally {
                pool.shutdown();
            }
            adminB.deleteTopics(List.of("shared")).all().get();
            await("the deleted topic gone from the other node").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> !adminA.listTopics().names().get().contains("shared"));
            assertThat(adminA.listTopics().names().get()).doesNotContain("shared");
        }
    }
}
