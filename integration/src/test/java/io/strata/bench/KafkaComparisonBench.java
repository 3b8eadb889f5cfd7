package io.strata.bench;

import io.strata.it.StrataNode;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strata against Apache Kafka 4.4 on this machine, as a Kafka engineer would run it: Kafka from
 * its distribution's jars with the distribution's JVM options and shipped configuration
 * ({@link KafkaBroker}), Kafka with {@code log.flush.interval.messages=1} (the durability Strata
 * gives acks=all by fsyncing before it answers), and Strata as {@code strata broker} with its
 * defaults and the same heap. Every client is its own JVM: Kafka's ProducerPerformance and
 * ConsumerPerformance, and {@link ClientProbe} for end-to-end latency at a fixed rate and a new
 * group's first record. One broker at a time, in rounds whose order alternates, each with a
 * warm-up; medians are reported with every run's raw values and the machine's load.
 */
final class KafkaComparisonBench {
    static final String HEAP = "-Xms1G -Xmx1G";
    static final int ROUNDS = Integer.getInteger("strata.bench.rounds", 3);
    static final int RECORDS = Integer.getInteger("strata.bench.records", 1_000_000);
    /**
     * The untimed produce before the timed one, on each broker: as many records as the timed run. After 200,000 records a
     * Strata node's C2 compiler threads still took 3.9 of its 9.3 CPU-seconds during the timed million (and 2.5 of 6.7
     * in the million after, 0.5 of 4.4 in the third), so the timed run measured the JIT as much as the broker; both
     * brokers get the same warm-up, and users run brokers warm. It does not reach a steady state for either broker: measured
     * on 2026-12-06 (the row "of which JIT compiler threads, CPU s per GiB"), after this warm-up the three brokers' compiler
     * threads took 2.2 to 3.5 of their 4.4 to 8.5 CPU-seconds during the timed million (a produce-only run at 21:02; 2.3 to
     * 3.9 of 4.3 to 10.2 in the full run at 21:55), and after a warm-up of 3,000,000 records (21:08) still 1.5 to 2.4 of 3.1
     * to 6.8 (produce 1.03x and 1.02x Kafka in those two produce-only runs): the timed run goes to a topic of its own,
     * and per-request code is compiled once thousands of requests have run it. A longer warm-up was not kept: it moved
     * neither broker to a steady state, and the rounds' spread (Kafka 124 to 179 MiB/s) is larger than the difference.
     */
    static final int WARMUP_RECORDS = Integer.getInteger("strata.bench.warmupRecords", RECORDS);
    static final int WIDE_RECORDS = Integer.getInteger("strata.bench.wideRecords", 200_000);
    static final int E2E_RATE = 1000;
    static final int E2E_SECONDS = Integer.getInteger("strata.bench.e2eSeconds", 20);
    /**
     * An untimed probe of this many seconds on the same topic before the timed one, on every broker
     * ({@code -Dstrata.bench.e2eWarmupSeconds=0} leaves it out). The warm-up produce runs large batches to a topic of
     * six partitions; the probe's topic is created moments before it, and a consumer waiting at the log's end for produce
     * requests of a few records each is a path the broker had not run: as every other row's broker has run its workload
     * before it is timed, this one has too. The timed probe's own clients still start cold, as before.
     */
    static final int E2E_WARMUP_SECONDS = Integer.getInteger("strata.bench.e2eWarmupSeconds", 5);
    /**
     * The fixed-rate run: its first seconds (ProducerPerformance's {@code --warmup-records}) are left
     * out of the steady-state figures. A producer JVM sends slowly while its JIT warms up, and its
     * throttler then sends flat out until it has caught up with the schedule: seconds of a full
     * client queue (at 75,186 records/s, Strata's producer sent 24,906 records in its first second
     * and Kafka's 12,841, and both then sent flat out for 4 to 7 s), which is not the latency of a
     * broker that keeps up. The whole run's p99 is reported too.
     */
    static final int RATE_WARMUP_SECONDS = Integer.getInteger("strata.bench.rateWarmupSeconds", 20);
    /**
     * A minute, so that the steady state holds the kernel's ongoing write-back of a broker that leaves
     * its data in the page cache (Kafka as shipped): with {@code vm.dirty_expire_centisecs=3000} the
     * first data written becomes due about 30 s after the run starts, and a 15 s window at 20–35 s
     * caught only the onset of that first write-back, so Kafka's p99 in it was 9 ms in one round and
     * 300–500 ms in the next, depending on where the write-back fell.
     */
    static final int RATE_STEADY_SECONDS = Integer.getInteger("strata.bench.rateSteadySeconds", 60);
    /**
     * {@code -Dstrata.bench.rate=N}: only the fixed-rate rows, at N records/s (phase 1, which
     * finds 80 % of the slower broker's maximum, is skipped): for comparing a change's latency.
     */
    static final int FIXED_RATE = Integer.getInteger("strata.bench.rate", 0);
    /**
     * {@code -Dstrata.bench.e2eOnly=true}: only the end-to-end rows, each round on a fresh broker after the same warm-up
     * produce: more rounds of the noisiest row for the price of a few minutes.
     */
    static final boolean E2E_ONLY = Boolean.getBoolean("strata.bench.e2eOnly");
    /**
     * {@code -Dstrata.bench.produceOnly=true}: only the unthrottled produce rows (and the broker's CPU per GiB), each round on a
     * fresh broker after the same warm-up: for comparing a change to the produce path in a few minutes.
     */
    static final boolean PRODUCE_ONLY = Boolean.getBoolean("strata.bench.produceOnly");
    /**
     * {@code -Dstrata.bench.wideOnly=true}: only the 1,000-partition rows, each round on a fresh broker after the same
     * warm-up produce.
     */
    static final boolean WIDE_ONLY = Boolean.getBoolean("strata.bench.wideOnly");
    /**
     * Seconds between the untimed and the timed 1,000-partition produce, on every broker: Kafka 4.4 on this machine runs
     * a 1,000-partition produce at 12 to 15 MiB/s when it starts within about 30 s of the topic's first produce, 21.8
     * after 45 s and 60.8 to 63.9 after 90 s or more (2026-12-06), so the row measures a topic that has settled, as a
     * long-lived topic of that many partitions has.
     */
    static final int WIDE_SETTLE_SECONDS = Integer.getInteger("strata.bench.wideSettleSeconds", 90);

    /** Where a run's tables go: a partial run ({@link #E2E_ONLY}) must be told, so it cannot replace the published results. */
    static void checkOptions() {
        if ((E2E_ONLY ? 1 : 0) + (PRODUCE_ONLY ? 1 : 0) + (WIDE_ONLY ? 1 : 0) + (FIXED_RATE > 0 ? 1 : 0) > 1) {
            throw new IllegalArgumentException("-Dstrata.bench.e2eOnly, -Dstrata.bench.produceOnly, -Dstrata.bench.wideOnly and -Dstrata.bench.rate select different rows; give one");
        }
        if ((E2E_ONLY || PRODUCE_ONLY || WIDE_ONLY) && System.getProperty("strata.bench.out") == null) {
            throw new IllegalArgumentException("-Dstrata.bench.e2eOnly, -Dstrata.bench.produceOnly and -Dstrata.bench.wideOnly need -Dstrata.bench.out=DIR: a partial table must not replace bench-results/kafka.md");
        }
    }
    static final String E2E_STEADY_P50 = "end-to-end p50 ms after the first " + ClientProbe.STEADY_AFTER_SECONDS + " s";
    static final String E2E_STEADY_P99 = "end-to-end p99 ms after the first " + ClientProbe.STEADY_AFTER_SECONDS + " s";
    /** Which brokers to compare; {@code -Dstrata.bench.brokers=Strata} measures one alone (to profile it, say). */
    static final List<String> BROKERS = List.of(System.getProperty("strata.bench.brokers", "Kafka,Kafka fsync,Strata").split(","));
    static final List<String> METRICS = List.of("produce MiB/s", "produce p50 ms", "produce p99 ms", "produce p99.9 ms",
            "broker CPU s per GiB produced", "of which JIT compiler threads, CPU s per GiB",
            "produce p99 ms at a fixed rate, steady state", "produce p99 ms at a fixed rate, whole run", "consume MiB/s from the first fetch", "new group: first record ms",
            "new group: join ms (ConsumerPerformance)", "end-to-end p50 ms", "end-to-end p99 ms", E2E_STEADY_P50, E2E_STEADY_P99,
            "1000 partitions MiB/s",
            "1000 partitions p99 ms", "peak RSS MiB", "failed records");


    private KafkaComparisonBench() {
    }

    /**
     * The end-to-end rows: over the whole run, and without its first seconds, when the probe's
     * producer and consumer, fresh JVMs, still run their first requests with their JIT cold.
     */
    private static void addEndToEnd(Map<String, List<Double>> r, ClientProcess.EndToEnd e2e) {
        r.get("end-to-end p50 ms").add(e2e.p50Ms());
        r.get("end-to-end p99 ms").add(e2e.p99Ms());
        r.get(E2E_STEADY_P50).add(e2e.steadyP50Ms());
        r.get(E2E_STEADY_P99).add(e2e.steadyP99Ms());
    }

    private static BrokerProcess start(String broker, Path dir) throws Exception {
        if (broker.equals("Kafka")) {
            return KafkaBroker.start(dir, Map.of());
        }
        if (broker.equals("Kafka fsync")) {
            return KafkaBroker.start(dir, Map.of("log.flush.interval.messages", "1"));
        }
        if (broker.startsWith("Strata:")) {
            // The Strata of another checkout (its launcher builds it), for comparing two builds in alternating rounds.
            return StrataBroker.start(dir, HEAP, List.of(), Path.of(broker.substring("Strata:".length())));
        }
        // "Strata@OPTIONS": a Strata node with JVM options added (space-separated), for comparing a setting in alternating rounds.
        return StrataBroker.start(dir, broker.contains("@") ? HEAP + " " + broker.substring(broker.indexOf('@') + 1) : HEAP);
    }

    static String run(Path out) throws Exception {
        checkOptions();
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        for (String b : BROKERS) {
            Map<String, List<Double>> m = new LinkedHashMap<>();
            METRICS.forEach(k -> m.put(k, new ArrayList<>()));
            results.put(b, m);
        }
        List<String> log = new ArrayList<>();
        Path tmp = Files.createTempDirectory("strata-bench-kafka");
        // Phase 1: everything unthrottled, alternating the order of brokers from round to round.
        for (int round = 1; round <= (FIXED_RATE > 0 ? 0 : ROUNDS); round++) {
            for (String broker : order(round)) {
                Path dir = tmp.resolve(broker.replaceAll("[^A-Za-z0-9]", "-") + "-" + round);
                HostLoad load = new HostLoad();
                String produced;
                try (BrokerProcess b = start(broker, dir)) {
                    produced = measure(b, results.get(broker), round);
                    results.get(broker).get("peak RSS MiB").add(b.peakRssMb());
                }
                log.add("round " + round + " " + broker + ": " + produced + ", " + load.since());
                System.err.println(log.get(log.size() - 1));
                deleteTree(dir);
            }
        }
        // Phase 2: produce latency of a broker that keeps up: 80 % of the slower broker's maximum.
        if (E2E_ONLY || PRODUCE_ONLY || WIDE_ONLY) {
            return report(results, 0, log, out);
        }
        double slower = FIXED_RATE > 0 ? Double.NaN : results.entrySet().stream().filter(e -> !e.getKey().equals("Kafka fsync"))
                .mapToDouble(e -> median(e.getValue().get("produce MiB/s"))).min().orElseThrow();
        int rate = FIXED_RATE > 0 ? FIXED_RATE : (int) (0.8 * slower * 1024 * 1024 / Workloads.RECORD);
        for (int round = 1; round <= ROUNDS; round++) {
            for (String broker : order(round)) {
                Path dir = tmp.resolve(broker.replaceAll("[^A-Za-z0-9]", "-") + "-rate-" + round);
                HostLoad load = new HostLoad();
                double steady;
                List<Integer> windows;
                String dirty;
                try (BrokerProcess b = start(broker, dir); DirtyPages pages = new DirtyPages()) {
                    createTopic(b.bootstrap(), "warmup", 6);
                    ClientProcess.produce(b.bootstrap(), "warmup", RECORDS / 5, -1);
                    createTopic(b.bootstrap(), "steady", 6);
                    ClientProcess.Produced p = ClientProcess.produce(b.bootstrap(), "steady", rate * (RATE_WARMUP_SECONDS + RATE_STEADY_SECONDS),
                            rate, List.of(), List.of("--warmup-records", Integer.toString(rate * RATE_WARMUP_SECONDS)));
                    results.get(broker).get("produce p99 ms at a fixed rate, steady state").add(p.steadyState().p99Ms());
                    results.get(broker).get("produce p99 ms at a fixed rate, whole run").add(p.p99Ms());
                    steady = p.steadyState().recordsPerSec();
                    windows = p.windowMaxMs();
                    dirty = pages.summary();
                    String stages = b.produceStages();
                    if (!stages.isEmpty()) {
                        dirty += ", " + stages;
                    }
                }
                // A broker still catching up after the warm-up sends faster than the rate in its steady state, one that cannot keep up
                // slower: either is said here.
                log.add("round " + round + " " + broker + " at " + rate + " records/s: steady state at " + Math.round(steady) + " records/s"
                        + (steady > 1.03 * rate ? " (still catching up)" : steady < 0.97 * rate ? " (below the rate: it cannot keep up)" : "")
                        + "; max latency of each 5 s window, ms: " + windows + ", " + dirty + ", " + load.since());
                System.err.println(log.get(log.size() - 1));
                deleteTree(dir);
            }
        }
        return report(results, rate, log, out);
    }

    private static List<String> order(int round) {
        List<String> o = new ArrayList<>(BROKERS);
        if (round % 2 == 0) {
            java.util.Collections.reverse(o);
        }
        return o;
    }

    /** The timed end-to-end probe on a topic of one partition, after {@link #E2E_WARMUP_SECONDS} of the same, untimed. */
    private static ClientProcess.EndToEnd endToEnd(String bootstrap) throws Exception {
        createTopic(bootstrap, "latency", 1);
        if (E2E_WARMUP_SECONDS > 0) {
            ClientProcess.endToEnd(bootstrap, "latency", E2E_RATE, E2E_WARMUP_SECONDS);
        }
        return ClientProcess.endToEnd(bootstrap, "latency", E2E_RATE, E2E_SECONDS);
    }

    /** Runs phase 1's rows on {@code b}; returns what the page cache held during the timed produce, for the log. */
    private static String measure(BrokerProcess b, Map<String, List<Double>> r, int round) throws Exception {
        String bootstrap = b.bootstrap();
        // Warm-up (untimed): JIT on both sides and every partition's leader known before timing starts.
        createTopic(bootstrap, "warmup", 6);
        ClientProcess.produce(bootstrap, "warmup", WARMUP_RECORDS, -1);
        if (E2E_ONLY) {
            ClientProcess.EndToEnd e2e = endToEnd(bootstrap);
            addEndToEnd(r, e2e);
            return e2e.summary();
        }
        if (WIDE_ONLY) {
            Wide wide = measureWide(bootstrap, r);
            r.get("failed records").add((double) wide.failed());
            return wide.summary();
        }
        createTopic(bootstrap, "bench", 6);
        String writtenBack = DirtyPages.writeBack();
        double cpuBefore = HostLoad.cpuSeconds(b.pid());
        java.util.Map<String, Long> jitBefore = HostLoad.compilerTicks(b.pid());
        String metricsBefore = b.metrics();
        ClientProcess.Produced p;
        String dirty;
        try (DirtyPages pages = new DirtyPages()) {
            p = ClientProcess.produce(bootstrap, "bench", RECORDS, -1);
            dirty = "timed produce (before it, " + writtenBack + "): " + pages.summary() + fsyncs(metricsBefore, b.metrics(), p);
        }
        double cpu = HostLoad.cpuSeconds(b.pid()) - cpuBefore;
        double jit = HostLoad.compilerCpuSecondsSince(b.pid(), jitBefore);
        dirty += String.format(", broker CPU %.2f s of which JIT compiler threads %.2f s", cpu, jit);
        double gib = RECORDS * (double) Workloads.RECORD / (1 << 30);
        // The broker's share of the two cores it shares with the producer: what a GiB costs it, fsync or not.
        r.get("broker CPU s per GiB produced").add(cpu / gib);
        // Each broker's per-request code reaches the JIT's last tier only after thousands of requests (a request carries six
        // 128 KiB batches), so both still compile during the timed run, after the warm-up: how much of the CPU above that is.
        r.get("of which JIT compiler threads, CPU s per GiB").add(jit / gib);
        r.get("produce MiB/s").add(p.mibPerSec());
        r.get("produce p50 ms").add(p.p50Ms());
        r.get("produce p99 ms").add(p.p99Ms());
        r.get("produce p99.9 ms").add(p.p999Ms());
        if (PRODUCE_ONLY) {
            r.get("failed records").add((double) p.failed());
            return dirty;
        }
        r.get("new group: first record ms").add(ClientProcess.firstRecord(bootstrap, "bench", "first-" + round));
        ClientProcess.Consumed c = ClientProcess.consume(bootstrap, "bench", RECORDS, "perf-" + round);
        r.get("consume MiB/s from the first fetch").add(c.fetchMibPerSec());
        r.get("new group: join ms (ConsumerPerformance)").add(c.rebalanceMs());
        ClientProcess.EndToEnd e2e = endToEnd(bootstrap);
        addEndToEnd(r, e2e);
        Wide wide = measureWide(bootstrap, r);
        r.get("failed records").add((double) (p.failed() + wide.failed()));
        return dirty + "; " + e2e.summary() + "; " + wide.summary();
    }

    /**
     * The 1,000-partition rows: a produce to a topic that already took one and then settled ({@link #WIDE_SETTLE_SECONDS}),
     * as a long-lived topic of that many partitions runs, after a {@code sync} so that it pays for no earlier run's
     * deferred writes. Timing the first produce to a new topic measured Kafka's start of its partitions instead: in two of
     * three rounds 126 of its records failed with NOT_LEADER_OR_FOLLOWER on partitions its metadata already showed led,
     * after the producer's delivery timeout.
     *
     * <p>Within a minute of that first produce Kafka stays slow, and not for want of CPU (profiled 2026-12-06 with its
     * request log at DEBUG): a produce request of 8 partitions' 128 KiB batches took a median 55 ms of local time at 1,000
     * partitions (p90 155 ms) against 0.7 ms at 6; its request handlers were idle 98 % of the wall clock, the node used
     * 0.37 cores, and the time went blocked in the appends' writes to the log and to its memory-mapped index files. One
     * connection's requests are handled one at a time, so the producer waited for buffer memory. A {@code sync} before
     * the timed run did not change it; waiting did. Both runs' figures go to the log.
     */
    private static Wide measureWide(String bootstrap, Map<String, List<Double>> r) throws Exception {
        createTopic(bootstrap, "wide", 1000);
        ClientProcess.Produced first = ClientProcess.produce(bootstrap, "wide", WIDE_RECORDS, -1);
        Thread.sleep(WIDE_SETTLE_SECONDS * 1000L);
        ClientProcess.Produced wide;
        String pages;
        String writtenBack = DirtyPages.writeBack();
        try (DirtyPages dirty = new DirtyPages()) {
            wide = ClientProcess.produce(bootstrap, "wide", WIDE_RECORDS, -1);
            pages = dirty.summary();
        }
        r.get("1000 partitions MiB/s").add(wide.mibPerSec());
        r.get("1000 partitions p99 ms").add(wide.p99Ms());
        return new Wide(wide.failed(), String.format(
                "1000 partitions: untimed first produce %.1f MiB/s, p99 %.0f ms, %d failed; %s; timed %.1f MiB/s, p99 %.0f ms, %d failed, %s",
                first.mibPerSec(), first.p99Ms(), first.failed(), writtenBack, wide.mibPerSec(), wide.p99Ms(), wide.failed(), pages));
    }

    /** The timed 1,000-partition run's failed records, and both runs' figures for the log. */
    private record Wide(long failed, String summary) {
    }

    /**
     * How Strata's fsyncs went during a timed produce (its strata_log_fsync metrics): how many, and how many bytes each
     * covered, since an fsync's kernel cost is much the same whatever it carries. Empty for Kafka, which serves no such metric.
     */
    private static String fsyncs(String before, String after, ClientProcess.Produced p) {
        BrokerProcess.Fsyncs f = BrokerProcess.Fsyncs.between(before, after);
        double n = f.count();
        if (Double.isNaN(n) || n <= 0) {
            return "";
        }
        double seconds = RECORDS * (double) Workloads.RECORD / (1 << 20) / p.mibPerSec();
        return String.format(", fsyncs %.0f (%.0f/s), %.0f KiB each, %.2f ms each", n, n / seconds, f.bytes() / n / 1024, f.seconds() / n * 1000);
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        Workloads.createTopic(bootstrap, topic, partitions);
    }

    /** NaN for a broker this run left out ({@code strata.bench.brokers}). */
    private static double median(Map<String, Map<String, List<Double>>> results, String broker, String metric) {
        return median(results.getOrDefault(broker, Map.of()).getOrDefault(metric, List.of()));
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }

    private static boolean lowerIsBetter(String metric) {
        return metric.contains(" ms") || metric.contains("RSS") || metric.contains("CPU") || metric.contains("failed");
    }

    private static String report(Map<String, Map<String, List<Double>>> results, int rate, List<String> log, Path out) throws Exception {
        StringBuilder md = new StringBuilder("## Strata vs Apache Kafka 4.4, single node, as each is shipped ("
                + ROUNDS + " rounds, alternating order, medians)\n\n"
                + "Machine: " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + ", Java " + System.getProperty("java.version") + ". Run " + java.time.Instant.now() + ".\n\n"
                + "- **Kafka 4.4.0**: `kafka.Kafka` with `kafka-server-start.sh`'s JVM options (`" + String.join(" ", KafkaBroker.DISTRIBUTION_JVM_OPTIONS)
                + "`), the shipped `config/server.properties` (listeners, log.dirs and ids changed), its log4j2 layout, only Kafka's jars"
                + " (integration/kafka-dist). **Kafka fsync**: the same with `log.flush.interval.messages=1`.\n"
                + "- **Strata**: `STRATA_HEAP_OPTS='-Xms1G -Xmx1G' ./strata broker --config strata.yaml`: the launcher's JVM options"
                + " and the broker's defaults (ports and data dir set; no object store). Strata fsyncs before it acknowledges acks=all;"
                + " Kafka as shipped does not.\n"
                + "- **Clients**, each its own JVM from Kafka's class path: Kafka's `ProducerPerformance` (" + RECORDS
                + " records of 1 KiB on 6 partitions, `" + String.join(" ", ClientProcess.PRODUCER_PROPS) + "`, unthrottled, after a "
                + WARMUP_RECORDS + "-record warm-up); " + (rate <= 0 ? "no fixed-rate run in this partial run;" : "the same at a fixed "
                + rate + " records/s (" + (FIXED_RATE > 0 ? "set with -Dstrata.bench.rate; the other rows were not run"
                : "80 % of the slower broker's median maximum") + ")"
                + " for " + (RATE_WARMUP_SECONDS + RATE_STEADY_SECONDS) + " s, its steady state the last " + RATE_STEADY_SECONDS
                + " s (`--warmup-records " + rate * RATE_WARMUP_SECONDS + "`: the producer JVM's start and its throttler's catch-up left"
                + " out), the whole run reported too, and a Strata node's produce requests by stage in the log;")
                + " `ConsumerPerformance` with a new group (MiB/s from its first fetch: `fetch.MB.sec`); `ClientProbe` for a new group's"
                + " first record and end-to-end latency at " + E2E_RATE + " records/s for " + E2E_SECONDS + " s (after " + E2E_WARMUP_SECONDS
                + " s of the same, untimed, with clients of their own; send() to poll(); its first"
                + " record sent and received alone before the schedule starts, one sample, as Kafka's EndToEndLatency counts its first,"
                + " so the clients' metadata and producer id are asked for once, not while 1 % of the records queue behind them), also over"
                + " the records sent after the schedule's first " + ClientProbe.STEADY_AFTER_SECONDS + " s (its fresh clients' cold JIT left out);"
                + " " + WIDE_RECORDS + " records on 1,000 partitions, timed after the same untimed produce to that topic and "
                + WIDE_SETTLE_SECONDS + " s for it to settle (the log gives both runs). Each timed produce starts after a `sync`, so that"
                + " it pays for no earlier run's deferred writes. \"Of which JIT compiler threads\": the CPU the broker's C1 and C2"
                + " compiler threads (read from /proc) took during the timed produce, per GiB, part of the CPU row above it: after the"
                + " warm-up both brokers still compile their per-request code, which runs a few thousand times per million records."
                + " Failed records: those of the timed runs (the untimed runs' are in the"
                + " log). MiB = 2^20 bytes, as Kafka's tools print it.\n"
                + (E2E_ONLY ? "- **Partial run** (`-Dstrata.bench.e2eOnly`): only the end-to-end rows were measured.\n"
                : PRODUCE_ONLY ? "- **Partial run** (`-Dstrata.bench.produceOnly`): only the unthrottled produce rows were measured.\n"
                : WIDE_ONLY ? "- **Partial run** (`-Dstrata.bench.wideOnly`): only the 1,000-partition rows were measured.\n" : "")
                + "\n"
                + "| measure | Kafka | Kafka fsync | Strata | Strata / Kafka | Strata / Kafka fsync |\n|---|---|---|---|---|---|\n");
        List<String> labels = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (String metric : METRICS) {
            double k = median(results, "Kafka", metric);
            double kf = median(results, "Kafka fsync", metric);
            double s = median(results, "Strata", metric);
            md.append(String.format("| %s%s | %.1f | %.1f | %.1f | %.2f | %.2f |%n", metric, lowerIsBetter(metric) ? " (lower is better)" : "",
                    k, kf, s, s / k, s / kf));
            labels.add(metric);
            ratios.add(lowerIsBetter(metric) ? k / s : s / k);
        }
        chart(labels, ratios, out.resolve("kafka-comparison.png"));
        md.append("\nChart: `kafka-comparison.png` (Strata's advantage over Kafka as shipped per row, >1 means Strata is better).\n\nRaw runs:\n\n");
        for (var e : results.entrySet()) {
            md.append("- ").append(e.getKey()).append(": ");
            e.getValue().forEach((m, v) -> md.append(m).append(' ').append(Arrays.toString(v.stream().mapToDouble(x -> Math.round(x * 10) / 10.0).toArray())).append("; "));
            md.append('\n');
        }
        md.append("\nMachine load per run:\n\n");
        log.forEach(l -> md.append("- ").append(l).append('\n'));
        return md.toString();
    }

    private static void chart(List<String> labels, List<Double> values, Path file) throws Exception {
        int w = 980;
        int rowH = 34;
        int h = 60 + rowH * labels.size();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Strata vs Kafka (>1: Strata better; medians)", 20, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        double max = Math.max(2.0, values.stream().mapToDouble(v -> v.isNaN() ? 0 : v).max().orElse(1));
        int x0 = 340;
        int barMax = w - x0 - 80;
        int oneX = x0 + (int) (barMax / max);
        for (int i = 0; i < labels.size(); i++) {
            int y = 50 + i * rowH;
            double v = values.get(i).isNaN() ? 0 : values.get(i);
            g.setColor(Color.BLACK);
            g.drawString(labels.get(i), 20, y + 20);
            g.setColor(v >= 1 ? new Color(46, 139, 87) : new Color(205, 92, 92));
            g.fillRect(x0, y + 6, (int) (barMax * v / max), rowH - 12);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.2f", v), x0 + (int) (barMax * v / max) + 6, y + 20);
        }
        g.setColor(Color.GRAY);
        g.drawLine(oneX, 45, oneX, h - 5);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // Temp data; best effort.
        }
    }
}
