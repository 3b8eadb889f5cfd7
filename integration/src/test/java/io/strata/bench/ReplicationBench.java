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
 * replica on one node, and against Apache Kafka 4.4 with three brokers as its distribution runs
 * them ({@link KafkaBroker#startCluster}: the shipped server.properties, a static quorum of the
 * three). Same topic settings (6 partitions, RF=3 with min.insync.replicas=2), same client
 * (idempotent, acks=all, 1 KiB records) in its own JVM; a warm-up each, then alternating rounds;
 * medians and ratios.
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
        List<BrokerProcess> kafka = new ArrayList<>();
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
            kafka.addAll(KafkaBroker.startCluster(dir.resolve("kafka"), 3));
            String kafkaCluster = String.join(",", kafka.stream().map(BrokerProcess::bootstrap).toList());
            try (Admin a = Admin.create(Map.of("bootstrap.servers", kafkaCluster))) {
                long deadline = System.currentTimeMillis() + 60_000;
                while (a.describeCluster().nodes().get().size() < 3 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                a.createTopics(List.of(new NewTopic("bench", 6, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
            }
            produce(single.bootstrap(), 50_000);
            produce(cluster, 50_000);
            produce(kafkaCluster, 50_000);
            List<double[]> rf1 = new ArrayList<>();
            List<double[]> rf3 = new ArrayList<>();
            List<double[]> kafka3 = new ArrayList<>();
            for (int r = 0; r < ROUNDS; r++) {
                if (r % 2 == 0) {
                    rf1.add(produce(single.bootstrap(), RECORDS));
                    rf3.add(produce(cluster, RECORDS));
                    kafka3.add(produce(kafkaCluster, RECORDS));
                } else {
                    kafka3.add(produce(kafkaCluster, RECORDS));
                    rf3.add(produce(cluster, RECORDS));
                    rf1.add(produce(single.bootstrap(), RECORDS));
                }
            }
            double[] m1 = median(rf1);
            double[] m3 = median(rf3);
            double[] k3 = median(kafka3);
            return "## Replication: RF=3 on three local nodes, against RF=1 on one node and against Kafka with three brokers\n\n"
                    + "Producer in its own JVM: " + RECORDS + " records of " + SIZE + " B per round, 6 partitions, idempotent, acks=all, "
                    + "linger 5 ms, 128 KiB batches; RF=3 with min.insync.replicas=2; one warm-up each, then " + ROUNDS
                    + " alternating rounds (medians). All seven node processes (four Strata, three Kafka) run at once on this machine's " + Runtime.getRuntime().availableProcessors()
                    + " cores.\n\n| setup | produce MB/s | p50 ms | p99 ms |\n|---|---|---|---|\n"
                    + String.format("| RF=1, one node | %.1f | %.1f | %.1f |%n", m1[0], m1[1], m1[2])
                    + String.format("| RF=3, three nodes | %.1f | %.1f | %.1f |%n", m3[0], m3[1], m3[2])
                    + String.format("| Kafka 4.4, RF=3, three brokers as shipped (1 GiB heap each) | %.1f | %.1f | %.1f |%n", k3[0], k3[1], k3[2])
                    + String.format("%nRF=3 / RF=1 throughput: %.2f. Strata RF=3 / Kafka RF=3: throughput %.2f, p99 %.2f (lower is better).%n",
                    m3[0] / m1[0], m3[0] / k3[0], m3[2] / k3[2])
                    + "\nRaw rounds (MB/s): Strata RF=1 " + rf1.stream().map(x -> String.format("%.1f", x[0])).toList()
                    + "; Strata RF=3 " + rf3.stream().map(x -> String.format("%.1f", x[0])).toList()
                    + "; Kafka RF=3 " + kafka3.stream().map(x -> String.format("%.1f", x[0])).toList() + ".\n";
        } finally {
            for (StrataNode n : nodes) {
                n.close();
            }
            for (BrokerProcess k : kafka) {
                k.close();
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
