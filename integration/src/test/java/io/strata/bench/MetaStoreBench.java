package io.strata.bench;

import com.apple.foundationdb.tuple.Tuple;
import io.strata.it.Clients;
import io.strata.it.StrataNode;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStores;
import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * MetaStore transaction latency (a read-modify-write of one key) and committed-offset throughput
 * (OffsetCommit/s from kafka-clients' commitSync, 4 consumers in parallel) on SQLite and PostgreSQL.
 */
final class MetaStoreBench {
    private MetaStoreBench() {
    }

    static String run() throws Exception {
        Path tmp = Files.createTempDirectory("strata-bench-metastore");
        try (PostgresServer pg = PostgresServer.start()) {
            Map<String, String> urls = new java.util.LinkedHashMap<>();
            urls.put("SQLite", "sqlite:" + tmp.resolve("bench.db"));
            urls.put("PostgreSQL", pg.newDatabase("bench"));
            StringBuilder md = new StringBuilder("## MetaStore\n\n| backend | txn p50 | txn p99 | OffsetCommit/s (4 consumers, commitSync) |\n|---|---|---|---|\n");
            for (Map.Entry<String, String> e : urls.entrySet()) {
                long[] lat = transactions(e.getValue(), 2000);
                double commits = offsetCommits(tmp.resolve(e.getKey()), e.getKey().equals("SQLite") ? null : pg.newDatabase("node"));
                md.append(String.format("| %s | %.2f ms | %.2f ms | %.0f |%n", e.getKey(), lat[lat.length / 2] / 1e6,
                        lat[(int) (lat.length * 0.99)] / 1e6, commits));
            }
            return md.toString();
        }
    }

    private static long[] transactions(String url, int n) {
        byte[] key = Tuple.from("bench", "counter").pack();
        try (MetaStore store = MetaStores.open(url)) {
            long[] lat = new long[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                store.run(tx -> {
                    byte[] cur = tx.get(key);
                    long v = cur == null ? 0 : Tuple.fromBytes(cur).getLong(0);
                    tx.set(key, Tuple.from(v + 1).pack());
                    return null;
                });
                lat[i] = System.nanoTime() - t0;
            }
            Arrays.sort(lat);
            return lat;
        }
    }

    private static double offsetCommits(Path dataDir, String metastore) throws Exception {
        List<String> settings = new ArrayList<>();
        if (metastore != null) {
            settings.add("metastore=" + metastore);
        }
        try (StrataNode node = StrataNode.start(dataDir, settings.toArray(String[]::new))) {
            try (var admin = Clients.admin(node)) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("offsets", 6, (short) 1))).all().get();
            }
            AtomicLong commits = new AtomicLong();
            long end = System.currentTimeMillis() + 10_000;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + id))) {
                        List<TopicPartition> tps = new ArrayList<>();
                        for (int p = 0; p < 6; p++) {
                            tps.add(new TopicPartition("offsets", p));
                        }
                        c.assign(tps);
                        long o = 0;
                        while (System.currentTimeMillis() < end) {
                            Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
                            for (TopicPartition tp : tps) {
                                m.put(tp, new OffsetAndMetadata(o));
                            }
                            c.commitSync(m);
                            commits.incrementAndGet();
                            o++;
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            return commits.get() / 10.0;
        }
    }
}
