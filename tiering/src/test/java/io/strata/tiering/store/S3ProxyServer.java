package io.strata.tiering.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server for tests: s3proxy (its jar-with-dependencies from Maven Central, copied by
 * the build to the path in system property {@code s3proxy.jar}) with the filesystem backend, in
 * a temporary directory on a free port. It can be stopped and started again on the same port and
 * data, to simulate an outage.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "strata-test";
    public static final String SECRET_KEY = "strata-test-secret";

    private final Path dir;
    private final int port;
    private Process process;

    private S3ProxyServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static S3ProxyServer start() throws Exception {
        Path dir = Files.createTempDirectory("strata-s3proxy-");
        Files.createDirectories(dir.resolve("blobs"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("s3proxy.conf"), String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + dir.resolve("blobs"),
                ""), StandardCharsets.UTF_8);
        S3ProxyServer server = new S3ProxyServer(dir, port);
        server.startProcess();
        return server;
    }

    static Path jar() {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("s3proxy jar not found at '" + jar + "': run the build through Maven (it copies it)");
        }
        return Path.of(jar);
    }

    public void startProcess() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", jar().toString(), "--properties", dir.resolve("s3proxy.conf").toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("s3proxy.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("s3proxy exited: " + Files.readString(dir.resolve("s3proxy.log")));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("s3proxy did not start in 60 s: " + Files.readString(dir.resolve("s3proxy.log")));
    }

    /** Stops the server (the data stays): requests fail until {@link #startProcess()}. */
    public void stopProcess() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The server process's id (changes when {@link #stopProcess} and {@link #startProcess} restart it). */
    public long pid() {
        return process.pid();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** An object-store URL for a bucket (created on first use by the broker, or by {@link S3ObjectStore#ensureBucket}). */
    public String url(String bucket, String prefix) {
        return "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint() + "&region=us-east-1";
    }

    /** Where the server keeps a bucket's objects on disk (for tests that damage one on purpose). */
    public Path blobDir(String bucket) {
        return dir.resolve("blobs").resolve(bucket);
    }

    /** How many stored objects (files) the bucket holds, straight from the server's disk. */
    public long objectCount(String bucket) throws IOException {
        return objectCount(bucket, "");
    }

    /**
     * How many stored objects whose name ends with {@code suffix} the bucket holds. Counted again
     * when an upload's temporary file vanishes under the walk.
     */
    public long objectCount(String bucket, String suffix) throws IOException {
        Path b = dir.resolve("blobs").resolve(bucket);
        if (!Files.exists(b)) {
            return 0;
        }
        for (int attempt = 0; ; attempt++) {
            try (var files = Files.walk(b)) {
                return files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(suffix)).count();
            } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() throws Exception {
        stopProcess();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
