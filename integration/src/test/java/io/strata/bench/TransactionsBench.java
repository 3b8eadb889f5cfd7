package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What transactions cost a producer: one node, Kafka's ProducerPerformance in its own JVM,
 * idempotent against transactional (a transaction committed every 100 ms, as Kafka Streams
 * commits under exactly_once_v2) in alternating rounds, on the workload of the Kafka comparison
 * (1 KiB records, acks=all, linger 5 ms, 128 KiB batches, 6 partitions), and the ratio of the medians.
 */
final class TransactionsBench {
    private TransactionsBench() {
    }

    static String run(Path out) throws Exception {
        int rounds = Integer.getInteger("strata.bench.rounds", 3);
        int records = Integer.getInteger("strata.bench.records", 500_000);
        int durationMs = Integer.getInteger("strata.bench.transaction.ms", 100);
        Path dir = Files.createTempDirectory("strata-transactions-bench");
        double[] idempotent = new double[rounds];
        double[] transactional = new double[rounds];
        double[] idemP99 = new double[rounds];
        double[] txP99 = new double[rounds];
        StringBuilder log = new StringBuilder();
        try (BrokerProcess broker = StrataBroker.start(dir.resolve("strata"), "-Xms1G -Xmx1G", List.of())) {
            String bootstrap = broker.bootstrap();
            Workloads.createTopic(bootstrap, "warmup", 6);
            ClientProcess.produce(bootstrap, "warmup", records / 5, -1);
            ClientProcess.produce(bootstrap, "warmup", records / 5, -1, List.of(),
                    List.of("--transactional-id", "bench-warmup", "--transaction-duration-ms", Integer.toString(durationMs)));
            for (int r = 0; r < rounds; r++) {
                // Alternate which goes first, so neither always runs on a warmer or fuller disk.
                for (int k = 0; k < 2; k++) {
                    boolean txTurn = (r + k) % 2 == 1;
                    String topic = (txTurn ? "transactional-" : "idempotent-") + r;
                    Workloads.createTopic(bootstrap, topic, 6);
                    HostLoad load = new HostLoad();
                    ClientProcess.Produced p = txTurn
                            ? ClientProcess.produce(bootstrap, topic, records, -1, List.of(),
                            List.of("--transactional-id", "bench-" + r, "--transaction-duration-ms", Integer.toString(durationMs)))
                            : ClientProcess.produce(bootstrap, topic, records, -1);
                    (txTurn ? transactional : idempotent)[r] = p.mibPerSec();
                    (txTurn ? txP99 : idemP99)[r] = p.p99Ms();
                    log.append(String.format("| %d | %s | %.1f | %.0f | %.0f | %s |%n", r + 1,
                            txTurn ? "transactional (" + durationMs + " ms transactions)" : "idempotent", p.mibPerSec(), p.p50Ms(), p.p99Ms(),
                            load.since()));
                }
            }
        }
        double ratio = median(transactional) / median(idempotent);
        return "## Transactional produce against idempotent produce (one node)\n\n"
                + "Kafka's ProducerPerformance in its own JVM, " + records + " records of 1 KiB per run, acks=all, idempotent, linger 5 ms,"
                + " 128 KiB batches, 6 partitions, " + rounds + " alternating rounds; the transactional runs commit every " + durationMs
                + " ms (`--transaction-duration-ms`); node started with `./strata broker` and a 1 GiB heap, on "
                + Runtime.getRuntime().availableProcessors() + " cores.\n\n"
                + "| round | producer | MB/s | p50 ms | p99 ms | host |\n|---|---|---|---|---|---|\n" + log
                + String.format("%nMedian MB/s: idempotent %.1f, transactional %.1f: **transactional / idempotent = %.2f**; "
                        + "median p99: %.0f ms and %.0f ms.%n", median(idempotent), median(transactional), ratio, median(idemP99), median(txP99));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
