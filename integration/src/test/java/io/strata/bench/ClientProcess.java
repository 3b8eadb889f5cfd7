package io.strata.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a benchmark client in its own JVM — Kafka's ProducerPerformance and ConsumerPerformance,
 * or {@link ClientProbe} — from Kafka's distribution class path, with the heap Kafka's
 * {@code kafka-*-perf-test.sh} scripts give them, and parses what it prints.
 */
final class ClientProcess {
    private static final List<String> CLIENT_JVM = List.of("-Xmx512M", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true");
    /** ProducerPerformance's final summary line. */
    private static final Pattern PRODUCE_SUMMARY = Pattern.compile(
            "(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, "
                    + "(\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99.9th");

    private ClientProcess() {
    }

    /** The settings every producer of the comparison uses, for both brokers. */
    static final List<String> PRODUCER_PROPS = List.of("acks=all", "enable.idempotence=true", "linger.ms=5", "batch.size=131072");

    /**
     * {@code failed}: records the producer gave up on (ProducerPerformance counts only those acknowledged);
     * {@code steadyState}: the same figures for the records after {@code --warmup-records}, when it was given (else null).
     */
    record Produced(double recordsPerSec, double mibPerSec, double p50Ms, double p99Ms, double p999Ms, long failed, Produced steadyState,
                    List<Integer> windowMaxMs) {
    }

    /** ProducerPerformance's line for each 5 s window: its max latency says when a run's tail latencies happened. */
    private static final Pattern WINDOW = Pattern.compile("\\d+ records sent, [\\d.]+ records/sec \\([\\d.]+ MB/sec\\), [\\d.]+ ms avg latency, "
            + "([\\d.]+) ms max latency\\.$", Pattern.MULTILINE);

    /** ProducerPerformance's summary of the records after its {@code --warmup-records}. */
    private static final Pattern STEADY_SUMMARY = Pattern.compile(
            "(\\d+) steady state records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, "
                    + "(\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99.9th");

    /** ProducerPerformance: {@code records} of 1 KiB; {@code rate} records/s, or -1 for unthrottled. */
    static Produced produce(String bootstrap, String topic, int records, int rate) throws Exception {
        return produce(bootstrap, topic, records, rate, List.of());
    }

    /** As above, with more producer settings ({@code key=value}: security, for instance). */
    static Produced produce(String bootstrap, String topic, int records, int rate, List<String> moreProps) throws Exception {
        return produce(bootstrap, topic, records, rate, moreProps, List.of());
    }

    /** As above, with more ProducerPerformance arguments ({@code --transactional-id}, for instance). */
    static Produced produce(String bootstrap, String topic, int records, int rate, List<String> moreProps, List<String> moreArgs)
            throws Exception {
        return produce(bootstrap, topic, records, rate, PRODUCER_PROPS, moreProps, moreArgs);
    }

    /** As above, with {@code producerProps} instead of the comparison's {@link #PRODUCER_PROPS} (acks=1, for instance). */
    static Produced produce(String bootstrap, String topic, int records, int rate, List<String> producerProps, List<String> moreProps,
                            List<String> moreArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                "--num-records", Integer.toString(records), "--record-size", Integer.toString(Workloads.RECORD),
                "--throughput", Integer.toString(rate)));
        args.addAll(moreArgs);
        args.addAll(List.of("--producer-props", "bootstrap.servers=" + bootstrap));
        args.addAll(producerProps);
        if (!moreProps.isEmpty()) {
            // A file: --producer-props splits each setting at every '=', which a JAAS line has several of.
            java.nio.file.Path file = java.nio.file.Files.createTempFile("producer", ".properties");
            java.nio.file.Files.write(file, moreProps);
            args.addAll(List.of("--producer.config", file.toString()));
        }
        String out = run(args, 600);
        Matcher m = PRODUCE_SUMMARY.matcher(out);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        if (last == null) {
            throw new IllegalStateException("ProducerPerformance printed no summary:\n" + out);
        }
        m = PRODUCE_SUMMARY.matcher(last);
        m.find();
        long failed = records - Long.parseLong(m.group(1));
        if (failed > 0) {
            System.err.println("ProducerPerformance: " + failed + " of " + records + " records failed on " + topic + "; first error: "
                    + out.lines().filter(l -> l.contains("Exception")).findFirst().orElse("?"));
        }
        Matcher steady = STEADY_SUMMARY.matcher(out);
        Produced steadyState = steady.find() ? summary(steady, 0, null, List.of()) : null;
        List<Integer> windows = new ArrayList<>();
        Matcher w = WINDOW.matcher(out);
        while (w.find()) {
            windows.add((int) Math.round(Double.parseDouble(w.group(1))));
        }
        return summary(m, failed, steadyState, windows);
    }

    /** A summary line's rate, MiB/s and percentiles; groups as in both summary patterns. */
    private static Produced summary(Matcher m, long failed, Produced steadyState, List<Integer> windowMaxMs) {
        return new Produced(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), Double.parseDouble(m.group(6)),
                Double.parseDouble(m.group(8)), Double.parseDouble(m.group(9)), failed, steadyState, windowMaxMs);
    }

    record Consumed(double fetchMibPerSec, double totalMibPerSec, double rebalanceMs) {
    }

    /** ConsumerPerformance with a new group: throughput from the first fetch, and the group's join time. */
    static Consumed consume(String bootstrap, String topic, int records, String group) throws Exception {
        String out = run(List.of("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrap, "--topic", topic,
                "--messages", Integer.toString(records), "--group", group, "--timeout", "60000"), 600);
        String[] lines = out.strip().split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].startsWith("start.time")) {
                List<String> header = List.of(lines[i].split(",\\s*"));
                String[] v = lines[i + 1].split(",\\s*");
                double consumed = Double.parseDouble(v[header.indexOf("data.consumed.in.nMsg")]);
                if (consumed < records) {
                    throw new IllegalStateException("ConsumerPerformance read " + consumed + " of " + records + ":\n" + out);
                }
                return new Consumed(Double.parseDouble(v[header.indexOf("fetch.MB.sec")]), Double.parseDouble(v[header.indexOf("MB.sec")]),
                        Double.parseDouble(v[header.indexOf("rebalance.time.ms")]));
            }
        }
        throw new IllegalStateException("ConsumerPerformance printed no result:\n" + out);
    }

    /** p50 and p99 over the whole run, and over the records sent after its first {@link ClientProbe#STEADY_AFTER_SECONDS}. */
    record EndToEnd(double p50Ms, double p99Ms, double steadyP50Ms, double steadyP99Ms, String summary) {
    }

    /**
     * {@link ClientProbe} e2e: p50 and p99 in ms, over the whole run and its steady state, and the probe's summary line
     * (with the slowest record of each second).
     */
    static EndToEnd endToEnd(String bootstrap, String topic, int rate, int seconds) throws Exception {
        String out = run(List.of(ClientProbe.class.getName(), "e2e", bootstrap, topic, Integer.toString(rate), Integer.toString(seconds)),
                seconds + 120);
        Matcher m = Pattern.compile("e2e records=(\\d+) p50=([\\d.]+) p99=([\\d.]+).*after \\d+ s: records=\\d+ p50=([\\d.]+|NaN) p99=([\\d.]+|NaN).*")
                .matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("ClientProbe e2e printed no result:\n" + out);
        }
        return new EndToEnd(Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)),
                Double.parseDouble(m.group(5)), m.group());
    }

    /** {@link ClientProbe} first-record: ms from a new group's subscribe() to its first record. */
    static double firstRecord(String bootstrap, String topic, String group) throws Exception {
        String out = run(List.of(ClientProbe.class.getName(), "first-record", bootstrap, topic, group), 120);
        Matcher m = Pattern.compile("first-record ms=([\\d.]+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("ClientProbe first-record printed no result:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    static String run(List<String> mainAndArgs, int timeoutSeconds) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KafkaBroker.java()));
        cmd.addAll(CLIENT_JVM);
        // Kafka's jars, and this package's compiled classes for ClientProbe (which uses kafka-clients only).
        cmd.addAll(List.of("-Dlog4j2.configurationFile=" + KafkaBroker.configDir().resolve("tools-log4j2.yaml").toAbsolutePath(),
                "-cp", KafkaBroker.classpath() + java.io.File.pathSeparator + classesDir()));
        cmd.addAll(mainAndArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(mainAndArgs.get(0) + " did not finish in " + timeoutSeconds + " s");
        }
        String text = out.get();
        String keep = System.getProperty("strata.bench.clientLogs");
        if (keep != null) {
            // -Dstrata.bench.clientLogs=DIR: every client's output, to see inside a run.
            java.nio.file.Path dir = java.nio.file.Files.createDirectories(Path.of(keep));
            String name = mainAndArgs.get(0).substring(mainAndArgs.get(0).lastIndexOf('.') + 1);
            java.nio.file.Files.writeString(dir.resolve(System.currentTimeMillis() + "-" + name + ".log"),
                    String.join(" ", mainAndArgs) + "\n" + text);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(mainAndArgs.get(0) + " exited " + p.exitValue() + ":\n" + text);
        }
        return text;
    }

    private static String classesDir() {
        try {
            return Path.of(ClientProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
