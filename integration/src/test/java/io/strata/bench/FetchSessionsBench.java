package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./strata bench fetch-sessions}: what incremental fetch sessions (KIP-227) save a consumer of
 * a 1,000-partition topic and its broker: Kafka 4.4 as shipped, Strata, and Strata with
 * {@code max.incremental.fetch.session.cache.slots=0} (every fetch a full one). The consumer is
 * {@link WideConsumerProbe} in its own JVM; alternating rounds, medians.
 */
final class FetchSessionsBench {
    static final List<String> BROKERS = List.of("Kafka", "Strata", "Strata, no sessions");
    static final int PARTITIONS = 1000;
    static final int SECONDS = Integer.getInteger("strata.bench.seconds", 20);
    static final int RATE = 1000;
    static final int ROUNDS = Integer.getInteger("strata.bench.rounds", 3);
    private static final Pattern LINE = Pattern.compile(
            "wide phase=(\\w+) brokerCpu=([\\d.]+) fetches=(\\d+) requestBytes=(\\d+) responseBytes=(\\d+) records=(\\d+) seconds=([\\d.]+)");
    static final List<String> ROWS = List.of("idle: broker CPU %", "idle: fetches/s", "idle: bytes per fetch request", "idle: bytes per fetch response",
            "idle: consumer traffic KiB/s (both ways)", "1000 rec/s: broker CPU %", "1000 rec/s: fetches/s", "1000 rec/s: broker CPU ms per fetch",
            "1000 rec/s: bytes per fetch request", "1000 rec/s: bytes per fetch response", "1000 rec/s: consumer traffic KiB/s (both ways)",
            "1000 rec/s: records received");

    private FetchSessionsBench() {
    }

    static String run() throws Exception {
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        for (String b : BROKERS) {
            Map<String, List<Double>> m = new LinkedHashMap<>();
            ROWS.forEach(r -> m.put(r, new ArrayList<>()));
            results.put(b, m);
        }
        List<String> log = new ArrayList<>();
        Path tmp = Files.createTempDirectory("strata-bench-sessions");
        for (int round = 1; round <= ROUNDS; round++) {
            List<String> order = new ArrayList<>(BROKERS);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (String broker : order) {
                Path dir = tmp.resolve(broker.replaceAll("[^A-Za-z]", "") + "-" + round);
                HostLoad load = new HostLoad();
                try (BrokerProcess b = switch (broker) {
                    case "Kafka" -> KafkaBroker.start(dir, Map.of());
                    case "Strata" -> StrataBroker.start(dir, KafkaComparisonBench.HEAP);
                    default -> StrataBroker.start(dir, KafkaComparisonBench.HEAP, List.of("max.incremental.fetch.session.cache.slots: 0"));
                }) {
                    Workloads.createTopic(b.bootstrap(), "wide", PARTITIONS);
                    String out = ClientProcess.run(List.of(WideConsumerProbe.class.getName(), b.bootstrap(), "wide", Integer.toString(PARTITIONS),
                            Long.toString(b.pid()), Integer.toString(SECONDS), Integer.toString(RATE)), 2 * SECONDS + 120);
                    Matcher m = LINE.matcher(out);
                    int phases = 0;
                    while (m.find()) {
                        phases++;
                        String p = m.group(1).equals("idle") ? "idle: " : "1000 rec/s: ";
                        double cpu = Double.parseDouble(m.group(2));
                        double fetches = Double.parseDouble(m.group(3));
                        double req = Double.parseDouble(m.group(4));
                        double resp = Double.parseDouble(m.group(5));
                        double s = Double.parseDouble(m.group(7));
                        Map<String, List<Double>> r = results.get(broker);
                        r.get(p + "broker CPU %").add(100 * cpu / s);
                        r.get(p + "fetches/s").add(fetches / s);
                        r.get(p + "bytes per fetch request").add(req / fetches);
                        r.get(p + "bytes per fetch response").add(resp / fetches);
                        r.get(p + "consumer traffic KiB/s (both ways)").add((req + resp) / s / 1024);
                        if (p.startsWith("1000")) {
                            r.get(p + "broker CPU ms per fetch").add(1000 * cpu / fetches);
                            r.get(p + "records received").add(Double.parseDouble(m.group(6)));
                        }
                    }
                    if (phases != 2) {
                        throw new IllegalStateException("WideConsumerProbe printed no result:\n" + out);
                    }
                }
                log.add("round " + round + " " + broker + ": " + load.since());
                System.err.println(log.get(log.size() - 1));
                KafkaComparisonBench.deleteTree(dir);
            }
        }
        StringBuilder md = new StringBuilder("## Fetch sessions (KIP-227): a consumer of 1,000 partitions\n\n");
        md.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ").append(System.getProperty("java.version"))
                .append(". Run ").append(java.time.Instant.now()).append(". ").append(ROUNDS).append(" rounds, alternating order, medians.\n\n")
                .append("One kafka-clients consumer (its own JVM, default settings: fetch.max.wait.ms 500, fetch.min.bytes 1) assigned all ")
                .append(PARTITIONS).append(" partitions, at their end after a 15 s warm-up: ").append(SECONDS).append(" s with nothing produced, then ").append(SECONDS)
                .append(" s while a producer in the same process writes ").append(RATE)
                .append(" records/s of 100 bytes round the partitions (acks=1, linger.ms=0). Kafka 4.4 as shipped (`kafka-server-start.sh`'s JVM options, ")
                .append("the shipped `server.properties`); Strata as `./strata broker` with the same heap, with sessions (the default) and with ")
                .append("`max.incremental.fetch.session.cache.slots: 0`. Bytes are the consumer's own network metrics on its connection to the broker; ")
                .append("broker CPU is the broker process's, from /proc.\n\n| measure | ").append(String.join(" | ", BROKERS))
                .append(" | Strata / Kafka | Strata / no sessions |\n|---|---|---|---|---|---|\n");
        for (String row : ROWS) {
            double k = KafkaComparisonBench.median(results.get("Kafka").get(row));
            double s = KafkaComparisonBench.median(results.get("Strata").get(row));
            double n = KafkaComparisonBench.median(results.get("Strata, no sessions").get(row));
            md.append(String.format("| %s | %.1f | %.1f | %.1f | %.2f | %.2f |%n", row, k, s, n, s / k, s / n));
        }
        md.append("\nRaw rounds:\n\n");
        for (String b : BROKERS) {
            md.append("- ").append(b).append(": ");
            results.get(b).forEach((row, v) -> md.append(row).append(' ').append(v.stream().map(x -> String.format("%.1f", x)).toList()).append("; "));
            md.append('\n');
        }
        md.append("\nMachine load per run:\n\n");
        log.forEach(l -> md.append("- ").append(l).append('\n'));
        return md.toString();
    }
}
