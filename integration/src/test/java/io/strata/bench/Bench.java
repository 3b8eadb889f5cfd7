package io.strata.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./strata bench [tiering] [metastore] [kafka] [replication] [security] [transactions] [profile] [alloc] [fetch-sessions] [fsync] [flush]}: runs the named benchmarks (all when none
 * is named), prints each result table and writes it to {@code bench-results/<name>.md}; a full
 * run also writes the combined {@code bench-results/latest.md}.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> names = args.length == 0 ? List.of("kafka", "tiering", "metastore") : List.of(args);
        Path out = Path.of(System.getProperty("strata.bench.out", "bench-results"));
        Files.createDirectories(out);
        List<String> sections = new ArrayList<>();
        for (String name : names) {
            String md = switch (name) {
                case "tiering" -> TieringBench.run();
                case "metastore" -> MetaStoreBench.run();
                case "kafka" -> KafkaComparisonBench.run(out);
                case "replication" -> ReplicationBench.run();
                case "security" -> SecurityOverheadBench.run(out);
                case "transactions" -> TransactionsBench.run(out);
                case "profile" -> ProfileBench.run(out);
                case "alloc" -> ProfileBench.runAlloc(out);
                case "fetch-sessions" -> FetchSessionsBench.run();
                case "fsync" -> FsyncCostBench.run();
                case "flush" -> FlushMsBench.run();
                default -> throw new IllegalArgumentException("unknown benchmark '" + name
                        + "': expected tiering, metastore, kafka, replication, security, transactions, profile, alloc, fetch-sessions, fsync or flush");
            };
            System.out.println(md);
            Files.writeString(out.resolve(name + ".md"), md, StandardCharsets.UTF_8);
            sections.add(md);
        }
        if (names.containsAll(List.of("kafka", "tiering", "metastore"))) {
            // Only a full run replaces the combined table; a partial run updates its own file.
            Files.writeString(out.resolve("latest.md"), "# Strata benchmark results\n\nRun " + Instant.now() + " on "
                    + Runtime.getRuntime().availableProcessors() + " cores.\n\n" + String.join("\n", sections), StandardCharsets.UTF_8);
        }
        System.exit(0);
    }

    static String mbps(double bytes, double seconds) {
        return String.format("%.1f MB/s", bytes / seconds / 1e6);
    }
}
