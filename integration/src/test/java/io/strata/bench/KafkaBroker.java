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
        int port = StrataNode.freePort();
        int controller = StrataNode.freePort();
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("node.id", "1");
        changes.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controller);
        Path config = configure(dir, port, controller, changes, extra);
        format(dir, config, UUID.randomUUID().toString().replace("-", "").substring(0, 22), true);
        return launch(dir, config, port);
    }

    /**
     * Three KRaft nodes, each broker and controller as the shipped file has them, with a static
     * quorum of the three ({@code controller.quorum.voters}), each in its own process.
     */
    static List<BrokerProcess> startCluster(Path dir, int nodes) throws Exception {
        int[] ports = new int[nodes];
        int[] controllers = new int[nodes];
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            ports[i] = StrataNode.freePort();
            controllers[i] = StrataNode.freePort();
            voters.add((i + 1) + "@127.0.0.1:" + controllers[i]);
        }
        String clusterId = UUID.randomUUID().toString().replace("-", "").substring(0, 22);
        List<Path> configs = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Map<String, String> changes = new LinkedHashMap<>();
            changes.put("node.id", Integer.toString(i + 1));
            // A static quorum replaces the shipped file's single bootstrap controller.
            changes.put("controller.quorum.bootstrap.servers", null);
            Path nodeDir = dir.resolve("kafka-" + (i + 1));
            Path config = configure(nodeDir, ports[i], controllers[i], changes, Map.of("controller.quorum.voters", String.join(",", voters)));
            format(nodeDir, config, clusterId, false);
            configs.add(config);
        }
        // All at once: no node's broker is ready before a majority of the quorum runs.
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            processes.add(spawn(dir.resolve("kafka-" + (i + 1)), configs.get(i)));
        }
        List<BrokerProcess> out = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            out.add(awaitReady(dir.resolve("kafka-" + (i + 1)), processes.get(i), ports[i]));
        }
        return out;
    }

    /** Writes the shipped server.properties with {@code changes} (null: the line is left out) and {@code extra} appended. */
    private static Path configure(Path dir, int port, int controller, Map<String, String> changes, Map<String, String> extra) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> all = new LinkedHashMap<>(changes);
        all.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
        all.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
        all.put("log.dirs", dir.resolve("data").toString());
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(configDir().resolve("server.properties"))) {
            int eq = line.indexOf('=');
            String key = line.startsWith("#") || eq < 0 ? null : line.substring(0, eq);
            if (key != null && all.containsKey(key)) {
                if (all.get(key) != null) {
                    lines.add(key + "=" + all.get(key));
                }
            } else {
                lines.add(line);
            }
        }
        extra.forEach((k, v) -> lines.add(k + "=" + v));
        Path config = dir.resolve("server.properties");
        Files.write(config, lines, StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("logs"));
        return config;
    }

    private static List<String> jvm(Path dir) {
        List<String> jvm = new ArrayList<>(List.of(java()));
        jvm.addAll(DISTRIBUTION_JVM_OPTIONS);
        jvm.addAll(List.of("-Dkafka.logs.dir=" + dir.resolve("logs"), "-Dlog4j2.configurationFile="
                + configDir().resolve("log4j2.yaml").toAbsolutePath(), "-cp", classpath()));
        return jvm;
    }

    /** kafka-storage format; {@code standalone}: this node alone is the initial controller quorum. */
    private static void format(Path dir, Path config, String clusterId, boolean standalone) throws Exception {
        List<String> format = new ArrayList<>(jvm(dir));
        format.addAll(List.of("kafka.tools.StorageTool", "format"));
        if (standalone) {
            format.add("--standalone");
        }
        format.addAll(List.of("-t", clusterId, "-c", config.toString()));
        Process f = new ProcessBuilder(format).redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!f.waitFor(120, TimeUnit.SECONDS) || f.exitValue() != 0) {
            throw new IllegalStateException("kafka-storage format failed: " + Files.readString(dir.resolve("format.log")));
        }
    }

    private static BrokerProcess launch(Path dir, Path config, int port) throws Exception {
        return awaitReady(dir, spawn(dir, config), port);
    }

    private static Process spawn(Path dir, Path config) throws IOException {
        List<String> cmd = new ArrayList<>(jvm(dir));
        cmd.addAll(List.of("kafka.Kafka", config.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("logs").resolve("kafkaServer.out").toFile()).start();
    }

    private static BrokerProcess awaitReady(Path dir, Process p, int port) throws Exception {
        Path logs = dir.resolve("logs");
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
