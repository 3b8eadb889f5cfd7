package io.strata.ingest.cli;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of node processes on this machine, for trying Strata out: N {@code strata dev}
 * processes of this distribution sharing one MetaStore (an embedded SQLite file, or the URL
 * given) and one object store directory, each with its own data directory, node id and ports.
 * {@code <dir>/cluster.pids} lists the processes so that {@code down} can stop them.
 *
 * <pre>
 * &lt;dir&gt;/metastore.db   the shared embedded MetaStore (unless --metastore)
 * &lt;dir&gt;/objects/       the shared object store
 * &lt;dir&gt;/node-N/        node N's data directory;  &lt;dir&gt;/node-N.log its output
 * </pre>
 */
final class LocalCluster {
    private final Path dir;

    LocalCluster(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path pidFile() {
        return dir.resolve("cluster.pids");
    }

    /** Starts the nodes and waits until each accepts Kafka connections; returns the bootstrap servers. */
    String up(int nodes, int basePort, int baseAdminPort, String metastore, String host) throws Exception {
        if (Files.exists(pidFile()) && anyAlive()) {
            throw new IllegalStateException("a cluster is already running from " + dir + "; stop it with ./strata cluster down --dir " + dir);
        }
        Files.createDirectories(dir);
        String store = metastore != null ? metastore : "sqlite:" + dir.resolve("metastore.db");
        Path jar = Path.of(LocalCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> pids = new ArrayList<>();
        List<String> bootstrap = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            int port = basePort + i - 1;
            int adminPort = baseAdminPort + i - 1;
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-jar", jar.toString(), "dev",
                    "--data-dir", dir.resolve("node-" + i).toString(), "--port", Integer.toString(port),
                    "--admin-port", Integer.toString(adminPort), "--node-id", Integer.toString(i),
                    "--metastore", store, "--advertised-host", host,
                    "--set", "object.store=file:" + dir.resolve("objects")));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + i + ".log").toFile())).start();
            pids.add(Long.toString(p.pid()));
            bootstrap.add(host + ":" + port);
            Files.writeString(pidFile(), String.join("\n", pids) + "\n", StandardCharsets.UTF_8);
        }
        long deadline = System.currentTimeMillis() + 120_000;
        for (int i = 1; i <= nodes; i++) {
            int port = basePort + i - 1;
            while (!accepts(port)) {
                long pid = Long.parseLong(pids.get(i - 1));
                if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true)) {
                    throw new IllegalStateException("node " + i + " exited during start-up; see " + dir.resolve("node-" + i + ".log"));
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("node " + i + " did not start within 120 s; see " + dir.resolve("node-" + i + ".log"));
                }
                Thread.sleep(100);
            }
        }
        return String.join(",", bootstrap);
    }

    /** What {@link #down} did: the nodes it stopped, and those (by node id) that had exited before it. */
    record Stopped(int stopped, List<Integer> alreadyExited) {
    }

    /**
     * Stops every node with SIGTERM (each hands off and flushes), waiting up to 60 s; says how
     * many were running and which had already exited (a node that died is worth a look at its log).
     */
    Stopped down() throws IOException, InterruptedException {
        if (!Files.exists(pidFile())) {
            return new Stopped(0, List.of());
        }
        List<ProcessHandle> running = new ArrayList<>();
        List<Integer> exited = new ArrayList<>();
        int node = 0;
        for (String line : Files.readAllLines(pidFile(), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                node++;
                Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(line.trim())).filter(ProcessHandle::isAlive);
                if (h.isPresent()) {
                    running.add(h.get());
                } else {
                    exited.add(node);
                }
            }
        }
        running.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : running) {
            try {
                h.onExit().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        Files.deleteIfExists(pidFile());
        return new Stopped(running.size(), exited);
    }

    /** Node {@code n}'s output. */
    Path nodeLog(int n) {
        return dir.resolve("node-" + n + ".log");
    }

    private boolean anyAlive() throws IOException {
        for (String line : Files.readAllLines(pidFile(), StandardCharsets.UTF_8)) {
            if (!line.isBlank() && ProcessHandle.of(Long.parseLong(line.trim())).map(ProcessHandle::isAlive).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
