package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka Connect's distributed worker (connect-runtime 4.3.1 with connect-file, Kafka's jars only,
 * as its own process) against a Strata node:
 * it creates its config, offset and status topics compacted, a FileStreamSource connector feeds
 * a topic and a FileStreamSink writes it out; the worker is stopped, the input grows, the worker
 * is started again and resumes from its stored offsets; the output file equals the input.
 */
class ConnectIT {
    @TempDir
    Path dir;

    /** A Connect worker process with its log. */
    private static final class Worker implements AutoCloseable {
        final Process process;
        final Path log;

        Worker(String classpath, Path properties, Path log) throws Exception {
            this.log = log;
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", classpath, "org.apache.kafka.connect.cli.ConnectDistributed", properties.toString());
            process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        }

        String log() throws Exception {
            return Files.exists(log) ? Files.readString(log) : "";
        }

        /** SIGTERM: the worker commits its offsets and leaves its group, as on a rolling restart. */
        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Kafka Connect's own jars (integration/connect-dist), resolved by Maven as `./strata bench` resolves Kafka's. */
    private static String connectClasspath() throws Exception {
        Path pom = Path.of("connect-dist", "pom.xml").toAbsolutePath();
        Path out = Path.of("target", "connect-dist.classpath").toAbsolutePath();
        Process mvn = new ProcessBuilder("mvn", "-B", "-q", "-f", pom.toString(), "dependency:build-classpath",
                "-Dmdep.outputFile=" + out).redirectErrorStream(true).start();
        String said = new String(mvn.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(mvn.waitFor(300, TimeUnit.SECONDS) && mvn.exitValue() == 0).as("resolving Kafka Connect's jars: %s", said).isTrue();
        return Files.readString(out).trim();
    }

    /** PUTs a connector config; fails with the worker's answer unless it is 200 or 201. */
    private static void put(HttpClient http, String url, String json, Worker w) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            String log = w.log();
            throw new AssertionError("PUT " + url + " answered " + r.statusCode() + " " + r.body() + "\n"
                    + log.substring(Math.max(0, log.length() - 20_000)));
        }
    }

    private static void awaitRest(HttpClient http, String base, Worker w) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            assertThat(w.process.isAlive()).as("the Connect worker runs:\n%s", w.log()).isTrue();
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/connectors")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // still starting
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the Connect worker's REST API did not come up:\n" + w.log());
    }

    private static List<String> awaitLines(Path file, int n, Worker w) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            if (lines.size() >= n) {
                Thread.sleep(1500); // anything beyond n would be a duplicate: give it the time to show
                return Files.readAllLines(file);
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the sink wrote " + lines.size() + " of " + n + " lines:\n" + w.log());
    }

    @Test
    void aDistributedWorkerCopiesAFileThroughStrataAndResumesAfterARestart() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"))) {
            Path input = dir.resolve("input.txt");
            Path output = dir.resolve("output.txt");
            Files.write(input, IntStream.range(0, 500).mapToObj(i -> "line-" + i).toList());
            int restPort = StrataNode.freePort();
            Path props = dir.resolve("worker.properties");
            Files.write(props, List.of("bootstrap.servers=" + node.bootstrap(), "group.id=strata-connect",
                    "key.converter=org.apache.kafka.connect.storage.StringConverter",
                    "value.converter=org.apache.kafka.connect.storage.StringConverter",
                    "config.storage.topic=connect-configs", "offset.storage.topic=connect-offsets", "status.storage.topic=connect-status",
                    "config.storage.replication.factor=1", "offset.storage.replication.factor=1", "status.storage.replication.factor=1",
                    "offset.flush.interval.ms=500", "listeners=http://127.0.0.1:" + restPort));
            String base = "http://127.0.0.1:" + restPort;
            String classpath = connectClasspath();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            try (Worker w = new Worker(classpath, props, dir.resolve("worker-1.log"))) {
                awaitRest(http, base, w);
                put(http, base + "/connectors/file-source/config", "{\"connector.class\":\"org.apache.kafka.connect.file"
                        + ".FileStreamSourceConnector\",\"tasks.max\":\"1\",\"file\":\"" + input + "\",\"topic\":\"lines\"}", w);
                put(http, base + "/connectors/file-sink/config", "{\"connector.class\":\"org.apache.kafka.connect.file"
                        + ".FileStreamSinkConnector\",\"tasks.max\":\"1\",\"file\":\"" + output + "\",\"topics\":\"lines\"}", w);
                assertThat(awaitLines(output, 500, w)).hasSize(500);
                Thread.sleep(1500); // one more offset flush of the source after its last line
            }
            List<String> more = IntStream.range(500, 1000).mapToObj(i -> "line-" + i).toList();
            Files.write(input, more, StandardOpenOption.APPEND);
            try (Worker w = new Worker(classpath, props, dir.resolve("worker-2.log"))) {
                awaitRest(http, base, w);
                List<String> out = awaitLines(output, 1000, w);
                assertThat(out).as("the output equals the input: nothing lost, nothing twice").isEqualTo(Files.readAllLines(input));
            }
            try (Admin admin = Clients.admin(node)) {
                for (String topic : List.of("connect-configs", "connect-offsets", "connect-status")) {
                    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                    Config c = admin.describeConfigs(List.of(r)).all().get().get(r);
                    assertThat(c.get("cleanup.policy").value()).as(topic).isEqualTo("compact");
                }
            }
            System.out.println("connect: 1000 lines copied file -> Strata -> file across a worker restart");
        }
    }
}
