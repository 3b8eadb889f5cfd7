package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code strata cluster up --nodes 3} starts a working three-node cluster; {@code cluster} shows
 * it with epochs and leases; {@code nodes drain} and {@code partitions reassign} move replicas;
 * {@code cluster down} stops it.
 */
class ClusterUpIT {
    @TempDir
    Path dir;

    private record Result(int code, String output) {
    }

    private static Result run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", StrataNode.jar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** A port p with p, p+1 and p+2 free. */
    private static int freeRun() {
        Random r = new Random();
        while (true) {
            int p = 20_000 + r.nextInt(30_000);
            if (free(p) && free(p + 1) && free(p + 2)) {
                return p;
            }
        }
    }

    @Test
    void threeLocalNodesFormOneClusterAndStopCleanly() throws Exception {
        int port = freeRun();
        int adminPort = freeRun();
        Path cluster = dir.resolve("cluster");
        Result up = run("cluster", "up", "--nodes", "3", "--dir", cluster.toString(), "--port", Integer.toString(port),
                "--admin-port", Integer.toString(adminPort));
        Throwable failed = null;
        try {
            assertThat(up.code()).as(up.output()).isZero();
            String bootstrap = "localhost:" + port + ",localhost:" + (port + 1) + ",localhost:" + (port + 2);
            assertThat(up.output()).contains(bootstrap);
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (Admin admin = Admin.create(props)) {
                await("three nodes in the cluster").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> admin.describeCluster().nodes().get().size() >= 3);
                assertThat(admin.describeCluster().nodes().get()).extracting(Node::id).containsExactlyInAnyOrder(1, 2, 3);
                admin.createTopics(List.of(new NewTopic("local", 6, (short) 1))).all().get();
                TopicDescription d = admin.describeTopics(List.of("local")).allTopicNames().get().get("local");
                Set<Integer> leaders = new HashSet<>();
                for (TopicPartitionInfo p : d.partitions()) {
                    leaders.add(p.leader().id());
                }
                assertThat(leaders).as("the six partitions are spread over the three nodes").containsExactlyInAnyOrder(1, 2, 3);
            }
            Result shown = run("cluster", "--bootstrap-server", "localhost:" + port, "--admin-url", "http://localhost:" + adminPort);
            assertThat(shown.code()).as(shown.output()).isZero();
            assertThat(shown.output()).contains("localhost:" + port).contains("localhost:" + (port + 2))
                    .contains("controller epoch").contains("BROKER-EPOCH").contains("live");

            // Replicas move with the CLI: a node drained holds nothing afterwards; a reassignment puts it back.
            Result created = run("topics", "create", "replicated", "-p", "2", "-r", "2", "--bootstrap-server", bootstrap);
            assertThat(created.code()).as(created.output()).isZero();
            Result drained = run("nodes", "drain", "3", "--wait", "--timeout-ms", "60000", "--bootstrap-server", bootstrap);
            assertThat(drained.code()).as(drained.output()).isZero();
            try (Admin admin = Admin.create(props(bootstrap))) {
                // The drain saw node 3 empty through one node; another may answer from the cluster round before
                // (metadata is eventually consistent between nodes, as between Kafka brokers): give it a few rounds.
                long settled = System.currentTimeMillis() + 10_000;
                while (System.currentTimeMillis() < settled && admin.describeTopics(List.of("local", "replicated")).allTopicNames().get()
                        .values().stream().anyMatch(d -> d.partitions().stream().anyMatch(p -> p.replicas().stream().anyMatch(n -> n.id() == 3)))) {
                    Thread.sleep(200);
                }
                for (TopicDescription d : admin.describeTopics(List.of("local", "replicated")).allTopicNames().get().values()) {
                    for (TopicPartitionInfo p : d.partitions()) {
                        assertThat(p.replicas()).extracting(Node::id).as("%s-%d after draining node 3", d.name(), p.partition())
                                .doesNotContain(3);
                        assertThat(p.leader().id()).isNotEqualTo(3);
                    }
                }
                Result moved = run("partitions", "reassign", "--topic", "replicated", "--partition", "0", "--replicas", "3,1",
                        "--bootstrap-server", bootstrap);
                assertThat(moved.code()).as(moved.output()).isZero();
                long deadline = System.currentTimeMillis() + 60_000;
                List<Integer> replicas = List.of();
                while (System.currentTimeMillis() < deadline) {
                    replicas = admin.describeTopics(List.of("replicated")).allTopicNames().get().get("replicated").partitions().get(0)
                            .replicas().stream().map(Node::id).toList();
                    if (replicas.equals(List.of(3, 1)) && admin.listPartitionReassignments().reassignments().get().isEmpty()) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(replicas).isEqualTo(List.of(3, 1));
            }
            Result listed = run("partitions", "reassignments", "--bootstrap-server", bootstrap);
            assertThat(listed.code()).as(listed.output()).isZero();
            assertThat(listed.output()).contains("PARTITION");
        } catch (Throwable t) {
            failed = t;
            throw t;
        } finally {
            Result down = run("cluster", "down", "--dir", cluster.toString());
            if (failed == null) {
                // A node that died during the test is named by `cluster down`; its log says why.
                assertThat(down.code()).as(down.output() + nodeLogTails(cluster)).isZero();
                assertThat(down.output()).as(down.output() + nodeLogTails(cluster)).contains("Stopped 3 node(s)")
                        .doesNotContain("had already exited");
            } else {
                // The first failure is the one to read; how the nodes ended goes with it, not in its place.
                failed.addSuppressed(new AssertionError("cluster down: " + down.output() + nodeLogTails(cluster)));
            }
        }
        assertThat(Files.exists(cluster.resolve("cluster.pids"))).isFalse();
        assertThat(Files.readString(cluster.resolve("node-1.log"))).contains("shut down cleanly");
    }

    /** The last lines of each node's log, for a failure's report (the cluster's directory goes with the test). */
    private static String nodeLogTails(Path cluster) {
        StringBuilder out = new StringBuilder();
        for (int n = 1; n <= 3; n++) {
            Path log = cluster.resolve("node-" + n + ".log");
            try {
                List<String> lines = Files.readAllLines(log);
                out.append("\n--- ").append(log.getFileName()).append(", last lines:\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
            } catch (java.io.IOException | RuntimeException e) {
                out.append("\n--- ").append(log.getFileName()).append(": ").append(e);
            }
        }
        return out.toString();
    }

    private static Properties props(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return props;
    }
}
