package io.strata.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Strata node run as a real process from the distribution jar ({@code ingest/target/strata.jar}),
 * the way a user runs it, so tests can SIGKILL it, restart it on the same data directory, and
 * use whichever kafka-clients version is on the test classpath without clashing with the broker's.
 */
public final class StrataNode implements AutoCloseable {
    private final Path dataDir;
    private final Path logFile;
    private final List<String> extraArgs;
    private final int port;
    private final int adminPort;
    private Process process;
    private final java.util.Map<String, String> env = new java.util.HashMap<>();
    /** Where the node is reached (its network namespace's address, or the loopback) and what its command runs under. */
    private String address = "127.0.0.1";
    private List<String> commandPrefix = List.of();

    /**
     * Starts a node inside a network namespace: its command runs under {@code prefix} (e.g.
     * {@code ip netns exec NS}) and it is reached, and advertised, at {@code address}.
     */
    public static StrataNode startIn(List<String> prefix, String address, Path dataDir, java.util.Map<String, String> environment,
                                     String... settings) throws Exception {
        String[] all = java.util.Arrays.copyOf(settings, settings.length + 1);
        all[settings.length] = "advertised.host=" + address;
        StrataNode node = prepared(dataDir, environment, all);
        node.address = address;
        node.commandPrefix = List.copyOf(prefix);
        node.launch();
        return node;
    }

    private StrataNode(Path dataDir, Path logFile, List<String> extraArgs) throws IOException {
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.extraArgs = extraArgs;
        this.port = freePort();
        this.adminPort = freePort();
    }

    /**
     * Starts a node on {@code dataDir}; {@code settings} are {@code key=value} broker settings.
     * With {@code -Dstrata.it.metastore=postgresql} the node keeps its state in a fresh database
     * of a PostgreSQL server the harness runs, unless a setting names a metastore itself.
     */
    public static StrataNode start(Path dataDir, String... settings) throws Exception {
        if ("postgresql".equals(System.getProperty("strata.it.metastore"))
                && java.util.Arrays.stream(settings).noneMatch(s -> s.startsWith("metastore="))) {
            String url = io.strata.metastore.postgres.PostgresServer.shared().newDatabase("node");
            String[] withStore = java.util.Arrays.copyOf(settings, settings.length + 1);
            withStore[settings.length] = "metastore=" + url;
            return startWith(dataDir, withStore);
        }
        return startWith(dataDir, settings);
    }

    private static StrataNode startWith(Path dataDir, String... settings) throws Exception {
        Path logs = Path.of("target", "strata-logs");
        Files.createDirectories(logs);
        Path logFile = logs.resolve(dataDir.getFileName() + "-" + System.nanoTime() + ".log");
        List<String> args = new ArrayList<>();
        for (String s : settings) {
            args.add("--set");
            args.add(s);
        }
        StrataNode node = new StrataNode(dataDir, logFile, args);
        node.launch();
        return node;
    }

    public static Path jar() {
        String jar = System.getProperty("strata.jar", "../ingest/target/strata.jar");
        Path p = Path.of(jar);
        if (!Files.exists(p)) {
            throw new IllegalStateException("broker distribution " + p.toAbsolutePath() + " is missing: build with 'mvn verify' from the root");
        }
        return p;
    }

    public void launch() throws Exception {
        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.add(javaBin());
        // Benchmarks pin the heap and may add a profiler: -Dstrata.it.jvmArgs="-Xms1g -Xmx1g …".
        cmd.addAll(List.of(System.getProperty("strata.it.jvmArgs", "-Xmx512m").trim().split("\\s+")));
        cmd.addAll(List.of("-jar", jar().toString(), "dev",
                "--data-dir", dataDir.toString(), "--port", Integer.toString(port), "--admin-port", Integer.toString(adminPort),
                "--set", "group.initial.rebalance.delay.ms=0"));
        // A setting may name the node's own Kafka port as {port} (e.g. listeners=PLAINTEXT://:{port},SSL://:9093).
        extraArgs.forEach(a -> cmd.add(a.replace("{port}", Integer.toString(port))));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("strata exited with " + process.exitValue() + " during start-up:\n" + log());
            }
            if (log().contains(" ready in ") && accepts(address, port)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("strata did not become ready in 60 s:\n" + log());
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static boolean accepts(String address, int port) {
        try (Socket s = new Socket(address, port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Environment variables for the next {@link #launch()} (e.g. credentials, fault injection). */
    public java.util.Map<String, String> env() {
        return env;
    }

    /** Starts a node whose process gets {@code environment} on top of this JVM's. */
    public static StrataNode startWithEnv(Path dataDir, java.util.Map<String, String> environment, String... settings) throws Exception {
        StrataNode node = prepared(dataDir, environment, settings);
        node.launch();
        return node;
    }

    /** A node set up with its settings, environment and log file, not launched yet. */
    private static StrataNode prepared(Path dataDir, java.util.Map<String, String> environment, String... settings) throws IOException {
        Path logs = Path.of("target", "strata-logs");
        Files.createDirectories(logs);
        List<String> args = new ArrayList<>();
        for (String s : settings) {
            args.add("--set");
            args.add(s);
        }
        StrataNode node = new StrataNode(dataDir, logs.resolve(dataDir.getFileName() + "-" + System.nanoTime() + ".log"), args);
        node.env.putAll(environment);
        return node;
    }

    /** The Prometheus text of the node's /metrics endpoint. */
    public String metrics() throws IOException {
        var url = java.net.URI.create("http://" + address + ":" + adminPort + "/metrics").toURL();
        try (var in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** One sample's value from /metrics (the first series of that name), or NaN when absent. */
    public double metric(String name) throws IOException {
        return sample(metrics(), name);
    }

    /** One sample's value from Prometheus text (the first series of that name), or NaN when absent. */
    public static double sample(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    public String bootstrap() {
        return ("127.0.0.1".equals(address) ? "localhost" : address) + ":" + port;
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return adminPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGKILL: no shutdown hook, no flush. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("strata did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    public void restart() throws Exception {
        stop();
        launch();
    }

    /** A {@code key=value} setting for the next {@link #launch()}, winning over an earlier one of the same key. */
    public void set(String setting) {
        extraArgs.add("--set");
        extraArgs.add(setting);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Ports handed out by {@link #freePort} in this JVM: the OS may offer a just-closed one again. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A free port, never one this JVM handed out before (a node given two equal ports cannot bind). */
    public static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                s.setReuseAddress(true);
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    public static Duration timeout() {
        return Duration.ofSeconds(30);
    }
}
