package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./strata bench flush}: an acks=1 producer's latency across segment rolls, on a Strata
 * node with its default flush.ms (1 s), one with Kafka's default (never), and Kafka 4.4 as
 * shipped with the same segment size. A roll seals the segment on the appending thread and
 * leaves its fsync to the {@code log-roller} thread, as Kafka's roll leaves its flush to its
 * scheduler; with flush.ms never that fsync carries whatever the kernel has not written back yet,
 * up to the whole segment, and competes with the appends for the disk. The warm-up's records are
 * written back ({@code sync}) before the timed run in every variant, so that only the timed run's
 * own records are left to the rolls or the kernel. Each round starts a fresh broker with 64 MiB
 * segments, warms it up, then times ProducerPerformance (acks=1, its own JVM) at a fixed rate the
 * broker keeps up with, so the latencies are those of the broker, not of a full client queue.
 */
final class FlushMsBench {
    static final int ROUNDS = Integer.getInteger("strata.bench.rounds", 3);
    static final int RATE = Integer.getInteger("strata.bench.rate", 60_000);
    static final int RECORDS = Integer.getInteger("strata.bench.records", 1_500_000);
    static final int SEGMENT_BYTES = 64 << 20;
    /** The timed run's first seconds (the producer JVM's start, its throttler's catch-up) are reported apart. */
    static final int WARMUP_SECONDS = 5;
    static final List<String> PRODUCER_PROPS = List.of("acks=1", "enable.idempotence=false", "linger.ms=5", "batch.size=131072");
    static final String KAFKA = "Kafka 4.4 as shipped (flush.ms never)";
    /** Label, log.flush.interval.ms (Kafka: its shipped configuration, only the segment size set). */
    static final Map<String, Long> VARIANTS = new LinkedHashMap<>();

    static {
        VARIANTS.put("Strata, flush.ms 1000 (its default)", 1000L);
        VARIANTS.put("Strata, flush.ms never", Long.MAX_VALUE);
        VARIANTS.put(KAFKA, Long.MAX_VALUE);
    }

    private FlushMsBench() {
    }

    static String run() throws Exception {
        Map<String, List<ClientProcess.Produced>> results = new LinkedHashMap<>();
        VARIANTS.keySet().forEach(v -> results.put(v, new ArrayList<>()));
        List<String> log = new ArrayList<>();
        Path tmp = Files.createTempDirectory("strata-bench-flush");
        for (int round = 1; round <= ROUNDS; round++) {
            List<String> order = new ArrayList<>(VARIANTS.keySet());
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (String variant : order) {
                HostLoad load = new HostLoad();
                Path dir = tmp.resolve("round-" + round + "-" + order.indexOf(variant));
                try (BrokerProcess b = variant.equals(KAFKA)
                        ? KafkaBroker.start(dir, Map.of("log.segment.bytes", Integer.toString(SEGMENT_BYTES)))
                        : StrataBroker.start(dir, KafkaComparisonBench.HEAP, List.of("log.segment.bytes: " + SEGMENT_BYTES,
                        "log.flush.interval.ms: " + VARIANTS.get(variant)))) {
                    Workloads.createTopic(b.bootstrap(), "warmup", 6);
                    ClientProcess.produce(b.bootstrap(), "warmup", RECORDS / 3, -1, PRODUCER_PROPS, List.of(), List.of());
                    new ProcessBuilder("sync").inheritIO().start().waitFor();
                    Workloads.createTopic(b.bootstrap(), "timed", 6);
                    String before = b.metrics();
                    ClientProcess.Produced p = ClientProcess.produce(b.bootstrap(), "timed", RECORDS, RATE, PRODUCER_PROPS, List.of(),
                            List.of("--warmup-records", Integer.toString(RATE * WARMUP_SECONDS)));
                    String after = b.metrics();
                    results.get(variant).add(p);
                    String fsyncText = "";
                    if (before != null && after != null) {
                        BrokerProcess.Fsyncs f = BrokerProcess.Fsyncs.between(before, after);
                        double fsyncs = f.count();
                        fsyncText = String.format("fsyncs (flusher, flush.messages and rolls) %.0f, %.1f MiB each; ", fsyncs,
                                fsyncs > 0 ? f.bytes() / fsyncs / (1 << 20) : 0);
                    }
                    log.add(String.format("round %d %s: %.0f records/s, p50 %.0f, p99 %.0f, p99.9 %.0f ms; after the first %d s p99 %.0f, "
                                    + "p99.9 %.0f ms; max of each 5 s window %s ms; %s%s", round, variant, p.recordsPerSec(), p.p50Ms(), p.p99Ms(),
                            p.p999Ms(), WARMUP_SECONDS, p.steadyState().p99Ms(), p.steadyState().p999Ms(), p.windowMaxMs(), fsyncText,
                            load.since()));
                    System.err.println(log.get(log.size() - 1));
                }
                KafkaComparisonBench.deleteTree(dir);
            }
        }
        StringBuilder md = new StringBuilder("## acks=1 produce latency across segment rolls: flush.ms (" + ROUNDS
                + " alternating rounds, medians)\n\nMachine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + ". Run " + java.time.Instant.now() + ". `./strata broker`"
                + " with `-Xms1G -Xmx1G`, `log.segment.bytes: " + SEGMENT_BYTES + "` and the `log.flush.interval.ms` named; Kafka 4.4"
                + " started as its distribution starts it, its shipped server.properties with `log.segment.bytes=" + SEGMENT_BYTES + "`; Kafka's"
                + " ProducerPerformance in its own JVM, `" + String.join(" ", PRODUCER_PROPS) + "`, " + RECORDS + " records of 1 KiB on 6"
                + " partitions at " + RATE + " records/s (about " + Math.round(RATE * (double) Workloads.RECORD / (1 << 20)) + " MiB/s: every"
                + " partition rolls several times), after an unthrottled warm-up of " + RECORDS / 3 + " records on another topic. The"
                + " last two columns leave out the timed run's first " + WARMUP_SECONDS + " s (`--warmup-records " + RATE * WARMUP_SECONDS
                + "`: the producer JVM's start and its throttler's catch-up, the same for every broker).\n\n"
                + "| broker, flush policy | records/s | p50 ms | p99 ms | p99.9 ms | p99 ms after " + WARMUP_SECONDS + " s | p99.9 ms after "
                + WARMUP_SECONDS + " s |\n|---|---|---|---|---|---|---|\n");
        for (var e : results.entrySet()) {
            md.append(String.format("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n", e.getKey(),
                    median(e.getValue(), ClientProcess.Produced::recordsPerSec), median(e.getValue(), ClientProcess.Produced::p50Ms),
                    median(e.getValue(), ClientProcess.Produced::p99Ms), median(e.getValue(), ClientProcess.Produced::p999Ms),
                    median(e.getValue(), r -> r.steadyState().p99Ms()), median(e.getValue(), r -> r.steadyState().p999Ms())));
        }
        md.append("\nRuns:\n\n");
        log.forEach(l -> md.append("- ").append(l).append('\n'));
        return md.toString();
    }

    private static double median(List<ClientProcess.Produced> runs, java.util.function.ToDoubleFunction<ClientProcess.Produced> f) {
        return KafkaComparisonBench.median(runs.stream().map(r -> f.applyAsDouble(r)).toList());
    }
}
