package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import io.strata.tiering.store.S3ProxyServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's doc test: every code block in README.md is compiled and run, in order, as a new
 * user would run it (on the README's own ports, in a fresh directory with {@code ./strata}), or
 * says in an HTML comment above it why it cannot run here. A block's comment may also substitute
 * text (a local S3 or PostgreSQL server for a remote one) and name output it must print.
 *
 * <p>Comment grammar: {@code <!-- doctest: MODE[; skip line N: reason][; replace "A" => "B"]
 * [; expect "TEXT"][; needs TOOL][; keep][; alone] -->}; MODE is {@code run} (a bash script that
 * must exit 0), {@code serve} (each line starts a node that must become ready), {@code java}
 * (compiled and run against the node), {@code config} (a YAML file a node starts from),
 * {@code pom} (dependency coordinates that must match the build), or {@code skip: reason}.
 * Without a comment: sh → run, java → java, yaml → config, xml → pom.
 */
class ReadmeIT {
    private static final Pattern FENCE = Pattern.compile("^```(\\w*)\\s*$");
    private static final Pattern DIRECTIVE = Pattern.compile("^<!-- doctest: (.*) -->$");
    private static final Pattern REPLACE = Pattern.compile("replace \"(.*)\" => \"(.*)\"");
    private static final Pattern EXPECT = Pattern.compile("expect \"(.*)\"");
    private static final Pattern SKIP_LINE = Pattern.compile("skip line (\\d+): .*");

    @TempDir
    Path tmp;

    record Block(int line, String language, String directive, String body) {
        String mode() {
            if (directive != null) {
                return directive.split("[;:]")[0].trim();
            }
            return switch (language) {
                case "java" -> "java";
                case "yaml" -> "config";
                case "xml" -> "pom";
                default -> "run";
            };
        }

        List<String> options() {
            List<String> out = new ArrayList<>();
            if (directive != null) {
                for (String part : directive.split(";")) {
                    out.add(part.trim());
                }
            }
            return out.isEmpty() ? out : out.subList(1, out.size());
        }

        boolean has(String option) {
            return options().contains(option);
        }

        String where() {
            return "README.md line " + line + " (" + language + ")";
        }
    }

    static List<Block> blocks(String readme) {
        List<Block> out = new ArrayList<>();
        String[] lines = readme.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher open = FENCE.matcher(lines[i]);
            if (!open.matches()) {
                continue;
            }
            String directive = null;
            for (int j = i - 1; j >= 0 && !lines[j].isBlank(); j--) {
                Matcher d = DIRECTIVE.matcher(lines[j].trim());
                if (d.matches()) {
                    directive = d.group(1);
                    break;
                }
            }
            StringBuilder body = new StringBuilder();
            int start = i + 1;
            for (i = i + 1; i < lines.length && !lines[i].startsWith("```"); i++) {
                body.append(lines[i]).append('\n');
            }
            out.add(new Block(start, open.group(1), directive, body.toString()));
        }
        return out;
    }

    private final List<Process> serving = new ArrayList<>();
    private final Map<String, String> env = new java.util.HashMap<>();
    private final Map<String, String> variables = new java.util.HashMap<>();
    private int ran;
    private final List<String> skipped = new ArrayList<>();
    private final List<String> skippedCommands = new ArrayList<>();

    @Test
    void everyCodeBlockOfTheReadmeRunsOrSaysWhyNot() throws Exception {
        Path readme = Path.of("..", "README.md");
        List<Block> blocks = blocks(Files.readString(readme));
        assertThat(blocks).as("README code blocks").hasSizeGreaterThan(10);
        for (int port : new int[]{9092, 9093, 9094, 9644, 9645, 9646}) {
            Assumptions.assumeTrue(free(port), "port " + port + " is taken: the README's commands use it, so the doc test cannot run");
        }
        Files.writeString(tmp.resolve("strata"), "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -Xmx512m -jar '" + StrataNode.jar().toAbsolutePath() + "' \"$@\"\n");
        tmp.resolve("strata").toFile().setExecutable(true);
        try (S3ProxyServer s3 = S3ProxyServer.start(); PostgresServer pg = PostgresServer.start()) {
            env.putAll(Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                    "AWS_REGION", "us-east-1"));
            variables.put("$TMP", tmp.toString());
            variables.put("$S3", s3.endpoint());
            variables.put("$PG", pg.newDatabase("readme"));
            for (Block b : blocks) {
                run(b);
            }
        } finally {
            stopServing();
        }
        System.out.println("ReadmeIT: " + blocks.size() + " README code blocks: " + ran + " compiled or run, "
                + skipped.size() + " not runnable here: " + skipped + "; commands skipped within blocks that ran: " + skippedCommands);
        assertThat(ran + skipped.size()).isEqualTo(blocks.size());
    }

    private void run(Block b) throws Exception {
        String mode = b.mode();
        if (mode.equals("skip")) {
            assertThat(b.directive()).as(b.where() + ": a skipped block says why").matches("skip: .{10,}");
            skipped.add("line " + b.line() + ": " + b.directive().substring("skip: ".length()));
            return;
        }
        for (String option : b.options()) {
            if (option.startsWith("needs ") && !installed(option.substring("needs ".length()))) {
                skipped.add("line " + b.line() + ": " + option.substring("needs ".length()) + " is not installed");
                return;
            }
        }
        String body = substitute(b);
        switch (mode) {
            case "run" -> runScript(b, body);
            case "serve" -> serve(b, body);
            case "java" -> runJava(b, body);
            case "config" -> runConfig(b, body);
            case "pom" -> checkCoordinates(b, body);
            default -> throw new AssertionError(b.where() + ": unknown doctest mode '" + mode + "'");
        }
        ran++;
    }

    private String substitute(Block b) {
        String body = b.body();
        for (String option : b.options()) {
            Matcher r = REPLACE.matcher(option);
            if (r.matches()) {
                String to = r.group(2);
                for (Map.Entry<String, String> v : variables.entrySet()) {
                    to = to.replace(v.getKey(), v.getValue());
                }
                assertThat(body).as(b.where() + ": text to replace").contains(r.group(1));
                body = body.replace(r.group(1), to);
            }
        }
        return body;
    }

    private void expect(Block b, String output) {
        for (String option : b.options()) {
            Matcher e = EXPECT.matcher(option);
            if (e.matches()) {
                assertThat(output).as(b.where() + " prints").contains(e.group(1));
            }
        }
    }

    private void runScript(Block b, String body) throws Exception {
        if (b.has("alone")) {
            stopServing();
        }
        Path script = tmp.resolve("block-" + b.line() + ".sh");
        Files.writeString(script, "set -euo pipefail\n" + body);
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p));
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as(b.where() + " finished").isTrue();
        String output = out.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(b.where() + " exits 0; it printed:\n" + output).isZero();
        expect(b, output);
    }

    /** Each command line starts a node that must become ready; the last one of a block marked keep stays up. */
    private void serve(Block b, String body) throws Exception {
        stopServing();
        List<String> commands = commands(body);
        for (int i = 0; i < commands.size(); i++) {
            String command = commands.get(i);
            if (skippedLine(b, i + 1)) {
                skippedCommands.add("line " + b.line() + ", command " + (i + 1) + ": " + command);
                continue;
            }
            start(b, command);
            if (!(b.has("keep") && i == commands.size() - 1)) {
                stopServing();
            }
        }
    }

    private void runConfig(Block b, String body) throws Exception {
        stopServing();
        Path file = tmp.resolve("config-" + b.line() + ".yaml");
        Files.writeString(file, body);
        // The file's data.dir is a system path: the environment (which outranks the file) moves it here.
        env.put("STRATA_DATA_DIR", tmp.resolve("config-data-" + b.line()).toString());
        try {
            start(b, "./strata broker --config " + file);
        } finally {
            env.remove("STRATA_DATA_DIR");
            stopServing();
        }
    }

    private void start(Block b, String command) throws Exception {
        Path log = tmp.resolve("serve-" + b.line() + "-" + serving.size() + ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "exec " + command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        serving.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as(b.where() + ": '" + command + "' keeps running; it printed:\n" + Files.readString(log)).isTrue();
            if (ready()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(b.where() + ": '" + command + "' was not ready in 90 s:\n" + Files.readString(log));
    }

    private static boolean ready() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://localhost:9644/ready").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(5000);
            return c.getResponseCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private void stopServing() throws Exception {
        for (Process p : serving) {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        serving.clear();
        for (int port : new int[]{9092, 9644}) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!free(port) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }
    }

    /** Compiles the block inside a method, with stand-ins for the names it assumes, and runs it against the node. */
    private void runJava(Block b, String body) throws Exception {
        String name = "ReadmeBlock" + b.line();
        String source = """
                import io.strata.sdk.Strata;
                import io.strata.sdk.StrataClient;
                import io.strata.sdk.queue.WorkQueue;
                import io.strata.sdk.replay.Replay;
                import io.strata.sdk.replay.ReplayRecord;
                import org.apache.kafka.clients.consumer.ConsumerRecords;
                import org.apache.kafka.clients.consumer.KafkaConsumer;
                import org.apache.kafka.clients.producer.KafkaProducer;
                import org.apache.kafka.clients.producer.ProducerRecord;
                import org.apache.kafka.common.serialization.StringDeserializer;
                import org.apache.kafka.common.serialization.StringSerializer;
                import java.nio.file.Path;
                import java.time.Duration;
                import java.time.Instant;
                import java.util.List;
                import java.util.Map;
                import java.util.Properties;

                public class %s {
                    public record Order(String id, int total) {}
                    public record Job(String id) {}
                    static final Order order = new Order("order-7", 42);
                    static volatile boolean running = true;
                    static void bill(Order o) { running = false; }
                    static void runJob(Job job) {}
                    static void index(ReplayRecord r) { System.out.println("replayed " + r.offset()); }

                    public static void run() throws Exception {
                %s
                    }
                }
                """.formatted(name, body);
        Path src = tmp.resolve("java-" + b.line());
        Files.createDirectories(src);
        Files.writeString(src.resolve(name + ".java"), source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int code = javac.run(null, diagnostics, diagnostics, "-classpath", classpath(), "-d", src.toString(),
                src.resolve(name + ".java").toString());
        assertThat(code).as(b.where() + " compiles:\n" + diagnostics.toString(StandardCharsets.UTF_8) + "\n" + source).isZero();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[]{src.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> block = loader.loadClass(name);
            System.setOut(new PrintStream(new TeeStream(original, printed), true, StandardCharsets.UTF_8));
            CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
                try {
                    block.getMethod("run").invoke(null);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e.getCause() == null ? e : e.getCause());
                }
            });
            done.get(120, TimeUnit.SECONDS);
        } finally {
            System.setOut(original);
        }
        expect(b, printed.toString(StandardCharsets.UTF_8));
    }

    /** The test class path, with surefire's manifest-only jar expanded so javac sees every entry. */
    private static String classpath() throws IOException {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            entries.add(e);
            if (e.endsWith(".jar") && Path.of(e).getFileName().toString().startsWith("surefire")) {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(e)) {
                    String cp = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String u : cp.split(" ")) {
                            if (!u.isBlank()) {
                                entries.add(Path.of(URI.create(u)).toString());
                            }
                        }
                    }
                }
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static void checkCoordinates(Block b, String body) throws IOException {
        String pom = Files.readString(Path.of("..", "consumer-api", "pom.xml"));
        String parent = Files.readString(Path.of("..", "pom.xml"));
        String group = tag(body, "groupId");
        String artifact = tag(body, "artifactId");
        String version = tag(body, "version");
        assertThat(pom).as(b.where() + ": the SDK's artifactId").contains("<artifactId>" + artifact + "</artifactId>");
        assertThat(parent).as(b.where() + ": the SDK's groupId").contains("<groupId>" + group + "</groupId>");
        assertThat(parent).as(b.where() + ": the SDK's version").contains("<version>" + version + "</version>");
    }

    private static String tag(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
        assertThat(m.find()).as("<" + name + "> in\n" + xml).isTrue();
        return m.group(1);
    }

    /** Command lines of a shell block: comments dropped, backslash continuations joined. */
    static List<String> commands(String body) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : body.split("\n")) {
            if (line.isBlank() || line.trim().startsWith("#")) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            out.add(current.toString().trim());
            current.setLength(0);
        }
        return out;
    }

    private static boolean skippedLine(Block b, int command) {
        for (String option : b.options()) {
            Matcher m = SKIP_LINE.matcher(option);
            if (m.matches() && Integer.parseInt(m.group(1)) == command) {
                return true;
            }
        }
        return false;
    }

    private static boolean installed(String tool) {
        try {
            return new ProcessBuilder("bash", "-c", "command -v " + tool).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e + ")";
        }
    }

    /** Copies what a block prints to the test's own output too. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
