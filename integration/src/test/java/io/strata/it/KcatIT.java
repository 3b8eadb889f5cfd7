package io.strata.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** librdkafka's kcat produces to and consumes from a node (skipped, saying so, where kcat is not installed). */
class KcatIT {
    @TempDir
    static Path dir;
    static StrataNode node;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(kcatInstalled(), "kcat is not installed (apt-get install kcat): skipping the kcat test");
        node = StrataNode.start(dir.resolve("node"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    static boolean kcatInstalled() {
        try {
            return new ProcessBuilder("kcat", "-V").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs a command (kcat and its arguments) with {@code input} on its standard input; it must exit 0 within 60 s. */
    static String run(String input, String... args) throws Exception {
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kcat finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("kcat exit code, output:\n" + out).isZero();
        return out;
    }

    @Test
    void kcatProducesAndConsumesKeyedRecords() throws Exception {
        run("k1:hello\nk2:strata\nk3:kcat\n", "kcat", "-b", node.bootstrap(), "-t", "kcat-topic", "-P", "-K", ":");
        String out = run(null, "kcat", "-b", node.bootstrap(), "-t", "kcat-topic", "-C", "-e", "-o", "beginning",
                "-f", "%k=%s@%o\n");
        assertThat(out.lines().filter(l -> l.contains("=")).toList())
                .containsExactly("k1=hello@0", "k2=strata@1", "k3=kcat@2");
        String meta = run(null, "kcat", "-b", node.bootstrap(), "-L", "-t", "kcat-topic");
        assertThat(meta).contains("topic \"kcat-topic\" with 1 partitions");
        assertThat(List.of(meta.split("\n"))).anyMatch(l -> l.contains("partition 0, leader 0"));
    }

    @Test
    void kcatsTransactionalProduceIsReadBackByAReadCommittedJavaConsumer() throws Exception {
        String out = run("t1:one\nt2:two\nt3:three\n", "kcat", "-b", node.bootstrap(), "-t", "kcat-tx", "-P", "-K", ":",
                "-X", "transactional.id=kcat-tx-id");
        assertThat(out).contains("Transaction successfully committed");
        List<String> seen = new java.util.ArrayList<>();
        try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, java.util.Map.of(
                "isolation.level", "read_committed", "group.id", "kcat-tx-reader", "auto.offset.reset", "earliest"))) {
            c.subscribe(List.of("kcat-tx"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.size() < 3 && System.nanoTime() < deadline) {
                c.poll(java.time.Duration.ofMillis(200)).forEach(r -> seen.add(new String(r.key(), StandardCharsets.UTF_8) + "="
                        + new String(r.value(), StandardCharsets.UTF_8) + "@" + r.offset()));
            }
        }
        // Three records at 0..2; the commit marker takes offset 3, which a consumer never sees.
        assertThat(seen).containsExactly("t1=one@0", "t2=two@1", "t3=three@2");
    }
}
