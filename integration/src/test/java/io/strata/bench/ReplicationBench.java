package io.strata.bench;

import io.strata.it.StrataNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ./strata bench replication}: produce throughput with three replicas on three local nodes
 * (the cluster {@code ./strata cluster up} starts: one shared embedded MetaStore) against one
 * replica on one node. Same topic settings (6 partitions), same client (idempotent, acks=all,
 * 1 KiB records) in its own JVM; a warm-up each, then alternating rounds; medians and ratio.
 */
final class ReplicationBench {
    static final int RECORDS = 300_000;
    static final int SIZE = 1024;
    static final int ROUNDS = 3;

    private ReplicationBench() {
    }

    static String run() throws Exception {
        Path dir = Files.createTempDirectory("strata-bench-replication-");
        List<StrataNode> nodes = new ArrayList<>();
        try {
            StrataNode single = StrataNode.start(dir.resolve("single"), "node.id=1");
            nodes.add(single);
            String store = "metastore=sqlite:" + dir.resolve("cluster-metastore.db");
            String objects = "object.store=file:" + dir.resolve("cluster-objects");
            List<String> clusterBootstrap = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                StrataNode n = StrataNode.start(dir.resolve("node" + i), store, objects, "node.id=" + i);
                nodes.add(n);
                clusterBootstrap.add(n.bootstrap());
            }
            String cluster = String.join(",", clusterBootstrap);
            try (Admin a = Admin.create(Map.of("bootstrap.servers", single.bootstrap()))) {
                a.createTopics(List.of(new NewTopic("bench", 6, (short) 1))).all().get();
            }
            try (Admin a = Admin.create(Map.of("bootstrap.servers", cluster))) {
                long deadline = System.currentTimeMillis() + 30_000;
                while (a.describeCluster().nodes().get().size() < 3 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                a.createTopics(List.of(new NewTopic("bench", 6, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
            }
            produce(single.bootstrap(), 50_000);
            produce(cluster, 50_000);
            List<double[]> rf1 = new ArrayList<>();
            List<double[]> rf3 = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) {
                rf1.add(produce(single.bootstrap(), RECORDS));
                rf3.add(produce(cluster, RECORDS));
            }
            double[] m1 = median(rf1);
            double[] m3 = median(rf3);
            return "## Replication: RF=3 on three local nodes against RF=1 on one node\n\n"
                    + "Producer in its own JVM: " + RECORDS + " records of " + SIZE + " B per round, 6 partitions, idempotent, acks=all, "
                    + "linger 5 ms, 128 KiB batches; RF=3 with min.insync.replicas=2; one warm-up each, then " + ROUNDS
                    + " alternating rounds (medians). All four node processes share this machine's " + Runtime.getRuntime().availableProcessors()
                    + " cores.\n\n| setup | produce MB/s | p50 ms | p99 ms |\n|---|---|---|---|\n"
                    + String.format("| RF=1, one node | %.1f | %.1f | %.1f |%n", m1[0], m1[1], m1[2])
                    + String.format("| RF=3, three nodes | %.1f | %.1f | %.1f |%n", m3[0], m3[1], m3[2])
                    + String.format("%nRF=3 / RF=1 throughput: %.2f%n", m3[0] / m1[0]);
        } finally {
            for (StrataNode n : nodes) {
                n.close();
            }
        }
    }

    /** Runs one producer process; returns {MB/s, p50 ms, p99 ms}. */
    private static double[] produce(String bootstrap, int records) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), ProducePerf.class.getName(), bootstrap, "bench",
                Integer.toString(records), Integer.toString(SIZE)).redirectErrorStream(true).start();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                }
            }
        }
        if (p.waitFor() != 0 || result == null) {
            throw new IllegalStateException("the producer process failed (exit " + p.exitValue() + ")");
        }
        String[] f = result.split(" ");
        double mbps = Long.parseLong(f[2]) / Double.parseDouble(f[3]) / 1e6;
        System.err.printf("%s: %.1f MB/s, p50 %s ms, p99 %s ms%n", bootstrap, mbps, f[4], f[5]);
        return new double[]{mbps, Double.parseDouble(f[4]), Double.parseDouble(f[5])};
    }

    private static double[] median(List<double[]> rounds) {
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            int k = i;
            out[i] = rounds.stream().mapToDouble(x -> x[k]).sorted().toArray()[rounds.size() / 2];
        }
        return out;
    }
}
