package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's quick start exactly as written: {@code ./strata dev} from the project root, no
 * flags (so {@code data.dir} is the relative {@code ./data}), then a client on localhost:9092.
 * The node must be ready ({@code /ready} 200 on 9644) and tier a sealed segment to its object
 * store. Skipped, saying why, when {@code ./data} already exists (a developer's own node data is
 * never touched) or the default ports are taken.
 */
class QuickStartIT {
    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int httpStatus(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(10_000);
            return c.getResponseCode();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    @Test
    void theReadmeQuickStartServesReadyAndTiers() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path data = root.resolve("data");
        Assumptions.assumeFalse(Files.exists(data), "./data exists in the project root: not touching a developer's node data");
        Assumptions.assumeTrue(portFree(9092) && portFree(9644), "the README's ports 9092 and 9644 are in use");
        Path log = Path.of("target", "strata-logs", "quickstart-" + System.nanoTime() + ".log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder("./strata", "dev").directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            long deadline = System.currentTimeMillis() + 300_000;
            while (!Files.readString(log).contains(" ready in ") && System.currentTimeMillis() < deadline) {
                assertThat(p.isAlive()).as("./strata dev exited:\n" + Files.readString(log)).isTrue();
                Thread.sleep(200);
            }
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
            try (Admin admin = Admin.create(props)) {
                admin.createTopics(List.of(new NewTopic("quickstart", 1, (short) 1).configs(Map.of("segment.ms", "1000")))).all().get();
            }
            props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("quickstart", ("hello-" + i).getBytes(StandardCharsets.UTF_8))).get();
                }
            }
            Path objects = data.resolve("objects");
            boolean tiered = false;
            int ready = -1;
            while (System.currentTimeMillis() < deadline && !(tiered && ready == 200)) {
                ready = httpStatus("http://localhost:9644/ready");
                if (Files.exists(objects)) {
                    try (Stream<Path> files = Files.walk(objects)) {
                        tiered = files.anyMatch(f -> f.getFileName().toString().endsWith(".seg"));
                    } catch (java.io.UncheckedIOException e) {
                        // An upload's temporary file vanished under the walk: look again.
                    }
                }
                Thread.sleep(250);
            }
            assertThat(ready).as("/ready on the README's admin port:\n" + Files.readString(log)).isEqualTo(200);
            assertThat(tiered).as("a sealed segment reached " + objects + ":\n" + Files.readString(log)).isTrue();
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            if (p.isAlive()) {
                p.destroyForcibly();
            }
            deleteRecursively(data);
        }
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
