package io.strata.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.metastore.postgres.PostgresServer;
import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Terraform deployment (terraform/). First, every check of terraform/scripts/test.sh: fmt,
 * terraform test of the providerless modules, the rendered scripts and configs, the generated
 * docs, and — where the AWS provider is at hand ({@code TF_PLUGIN_DIR}, or the machine's
 * /opt/tf-plugins) — validate and mocked-provider tests of the AWS modules, the root module and the
 * examples. Second, the rendered configuration is the configuration that runs: the node
 * configs of a three-node deployment are rendered by the same module the AWS deployment uses
 * (terraform/modules/strata-node-config, through the providerless fixture
 * terraform/tests/fixtures/local-cluster), with local ports, a local PostgreSQL for FoundationDB
 * and s3proxy for S3; three real Strata processes start from those files with the systemd unit's
 * own ExecStart line, and kafka-clients produce to and consume from a replicated topic through them.
 * Skipped, saying so, where terraform is not installed.
 */
class TerraformIT {
    @TempDir
    Path dir;

    @Test
    void theModulesPassEveryCheckThatNeedsNoAwsAccount() throws Exception {
        Assumptions.assumeTrue(Terraform.installed(), "terraform is not installed: skipping the Terraform checks");
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "terraform", "scripts", "test.sh").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("test.log").toFile());
        String plugins = System.getenv("TF_PLUGIN_DIR");
        if (plugins == null && Files.isDirectory(Path.of("/opt/tf-plugins"))) {
            plugins = "/opt/tf-plugins";
        }
        if (plugins != null) {
            pb.environment().put("TF_PLUGIN_DIR", plugins);
        }
        pb.environment().put("STRATA_JAR", StrataNode.jar().toAbsolutePath().toString());
        Process p = pb.start();
        assertThat(p.waitFor(900, TimeUnit.SECONDS)).as("terraform/scripts/test.sh finished").isTrue();
        String log = Files.readString(dir.resolve("test.log"));
        System.out.println(log.lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL") || l.startsWith("SKIPPED")
                || l.startsWith("terraform:")).reduce("", (a, b) -> a + "TerraformIT: " + b + "\n"));
        assertThat(p.exitValue()).as(log).isZero();
    }

    @Test
    void threeNodesStartFromTheRenderedConfigsAndServeAReplicatedTopic() throws Exception {
        Assumptions.assumeTrue(Terraform.installed(), "terraform is not installed: skipping the rendered-configuration test");
        List<Process> nodes = new ArrayList<>();
        try (PostgresServer pg = PostgresServer.start(); S3ProxyServer s3 = S3ProxyServer.start()) {
            List<Integer> kafkaPorts = List.of(StrataNode.freePort(), StrataNode.freePort(), StrataNode.freePort());
            List<Integer> adminPorts = List.of(StrataNode.freePort(), StrataNode.freePort(), StrataNode.freePort());
            List<String> dataDirs = List.of(dir.resolve("node-0").toString(), dir.resolve("node-1").toString(), dir.resolve("node-2").toString());
            Map<String, Object> vars = new LinkedHashMap<>();
            vars.put("node_count", 3);
            vars.put("advertised_host", "127.0.0.1");
            vars.put("kafka_ports", kafkaPorts);
            vars.put("admin_ports", adminPorts);
            vars.put("data_dirs", dataDirs);
            vars.put("metastore", pg.newDatabase("terraform"));
            vars.put("object_store", s3.url("terraform-rendered", "strata"));
            JsonNode out = new Terraform(dir.resolve("terraform")).render(vars);
            JsonNode yaml = out.get("strata_yaml").get("value");
            JsonNode units = out.get("systemd_unit").get("value");
            assertThat(yaml.size()).isEqualTo(3);

            for (int id = 0; id < 3; id++) {
                String config = yaml.get(Integer.toString(id)).asText();
                assertThat(config).contains("node.id: " + id).contains("broker.rack:").contains("object.store:");
                Path file = dir.resolve("strata-" + id + ".yaml");
                Files.writeString(file, config);
                String execStart = units.get(Integer.toString(id)).asText().lines().filter(l -> l.startsWith("ExecStart="))
                        .findFirst().orElseThrow().substring("ExecStart=".length());
                nodes.add(start(id, execStart, file, s3));
            }
            for (int id = 0; id < 3; id++) {
                awaitReady(nodes.get(id), id);
            }

            String bootstrap = "127.0.0.1:" + kafkaPorts.get(0) + ",127.0.0.1:" + kafkaPorts.get(1);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(3);
                admin.createTopics(List.of(new NewTopic("rendered", 3, (short) 3))).all().get(60, TimeUnit.SECONDS);
                TopicDescription d = admin.describeTopics(List.of("rendered")).allTopicNames().get().get("rendered");
                Set<String> racks = new HashSet<>();
                d.partitions().forEach(p -> p.replicas().forEach(n -> racks.add(n.rack())));
                assertThat(racks).as("broker.rack from the rendered config").containsExactlyInAnyOrder("a", "b", "c");
            }
            Map<String, Object> producerConfig = Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true,
                    "key.serializer", "org.apache.kafka.common.serialization.StringSerializer",
                    "value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
            int records = 600;
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig)) {
                for (int i = 0; i < records; i++) {
                    producer.send(new ProducerRecord<>("rendered", i % 3, "k" + i, "v" + i)).get(30, TimeUnit.SECONDS);
                }
            }
            Map<String, Object> consumerConfig = Map.of("bootstrap.servers", "127.0.0.1:" + kafkaPorts.get(2),
                    "group.id", "rendered-readers", "auto.offset.reset", "earliest",
                    "key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer",
                    "value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
            Set<String> seen = new HashSet<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
                consumer.subscribe(List.of("rendered"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (seen.size() < records && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        seen.add(r.value());
                    }
                }
                assertThat(seen).hasSize(records);
                assertThat(consumer.position(new TopicPartition("rendered", 0))).isEqualTo(records / 3);
            }
        } finally {
            for (Process p : nodes) {
                p.destroy();
            }
            for (Process p : nodes) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    /**
     * Runs the unit's ExecStart with this machine's paths: java from this JDK, the built jar, the
     * rendered file; and a 512 MiB heap, as three nodes share the test machine.
     */
    private Process start(int id, String execStart, Path config, S3ProxyServer s3) throws Exception {
        assertThat(execStart).startsWith("/usr/bin/java ").contains("-jar /opt/strata/strata.jar broker --config /etc/strata/strata.yaml");
        String local = execStart.replace("/usr/bin/java ", Path.of(System.getProperty("java.home"), "bin", "java") + " -Xmx512m ")
                .replace("/opt/strata/strata.jar", StrataNode.jar().toAbsolutePath().toString())
                .replace("/etc/strata/strata.yaml", config.toString());
        List<String> cmd = List.of(local.split(" "));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node-" + id + ".log").toFile());
        pb.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                "AWS_REGION", "us-east-1"));
        return pb.start();
    }

    private void awaitReady(Process p, int id) throws Exception {
        Path log = dir.resolve("node-" + id + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            assertThat(p.isAlive()).as("node " + id + " keeps running:\n" + text).isTrue();
            if (text.contains(" ready in ")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("node " + id + " was not ready in 90 s:\n" + Files.readString(log));
    }

    /** The providerless fixture, applied with its state and data outside the source tree. */
    static final class Terraform {
        private final Path work;

        Terraform(Path work) {
            this.work = work;
        }

        static boolean installed() {
            try {
                return new ProcessBuilder("terraform", "version").redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                return false;
            }
        }

        JsonNode render(Map<String, Object> vars) throws Exception {
            Files.createDirectories(work);
            Path fixture = Path.of("..", "terraform", "tests", "fixtures", "local-cluster").toAbsolutePath().normalize();
            Path varFile = work.resolve("vars.tfvars.json");
            Files.writeString(varFile, new ObjectMapper().writeValueAsString(vars));
            Path state = work.resolve("terraform.tfstate");
            run(fixture, "init", "-input=false", "-backend=false", "-no-color");
            run(fixture, "apply", "-auto-approve", "-input=false", "-no-color", "-state=" + state, "-var-file=" + varFile);
            return new ObjectMapper().readTree(run(fixture, "output", "-no-color", "-state=" + state, "-json"));
        }

        private String run(Path fixture, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("terraform", "-chdir=" + fixture));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("TF_DATA_DIR", work.resolve(".terraform").toString());
            pb.environment().put("TF_IN_AUTOMATION", "1");
            pb.environment().put("CHECKPOINT_DISABLE", "1");
            Path errors = work.resolve("terraform-" + args[0] + ".err");
            Process p = pb.redirectError(errors.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String err = Files.readString(errors);
            assertThat(p.exitValue()).as("terraform " + String.join(" ", args) + ":\n" + out + err).isZero();
            return out;
        }
    }
}
