package io.strata.metastore.postgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for tests, started from the machine's own {@code initdb} and
 * {@code pg_ctl} in a temporary directory on a free port, with trust authentication on
 * loopback only. {@link #shared()} gives one server per JVM, stopped at exit.
 */
public final class PostgresServer implements AutoCloseable {
    private static PostgresServer shared;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final Path dir;
    private final int port;
    private final String bin;
    private String listenAddress = "127.0.0.1";

    private PostgresServer(Path dir, int port, String bin) {
        this.dir = dir;
        this.port = port;
        this.bin = bin;
    }

    /** A server listening on {@code address} too, trusting clients from {@code cidr} (nodes in network namespaces). */
    public static PostgresServer startOn(String address, String cidr) throws Exception {
        PostgresServer server = initialized();
        server.listenAddress = "127.0.0.1," + address;
        Files.writeString(server.dir.resolve("data").resolve("pg_hba.conf"), "host all all " + cidr + " trust\n",
                java.nio.file.StandardOpenOption.APPEND);
        server.startProcess();
        return server;
    }

    /** A fresh data directory on a free port, not started yet. */
    private static PostgresServer initialized() throws Exception {
        String bin = findBin();
        Path dir = Files.createTempDirectory("strata-pg-");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PostgresServer server = new PostgresServer(dir, port, bin);
        server.exec(List.of(bin + "/initdb", "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust",
                "--no-sync", "-E", "UTF8"));
        return server;
    }

    /** The {@code postgresql://} URL of a new database, reached at {@code host}. */
    public String newDatabase(String prefix, String host) throws Exception {
        return newDatabase(prefix).replace("@127.0.0.1:", "@" + host + ":");
    }

    public static synchronized PostgresServer shared() throws Exception {
        if (shared == null) {
            shared = start();
            PostgresServer s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        }
        return shared;
    }

    /** Where initdb lives: on the PATH, or in Debian's versioned directory. */
    static String findBin() {
        for (String candidate : List.of("/usr/local/bin", "/usr/bin", "/usr/lib/postgresql/17/bin",
                "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin")) {
            if (Files.isExecutable(Path.of(candidate, "initdb")) && Files.isExecutable(Path.of(candidate, "pg_ctl"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("PostgreSQL's initdb and pg_ctl were not found (install postgresql)");
    }

    public static PostgresServer start() throws Exception {
        PostgresServer server = initialized();
        server.startProcess();
        return server;
    }

    private List<String> asPostgresUser(List<String> cmd) {
        // initdb and postgres refuse to run as root; drop to the 'postgres' or 'nobody' user when root.
        if (!"root".equals(System.getProperty("user.name"))) {
            return cmd;
        }
        String user = userExists("postgres") ? "postgres" : "nobody";
        List<String> out = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups", "--"));
        out.addAll(cmd);
        return out;
    }

    private static boolean userExists(String name) {
        try {
            return Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(name + ":"));
        } catch (IOException e) {
            return false;
        }
    }

    private void exec(List<String> cmd) throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            String user = userExists("postgres") ? "postgres" : "nobody";
            new ProcessBuilder("chown", "-R", user, dir.toString()).inheritIO().start().waitFor();
        }
        Process p = new ProcessBuilder(asPostgresUser(cmd)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("setup.log").toFile())).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("'" + String.join(" ", cmd) + "' failed:\n"
                    + Files.readString(dir.resolve("setup.log"), StandardCharsets.UTF_8));
        }
    }

    /** Starts (or restarts) the server process. */
    public void startProcess() throws Exception {
        exec(List.of(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(),
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=" + listenAddress + " -c fsync=off -c max_connections=200",
                "-w", "-t", "60", "start"));
    }

    /** Stops the server (fast shutdown): clients see it as unreachable until {@link #startProcess}. */
    public void stopProcess() throws Exception {
        exec(List.of(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop"));
    }

    /**
     * Freezes (SIGSTOP) or thaws (SIGCONT) the server and every backend: connections stay open
     * but nothing answers, as when a network path to the MetaStore stalls.
     */
    public void freeze(boolean frozen) throws Exception {
        String pid = Files.readAllLines(dir.resolve("data").resolve("postmaster.pid")).get(0).trim();
        String sig = frozen ? "-STOP" : "-CONT";
        if (frozen) {
            new ProcessBuilder("kill", sig, pid).start().waitFor(10, TimeUnit.SECONDS);
            new ProcessBuilder("pkill", sig, "-P", pid).start().waitFor(10, TimeUnit.SECONDS);
        } else {
            new ProcessBuilder("pkill", sig, "-P", pid).start().waitFor(10, TimeUnit.SECONDS);
            new ProcessBuilder("kill", sig, pid).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Creates a fresh database and returns its {@code postgresql://} URL. */
    public String newDatabase(String prefix) throws Exception {
        String name = prefix + "_" + DATABASES.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
             var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        try {
            stopProcess();
        } catch (Exception ignored) {
            // Already stopped.
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: it is a temp directory.
        }
    }
}
