package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** With the MetaStore down, produce and fetch go on, store-bound requests fail retriably, and all recovers. */
class MetaStoreOutageIT {
    @TempDir
    Path dir;

    @Test
    void produceAndFetchSurviveAMetaStoreOutage() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("outage");
            try (StrataNode node = StrataNode.start(dir.resolve("node"), "metastore=" + url);
                 Admin admin = Clients.admin(node);
                 KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of())) {
                admin.createTopics(List.of(new NewTopic("steady", 1, (short) 1))).all().get();
                producer.send(new ProducerRecord<>("steady", "before".getBytes())).get();

                pg.stopProcess();
                assertThat(producer.send(new ProducerRecord<>("steady", "during".getBytes())).get().offset()).isEqualTo(1);
                TopicPartition tp = new TopicPartition("steady", 0);
                try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(node, Map.of())) {
                    consumer.assign(List.of(tp));
                    consumer.seekToBeginning(List.of(tp));
                    List<String> got = new ArrayList<>();
                    long deadline = System.currentTimeMillis() + 20_000;
                    while (got.size() < 2 && System.currentTimeMillis() < deadline) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            got.add(new String(r.value()));
                        }
                    }
                    assertThat(got).containsExactly("before", "during");
                }
                Properties quick = new Properties();
                quick.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrap());
                quick.put(AdminClientConfig.RETRIES_CONFIG, 0);
                try (Admin impatient = Admin.create(quick)) {
                    assertThatThrownBy(() -> impatient.createTopics(List.of(new NewTopic("blocked", 1, (short) 1)),
                            new CreateTopicsOptions().timeoutMs(15_000)).all().get())
                            .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RetriableException.class);
                }
                assertThat(node.log()).contains("metastore unavailable");

                pg.startProcess();
                admin.createTopics(List.of(new NewTopic("after", 1, (short) 1))).all().get();
                assertThat(admin.listTopics().names().get()).contains("steady", "after");
                assertThat(producer.send(new ProducerRecord<>("after", "x".getBytes())).get().offset()).isZero();
            }
        }
    }

    /** A node started before its metastore (a deployment, a host reboot) waits for it instead of exiting. */
    @Test
    void aNodeStartedBeforeItsMetaStoreWaitsForIt() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("late");
            pg.stopProcess();
            // The node's log is named after its data directory: a name of this run's own, as logs stay from earlier runs.
            String name = "late-node-" + System.nanoTime();
            // PostgreSQL comes up only once the node has found it down and said it waits; on its own thread, stopped
            // (not waited for) if the node fails first, so that the node's failure is the one reported.
            AtomicReference<Exception> lateFailure = new AtomicReference<>();
            Thread late = new Thread(() -> {
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!logSays(name + "-", "metastore not reachable yet")) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("the node never said it waits for its metastore");
                        }
                        Thread.sleep(100);
                    }
                    pg.startProcess();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    lateFailure.set(e);
                }
            }, "late-postgres");
            late.start();
            try (StrataNode node = StrataNode.start(dir.resolve(name), "metastore=" + url);
                 Admin admin = Clients.admin(node);
                 KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of())) {
                assertThat(node.log()).contains("metastore not reachable yet");
                admin.createTopics(List.of(new NewTopic("late", 1, (short) 1))).all().get();
                assertThat(producer.send(new ProducerRecord<>("late", "x".getBytes())).get().offset()).isZero();
            } finally {
                late.interrupt();
                late.join(10_000);
            }
            assertThat(lateFailure.get()).isNull();
        }
    }

    /** ... but not for ever: past metastore.startup.timeout.ms it exits 1, saying why. */
    @Test
    void aNodeGivesUpOnAnUnreachableMetaStoreAfterItsTimeout() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("never");
            pg.stopProcess();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> StrataNode.start(dir.resolve("node"), "metastore=" + url, "metastore.startup.timeout.ms=4000"))
                    .hasMessageContaining("strata exited with 1").hasMessageContaining("is unreachable")
                    .hasMessageContaining("metastore.startup.timeout.ms = 4000");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        }
    }

    /** SIGTERM while it waits for its metastore stops it at once, cleanly, as it would stop a running node. */
    @Test
    void aNodeWaitingForItsMetaStoreStopsOnSigterm() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("waiting");
            pg.stopProcess();
            Path log = dir.resolve("waiting.log");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                    StrataNode.jar().toAbsolutePath().toString(), "dev", "--data-dir", dir.resolve("waiting").toString(),
                    "--port", Integer.toString(StrataNode.freePort()), "--admin-port", Integer.toString(StrataNode.freePort()),
                    "--set", "metastore=" + url, "--set", "metastore.startup.timeout.ms=120000")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!(java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains("metastore not reachable yet"))) {
                    assertThat(p.isAlive()).as(java.nio.file.Files.readString(log)).isTrue();
                    assertThat(System.nanoTime()).as("the node said it waits").isLessThan(deadline);
                    Thread.sleep(100);
                }
                long t0 = System.nanoTime();
                p.destroy();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s of SIGTERM").isTrue();
                assertThat(p.exitValue()).as(java.nio.file.Files.readString(log)).isZero();
                assertThat(java.nio.file.Files.readString(log)).contains("stopped during start-up");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
            } finally {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A store that refuses the node (here: a database that does not exist) is no outage: start-up fails at once. */
    @Test
    void aMetaStoreThatRefusesTheNodeEndsStartUpAtOnce() throws Exception {
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("present").replaceAll("/[^/]+$", "/absent_database");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> StrataNode.start(dir.resolve("node"), "metastore=" + url))
                    .hasMessageContaining("strata exited with 1").hasMessageContaining("absent_database")
                    .hasMessageNotContaining("metastore not reachable yet");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(25));
        }
    }

    /** Whether a node log of this test (named after its data directory) holds {@code line} yet. */
    private static boolean logSays(String prefix, String line) throws java.io.IOException {
        Path logs = Path.of("target", "strata-logs");
        if (!java.nio.file.Files.isDirectory(logs)) {
            return false;
        }
        try (var files = java.nio.file.Files.list(logs)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                if (java.nio.file.Files.readString(f).contains(line)) {
                    return true;
                }
            }
        }
        return false;
    }
}
