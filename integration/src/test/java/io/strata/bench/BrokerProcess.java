package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A broker the comparison drives, started as its users start it ({@link KafkaBroker}, {@link StrataBroker}), in its own process. */
final class BrokerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    /** A Strata node's admin HTTP port (its /metrics); -1 for Kafka. */
    private final int adminPort;

    BrokerProcess(Process process, int port) {
        this(process, port, -1);
    }

    BrokerProcess(Process process, int port, int adminPort) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
    }

    /** The node's Prometheus metrics, or null for a broker that serves none here (Kafka). */
    String metrics() throws Exception {
        if (adminPort < 0) {
            return null;
        }
        var c = (java.net.HttpURLConnection) java.net.URI.create("http://127.0.0.1:" + adminPort + "/metrics").toURL().openConnection();
        try (var in = c.getInputStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** The fsyncs a Strata node ran between two {@link #metrics()} (its strata_log_fsync metrics); NaN for Kafka. */
    record Fsyncs(double count, double bytes, double seconds) {
        static Fsyncs between(String before, String after) {
            return new Fsyncs(delta(before, after, "strata_log_fsync_seconds_count"), delta(before, after, "strata_log_fsync_bytes_total"),
                    delta(before, after, "strata_log_fsync_seconds_sum"));
        }

        private static double delta(String before, String after, String name) {
            return before == null || after == null ? Double.NaN
                    : io.strata.it.StrataNode.sample(after, name) - io.strata.it.StrataNode.sample(before, name);
        }
    }

    /**
     * A Strata node's produce requests by stage (its {@code strata_request_stage_seconds}): p50 and p99 in ms of each stage
     * over about the last minute, on one line; empty for Kafka.
     */
    String produceStages() throws Exception {
        String metrics = metrics();
        if (metrics == null) {
            return "";
        }
        StringBuilder out = new StringBuilder("produce requests by stage over the last minute, p50/p99 ms:");
        for (String stage : java.util.List.of("request_queue", "local", "remote", "response_queue", "response_send", "total")) {
            String prefix = stage.equals("total") ? "strata_request_total_seconds{api=\"Produce\",quantile="
                    : "strata_request_stage_seconds{api=\"Produce\",stage=\"" + stage + "\",quantile=";
            out.append(String.format(java.util.Locale.ROOT, " %s %.2f/%.2f", stage, 1000 * io.strata.it.StrataNode.sample(metrics, prefix + "\"0.5\"}"),
                    1000 * io.strata.it.StrataNode.sample(metrics, prefix + "\"0.99\"}")));
        }
        return out.toString();
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** The process's peak resident memory (VmHWM), in MiB; NaN where /proc cannot tell. */
    double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            // Not Linux, or the process is gone.
        }
        return Double.NaN;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
