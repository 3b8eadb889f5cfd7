package io.strata.bench;

import io.strata.it.StrataNode;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Apache Kafka as its binary distribution runs it: {@code kafka.Kafka} with the JVM options of
 * {@code bin/kafka-server-start.sh} and {@code kafka-run-class.sh}, the shipped
 * {@code config/server.properties} and {@code config/log4j2.yaml} (integration/kafka-dist/config),
 * and only Kafka's jars on the class path (integration/kafka-dist/pom.xml, resolved by
 * {@code ./strata bench} into {@code -Dkafka.dist.classpath}).
 */
final class KafkaBroker {
    /** KAFKA_HEAP_OPTS of kafka-server-start.sh and KAFKA_JVM_PERFORMANCE_OPTS of kafka-run-class.sh. */
    static final List<String> DISTRIBUTION_JVM_OPTIONS = List.of("-Xmx1G", "-Xms1G", "-server", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true");

    private KafkaBroker() {
    }

    static String classpath() {
        String cp = System.getProperty("kafka.dist.classpath");
        if (cp == null || cp.isBlank()) {
            throw new IllegalStateException("-Dkafka.dist.classpath is not set: run the benchmark with ./strata bench kafka");
        }
        return cp;
    }

    static Path configDir() {
        return Path.of(System.getProperty("strata.root", "."), "integration", "kafka-dist", "config");
    }

    /** Starts one KRaft node; {@code extra} settings (e.g. log.flush.interval.messages) go after the shipped file's. */
    static BrokerProcess start(Path dir, Map<String, String> extra) throws Exception {
        Files.createDirectories(dir);
        int port = StrataNode.freePort();
        int controller = StrataNode.freePort();
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("node.id", "1");
        changes.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controller);
        changes.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
        changes.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
        changes.put("log.dirs", dir.resolve("data").toString());
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(configDir().resolve("server.properties"))) {
            int eq = line.indexOf('=');
            String key = line.startsWith("#") || eq < 0 ? null : line.substring(0, eq);
            lines.add(key != null && changes.containsKey(key) ? key + "=" + changes.get(key) : line);
        }
        extra.forEach((k, v) -> lines.add(k + "=" + v));
        Path config = dir.resolve("server.properties");
        Files.write(config, lines, StandardCharsets.UTF_8);
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        List<String> jvm = new ArrayList<>(List.of(java()));
        jvm.addAll(DISTRIBUTION_JVM_OPTIONS);
        jvm.addAll(List.of("-Dkafka.logs.dir=" + logs, "-Dlog4j2.configurationFile=" + configDir().resolve("log4j2.yaml").toAbsolutePath(),
                "-cp", classpath()));
        List<String> format = new ArrayList<>(jvm);
        format.addAll(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t",
                UUID.randomUUID().toString().replace("-", "").substring(0, 22), "-c", config.toString()));
        Process f = new ProcessBuilder(format).redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!f.waitFor(120, TimeUnit.SECONDS) || f.exitValue() != 0) {
            throw new IllegalStateException("kafka-storage format failed: " + Files.readString(dir.resolve("format.log")));
        }
        List<String> cmd = new ArrayList<>(jvm);
        cmd.addAll(List.of("kafka.Kafka", config.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve("kafkaServer.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("kafka exited: " + Files.readString(logs.resolve("kafkaServer.out")));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new BrokerProcess(p, port);
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("kafka did not start: " + Files.readString(logs.resolve("kafkaServer.out")));
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
