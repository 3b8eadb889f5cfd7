package io.strata.bench;

import io.strata.it.StrataNode;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Strata node as a user runs it: {@code ./strata broker --config strata.yaml}, the launcher with
 * its JVM defaults and the heap Kafka gets ({@code STRATA_HEAP_OPTS}), the broker with its
 * defaults (no object store, so no tiering) and only ports and the data directory set.
 */
final class StrataBroker {
    private StrataBroker() {
    }

    static BrokerProcess start(Path dir, String heapOptions) throws Exception {
        return start(dir, heapOptions, java.util.List.of());
    }

    /** As above, with more lines for strata.yaml ({port} stands for the node's PLAINTEXT port). */
    static BrokerProcess start(Path dir, String heapOptions, java.util.List<String> extraYaml) throws Exception {
        return start(dir, heapOptions, extraYaml, Path.of(System.getProperty("strata.root", ".")));
    }

    /** As above, with the launcher of the checkout at {@code root}. */
    static BrokerProcess start(Path dir, String heapOptions, java.util.List<String> extraYaml, Path root) throws Exception {
        Files.createDirectories(dir);
        int port = StrataNode.freePort();
        int adminPort = StrataNode.freePort();
        Path config = dir.resolve("strata.yaml");
        java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of("data.dir: " + dir.resolve("data"), "host: 127.0.0.1",
                "advertised.host: 127.0.0.1", "port: " + port, "admin.port: " + adminPort));
        extraYaml.forEach(l -> lines.add(l.replace("{port}", Integer.toString(port))));
        lines.add("");
        Files.writeString(config, String.join("\n", lines));
        Path launcher = root.resolve("strata");
        Path log = dir.resolve("strata.log");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "broker", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("STRATA_HEAP_OPTS", heapOptions);
        // The launcher execs java, so this process is the node itself.
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("strata exited: " + Files.readString(log));
            }
            if (Files.readString(log).contains(" ready in ")) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return new BrokerProcess(p, port, adminPort);
                } catch (IOException e) {
                    // not listening yet
                }
            }
            Thread.sleep(200);
        }
        p.destroyForcibly();
        throw new IllegalStateException("strata did not start: " + Files.readString(log));
    }
}
