package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data directory belongs to one cluster, one node and one process: a wrong MetaStore, a
 * second process or an unknown directory never costs acknowledged data.
 */
class DataDirectoryIT {
    @TempDir
    Path dir;

    private static long endOffset(Admin admin, String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
    }

    private record Exit(int code, String output) {
    }

    private Exit runDev(Path dataDir, String... settings) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", StrataNode.jar().toString(), "dev", "--data-dir", dataDir.toString(),
                "--port", Integer.toString(StrataNode.freePort()), "--admin-port", Integer.toString(StrataNode.freePort())));
        for (String s : settings) {
            cmd.add("--set");
            cmd.add(s);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the process exits by itself").isTrue();
        return new Exit(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aWrongMetaStoreRefusesToStartAndTouchesNothing() throws Exception {
        Path data = dir.resolve("node");
        String clusterId;
        try (StrataNode node = StrataNode.start(data, "metastore=sqlite:" + dir.resolve("own.db"))) {
            try (Admin admin = Clients.admin(node);
                 KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("linger.ms", 5))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
                for (int i = 0; i < 30_000; i++) {
                    p.send(new ProducerRecord<>("kept", ("record-" + i).getBytes()));
                }
                p.flush();
                clusterId = admin.describeCluster().clusterId().get();
            }
            assertThat(node.stop()).isZero();
        }
        Exit wrong = runDev(data, "metastore=sqlite:" + dir.resolve("typo.db"));
        assertThat(wrong.code()).as(wrong.output()).isEqualTo(1);
        assertThat(wrong.output()).contains("belongs to cluster " + clusterId).contains("but the MetaStore is cluster ")
                .contains("refusing to start");
        Exit wrongName = runDev(data, "metastore=sqlite:" + dir.resolve("own.db"), "cluster.name=strata-typo");
        assertThat(wrongName.code()).as(wrongName.output()).isEqualTo(1);
        assertThat(wrongName.output()).contains("belongs to cluster " + clusterId);

        try (StrataNode node = StrataNode.start(data, "metastore=sqlite:" + dir.resolve("own.db"));
             Admin admin = Clients.admin(node)) {
            assertThat(endOffset(admin, "kept")).as("all 30,000 acknowledged records are still there").isEqualTo(30_000);
        }
    }

    @Test
    void aSecondProcessOnTheSameDataDirectoryExitsAtOnceNamingTheHolder() throws Exception {
        Path data = dir.resolve("shared");
        try (StrataNode first = StrataNode.start(data)) {
            long t0 = System.nanoTime();
            Exit second = runDev(data);
            assertThat(second.code()).isEqualTo(1);
            assertThat(second.output()).contains("data directory " + data.toAbsolutePath()).contains("in use by another Strata process")
                    .contains("pid ");
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(30);
            try (Admin admin = Clients.admin(first)) {
                assertThat(admin.describeCluster().clusterId().get()).as("the first node is unaffected").isNotBlank();
            }
        }
    }

    @Test
    void anUnknownLogDirectoryIsMovedAsideNotDeleted() throws Exception {
        Path data = dir.resolve("stray");
        try (StrataNode node = StrataNode.start(data)) {
            assertThat(node.stop()).isZero();
        }
        Path ghost = data.resolve("logs").resolve("ghost-0");
        Files.createDirectories(ghost);
        Files.writeString(ghost.resolve("00000000000000000000.log"), "precious bytes");
        try (StrataNode node = StrataNode.start(data)) {
            try (var entries = Files.list(data.resolve("logs"))) {
                Path aside = entries.filter(p -> p.getFileName().toString().startsWith("ghost-0.")
                        && p.getFileName().toString().endsWith("-stray")).findFirst().orElseThrow();
                assertThat(Files.readString(aside.resolve("00000000000000000000.log"))).isEqualTo("precious bytes");
            }
            assertThat(node.log()).contains("moved aside");
        }
    }
}
