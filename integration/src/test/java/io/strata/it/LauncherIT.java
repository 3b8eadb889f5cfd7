package io.strata.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The command line: bad configuration stops start-up naming the key; SIGTERM stops a node cleanly;
 * the launcher starts one-shot commands from a class-data archive written by their first run.
 */
class LauncherIT {
    @TempDir
    Path dir;

    private record Result(int code, String output) {
    }

    private Result run(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", StrataNode.jar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void startUpFailuresAreOneLineNamingTheSettingAndTheValue() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            Result r = run("dev", "--data-dir", dir.resolve("busy").toString(), "--port", Integer.toString(taken.getLocalPort()),
                    "--admin-port", Integer.toString(StrataNode.freePort()));
            assertThat(r.code()).as(r.output()).isEqualTo(2);
            assertThat(r.output()).contains("cannot listen on port " + taken.getLocalPort()).doesNotContain("\tat ");
        }
        Result bad = run("dev", "--data-dir", dir.resolve("badstore").toString(), "--metastore", "mysql://nope",
                "--port", Integer.toString(StrataNode.freePort()), "--admin-port", Integer.toString(StrataNode.freePort()));
        assertThat(bad.code()).as(bad.output()).isEqualTo(2);
        assertThat(bad.output()).contains("unsupported metastore URL 'mysql://nope'").doesNotContain("\tat ");
        Result topicKey = run("dev", "--data-dir", dir.resolve("topickey").toString(), "--set", "segment.bytes=1048576");
        assertThat(topicKey.code()).isEqualTo(2);
        assertThat(topicKey.output()).contains("did you mean 'log.segment.bytes'");
    }

    @Test
    void anAdminCommandPointedAtNoNodeSaysSoInOneLineWithinSeconds() throws Exception {
        int port = StrataNode.freePort();
        long start = System.nanoTime();
        Result closed = run("cluster", "--bootstrap-server", "localhost:" + port);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(closed.code()).as(closed.output()).isEqualTo(1);
        assertThat(closed.output()).contains("cannot reach a Strata node at localhost:" + port)
                .contains("--bootstrap-server").doesNotContain("WARN").doesNotContain("\tat ");
        assertThat(closed.output().strip().lines()).as(closed.output()).hasSize(1);
        assertThat(millis).as("a dead address is reported at once, not after the client's timeouts").isLessThan(10_000);
        Result unknown = run("topics", "list", "--bootstrap-server", "no-such-host.invalid:9092");
        assertThat(unknown.code()).as(unknown.output()).isEqualTo(1);
        assertThat(unknown.output()).contains("cannot resolve host 'no-such-host.invalid'").doesNotContain("KafkaAdminClient");
    }

    @Test
    void aMisspelledEnvironmentVariableIsWarnedAbout() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", StrataNode.jar().toString(),
                "dev", "--data-dir", dir.resolve("env").toString(), "--port", Integer.toString(StrataNode.freePort()),
                "--admin-port", Integer.toString(StrataNode.freePort()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("STRATA_NUM_PARTITONS", "3");
        Process p = pb.start();
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String warning = null;
            long deadline = System.currentTimeMillis() + 60_000;
            for (String line; System.currentTimeMillis() < deadline && (line = reader.readLine()) != null; ) {
                if (line.contains("STRATA_NUM_PARTITONS")) {
                    warning = line;
                }
                if (line.contains("ready in")) {
                    break;
                }
            }
            assertThat(warning).isNotNull().contains("did you mean STRATA_NUM_PARTITIONS");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aMisspelledKeyStopsStartUpNamingIt() throws Exception {
        Path cfg = dir.resolve("strata.yaml");
        Files.writeString(cfg, "data.dir: " + dir.resolve("d") + "\nauto.create.topic.enable: false\n");
        Result r = run("broker", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).contains("unknown setting 'auto.create.topic.enable'").contains("auto.create.topics.enable");
    }

    @Test
    void anInvalidValueStopsStartUpNamingIt() throws Exception {
        Path cfg = dir.resolve("strata.yaml");
        Files.writeString(cfg, "data.dir: " + dir.resolve("d") + "\nnum.partitions: -3\n");
        Result r = run("broker", "--config", cfg.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).contains("invalid value -3 for num.partitions");
    }

    @Test
    void jsonLogFormatPrintsOneObjectPerEvent() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                StrataNode.jar().toString(), "dev", "--log-format", "json", "--data-dir", dir.resolve("json").toString(),
                "--port", Integer.toString(StrataNode.freePort()), "--admin-port", Integer.toString(StrataNode.freePort()))
                .redirectErrorStream(true).start();
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String ready = null;
            long deadline = System.currentTimeMillis() + 60_000;
            while (ready == null && System.currentTimeMillis() < deadline && (line = reader.readLine()) != null) {
                if (line.contains("ready in")) {
                    ready = line;
                }
            }
            assertThat(ready).isNotNull();
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(ready);
            assertThat(json.get("level").asText()).isEqualTo("INFO");
            assertThat(json.get("message").asText()).as("the formatted message, placeholders filled in")
                    .contains("ready in").doesNotContain("{}");
            assertThat(json.get("template").asText()).contains("{}");
            assertThat(json.get("arguments").isArray()).isTrue();
            assertThat(json.get("timestamp").asText()).contains("T");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void sigtermShutsDownCleanlyWithExitZero() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"))) {
            assertThat(node.stop()).isZero();
            assertThat(node.log()).contains("shut down cleanly");
        }
    }

    /** Runs the {@code strata} launcher script itself, with its class-data archives in {@code cds}. */
    private Result launch(Path cds, java.util.Map<String, String> env, String... args) throws Exception {
        return launchWith(Path.of(System.getProperty("java.home")), cds, env, args);
    }

    /** As above, with {@code javaHome}'s java first on the PATH. */
    private Result launchWith(Path javaHome, Path cds, java.util.Map<String, String> env, String... args) throws Exception {
        Process p = startLauncher(javaHome, cds, env, args);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("the launcher did not finish in 60 s: " + String.join(" ", args));
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /**
     * The launcher in a known environment: this JVM's java first on the PATH, and none of the
     * variables that change how it starts java unless the test sets them.
     */
    private static Process startLauncher(Path cds, java.util.Map<String, String> env, String... args) throws Exception {
        return startLauncher(Path.of(System.getProperty("java.home")), cds, env, args);
    }

    private static Process startLauncher(Path javaHome, Path cds, java.util.Map<String, String> env, String... args) throws Exception {
        Path launcher = StrataNode.jar().toAbsolutePath().getParent().getParent().getParent().resolve("strata");
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        java.util.Map<String, String> e = pb.environment();
        List.of("STRATA_CDS", "STRATA_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS").forEach(e::remove);
        e.put("PATH", javaHome.resolve("bin") + java.io.File.pathSeparator + e.getOrDefault("PATH", ""));
        e.put("STRATA_CDS_DIR", cds.toString());
        e.putAll(env);
        return pb.start();
    }

    private static List<Path> archives(Path cds) throws Exception {
        try (var files = Files.list(cds)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).toList();
        }
    }

    /** How many classes a run logged as loaded from the dynamic (top) layer of a class-data archive. */
    private static long fromArchive(Path classLog) throws Exception {
        try (var lines = Files.lines(classLog)) {
            return lines.filter(l -> l.contains("source: shared objects file (top)")).count();
        }
    }

    @Test
    void aOneShotCommandStartsFromAClassDataArchiveItsFirstSuccessfulRunWrote() throws Exception {
        Path cds = dir.resolve("cds");
        // A run that fails writes no archive: it may have stopped before loading most of what the command uses.
        String[] nowhere = {"cluster", "--bootstrap-server", "localhost:" + StrataNode.freePort()};
        Result failed = launch(cds, java.util.Map.of(), nowhere);
        assertThat(failed.code()).as(failed.output()).isEqualTo(1);
        assertThat(failed.output().strip().lines()).as(failed.output()).hasSize(1).allMatch(l -> l.contains("cannot reach"));
        assertThat(Files.exists(cds) ? archives(cds) : List.<Path>of()).as("a failed run's archive").isEmpty();

        try (StrataNode node = StrataNode.start(dir.resolve("cds-node"))) {
            String[] cluster = {"cluster", "--bootstrap-server", node.bootstrap()};
            Result first = launch(cds, java.util.Map.of(), cluster);
            assertThat(first.code()).as(first.output()).isZero();
            assertThat(archives(cds)).as("the first successful run left its archive").singleElement()
                    .satisfies(a -> assertThat(a.getFileName().toString()).startsWith("cluster-"));

            Path classLog = dir.resolve("classes.log");
            Result second = launch(cds, java.util.Map.of("STRATA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), cluster);
            assertThat(second.code()).as(second.output()).isZero();
            assertThat(second.output()).as("the archive is written without a word").isEqualTo(first.output());
            assertThat(fromArchive(classLog)).as("classes the second run mapped from the archive").isGreaterThan(1000);
            assertThat(Files.readString(classLog)).contains("org.apache.kafka.clients.admin.Admin source: shared objects file (top)");

            // A failing run starts from the archive too, and leaves it as it was.
            Path archive = archives(cds).get(0);
            java.nio.file.attribute.FileTime written = Files.getLastModifiedTime(archive);
            Files.delete(classLog);
            Result failing = launch(cds, java.util.Map.of("STRATA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), nowhere);
            assertThat(failing.code()).as(failing.output()).isEqualTo(1);
            assertThat(failing.output()).contains("cannot reach a Strata node");
            assertThat(fromArchive(classLog)).as("classes the failing run mapped from the archive").isGreaterThan(1000);
            assertThat(archives(cds)).containsExactly(archive);
            assertThat(Files.getLastModifiedTime(archive)).isEqualTo(written);

            Files.delete(classLog);
            Result off = launch(cds, java.util.Map.of("STRATA_CDS", "off", "STRATA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), cluster);
            assertThat(off.code()).as(off.output()).isZero();
            assertThat(fromArchive(classLog)).as("STRATA_CDS=off").isZero();

            // An archive older than the jar (a rebuild since) is not used but written again.
            Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(
                    Files.getLastModifiedTime(StrataNode.jar()).toMillis() - 60_000));
            Files.delete(classLog);
            launch(cds, java.util.Map.of("STRATA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), cluster);
            assertThat(fromArchive(classLog)).as("a stale archive is not mapped").isZero();
            assertThat(Files.getLastModifiedTime(archive)).as("and is written again").isGreaterThan(Files.getLastModifiedTime(StrataNode.jar()));

            // Help loads too little to be worth an archive.
            Result help = launch(cds, java.util.Map.of(), "topics", "--help");
            assertThat(help.code()).as(help.output()).isZero();
            assertThat(archives(cds)).hasSize(1);
        }

        // Settings a JDK 17 cannot dump an archive with (here, sharing turned off): the command runs as it did before.
        Result noSharing = launch(cds, java.util.Map.of("STRATA_JAVA_OPTS", "-Xshare:off"), "topics", "list", nowhere[1], nowhere[2]);
        assertThat(noSharing.code()).as(noSharing.output()).isEqualTo(1);
        assertThat(noSharing.output().strip().lines()).as(noSharing.output()).hasSize(1).allMatch(l -> l.contains("cannot reach"));
        assertThat(archives(cds)).hasSize(1);
    }

    /** A JDK 25 or later on this machine (the launcher's AOT-cache path), if there is one: {@code STRATA_TEST_JDK25} or /usr/lib/jvm. */
    private static java.util.Optional<Path> jdk25() throws Exception {
        List<Path> candidates = new java.util.ArrayList<>();
        String given = System.getenv("STRATA_TEST_JDK25");
        if (given != null && !given.isBlank()) {
            candidates.add(Path.of(given));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (var homes = Files.list(jvms)) {
                homes.sorted().forEach(candidates::add);
            }
        }
        for (Path home : candidates) {
            Path release = home.resolve("release");
            if (Files.isRegularFile(release) && Files.isExecutable(home.resolve("bin/java"))) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
                if (m.find() && Integer.parseInt(m.group(1)) >= 25) {
                    return java.util.Optional.of(home);
                }
            }
        }
        return java.util.Optional.empty();
    }

    @Test
    void onJdk25AOneShotCommandStartsFromAnAotCacheItsFirstSuccessfulRunWrote() throws Exception {
        Path jdk = jdk25().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(jdk != null, "no JDK 25 or later here (STRATA_TEST_JDK25 names one)");
        Path cds = dir.resolve("aot");
        String[] nowhere = {"cluster", "--bootstrap-server", "localhost:" + StrataNode.freePort()};
        Result failed = launchWith(jdk, cds, java.util.Map.of(), nowhere);
        assertThat(failed.code()).as(failed.output()).isEqualTo(1);
        assertThat(failed.output().strip().lines()).as("recorded without a word").hasSize(1)
                .allMatch(l -> l.contains("cannot reach a Strata node"));
        try (var files = Files.list(cds)) {
            assertThat(files.toList()).as("a failed run leaves no cache, nor its recording").isEmpty();
        }

        try (StrataNode node = StrataNode.start(dir.resolve("aot-node"))) {
            String[] cluster = {"cluster", "--bootstrap-server", node.bootstrap()};
            Result first = launchWith(jdk, cds, java.util.Map.of(), cluster);
            assertThat(first.code()).as(first.output()).isZero();
            try (var files = Files.list(cds)) {
                assertThat(files.map(f -> f.getFileName().toString()).toList()).as("only the cache is left")
                        .singleElement().satisfies(n -> assertThat(n).startsWith("cluster-").endsWith(".aot"));
            }

            Path classLog = dir.resolve("aot-classes.log");
            Result second = launchWith(jdk, cds, java.util.Map.of("STRATA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), cluster);
            assertThat(second.code()).as(second.output()).isZero();
            assertThat(second.output()).as("the cache is recorded and assembled without a word").isEqualTo(first.output());
            assertThat(Files.readString(classLog)).contains("org.apache.kafka.clients.admin.Admin source: shared objects file");

            Files.delete(classLog);
            launchWith(jdk, cds, java.util.Map.of("STRATA_CDS", "off", "STRATA_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog), cluster);
            assertThat(Files.readString(classLog)).as("STRATA_CDS=off").contains("org.apache.kafka.clients.admin.Admin source: file:")
                    .doesNotContain("org.apache.kafka.clients.admin.Admin source: shared objects file");
        }
    }

    @Test
    void aOneShotCommandRunsOnTheParallelCollectorUnlessTheUserNamesOne() throws Exception {
        Path cds = dir.resolve("cds-gc");
        Path gcLog = dir.resolve("gc.log");
        Result dflt = launch(cds, java.util.Map.of("STRATA_JAVA_OPTS", "-Xlog:gc:file=" + gcLog), "topics", "--help");
        assertThat(dflt.code()).as(dflt.output()).isZero();
        assertThat(Files.readString(gcLog)).contains("Using Parallel");
        // A collector of the user's: the JVM refuses two, so the launcher's default gives way.
        Files.delete(gcLog);
        Result g1 = launch(cds, java.util.Map.of("STRATA_JAVA_OPTS", "-XX:+UseG1GC -Xlog:gc:file=" + gcLog), "topics", "--help");
        assertThat(g1.code()).as(g1.output()).isZero();
        assertThat(Files.readString(gcLog)).contains("Using G1");
    }

    @Test
    void aFirstRunPassesTheSignalsItIsSentToTheJvmAndKeepsNoArchive() throws Exception {
        Path cds = dir.resolve("cds-signal");
        // A "broker" that accepts connections and never answers: the command waits on it.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
            Process p = startLauncher(cds, java.util.Map.of(), "groups", "list", "--bootstrap-server", "localhost:" + silent.getLocalPort());
            await("the launcher's JVM started").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> p.descendants().anyMatch(d -> d.info().command().orElse("").endsWith("java")));
            List<ProcessHandle> jvms = p.descendants().toList();
            assertThat(jvms).as("the launcher started a JVM").isNotEmpty();
            Thread.sleep(500);
            assertThat(p.isAlive()).as("the command is still waiting on the silent broker").isTrue();
            p.destroy(); // SIGTERM to the launcher's own process, as a supervisor sends it
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            for (ProcessHandle jvm : jvms) {
                // Promptly: left running, the command would give up on the silent broker by itself, but only after many seconds.
                assertThat(jvm.onExit().completeOnTimeout(null, 5, TimeUnit.SECONDS).get()).as("the JVM stopped with its launcher").isNotNull();
            }
            assertThat(p.exitValue()).isEqualTo(143);
        }
        try (var left = Files.list(cds)) {
            assertThat(left.toList()).as("a stopped first run keeps no archive, whole or partial").isEmpty();
        }
    }
}
