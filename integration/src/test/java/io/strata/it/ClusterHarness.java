package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.NotEnoughReplicasException;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Three (or more) real Strata processes on one MetaStore — a PostgreSQL database, or with
 * {@code -Dstrata.it.cluster.metastore=embedded} the shared SQLite file {@code ./strata cluster up}
 * uses — plus what the fault scenarios share: a producer load that remembers every
 * acknowledgement, a consumer group member that checks its polls never go backwards, and the
 * checks afterwards (every acknowledged record once, at its offset, in send order; replicas
 * identical byte for byte).
 */
final class ClusterHarness implements AutoCloseable {
    static final String TOPIC = "orders";
    static final int PARTITIONS = 3;

    final Path dir;
    final List<StrataNode> nodes = new ArrayList<>();

    ClusterHarness(Path dir) {
        this.dir = dir;
    }

    @Override
    public void close() throws Exception {
        for (StrataNode n : nodes) {
            n.close();
        }
    }

    String metastore() throws Exception {
        if ("fdb".equals(System.getProperty("strata.it.cluster.metastore"))) {
            return "fdb:" + System.getenv("FDB_CLUSTER_FILE");
        }
        if ("embedded".equals(System.getProperty("strata.it.cluster.metastore"))) {
            return "sqlite:" + dir.resolve("metastore.db");
        }
        return PostgresServer.shared().newDatabase("failover");
    }

    void startCluster(int n) throws Exception {
        startCluster(n, metastore());
    }

    void startCluster(int n, String metastoreUrl) throws Exception {
        store = metastoreUrl;
        for (int i = 1; i <= n; i++) {
            addNode();
        }
    }

    private String store;
    /** Environment and settings every node gets (object store credentials and URL, for instance). */
    final Map<String, String> env = new HashMap<>();
    final List<String> common = new ArrayList<>();
    /** Node N runs in network namespace N of {@link NetworkNamespaces}. */
    boolean inNamespaces;

    /** Starts one more node (the next node id) on the cluster's MetaStore. */
    StrataNode addNode(String... extra) throws Exception {
        int id = nodes.size() + 1;
        List<String> settings = new ArrayList<>(List.of("metastore=" + store, "node.id=" + id,
                "broker.session.timeout.ms=4000", "broker.heartbeat.interval.ms=500", "replica.lag.time.max.ms=5000"));
        settings.addAll(common);
        settings.addAll(List.of(extra));
        StrataNode node = inNamespaces
                ? StrataNode.startIn(NetworkNamespaces.exec(id), NetworkNamespaces.address(id), dir.resolve("node" + id), env,
                        settings.toArray(String[]::new))
                : StrataNode.startWithEnv(dir.resolve("node" + id), env, settings.toArray(String[]::new));
        nodes.add(node);
        return node;
    }

    String bootstrap() {
        return nodes.stream().map(StrataNode::bootstrap).collect(Collectors.joining(","));
    }

    Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        // A paused node must not hold a call for the default 30 s: ask another one soon.
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        return Admin.create(p);
    }

    StrataNode node(int id) {
        return nodes.get(id - 1);
    }

    static TopicPartitionInfo partition(Admin admin, int p) throws Exception {
        return describe(admin).partitions().get(p);
    }

    /** The topic as the cluster describes it, retried while a node does not answer (paused or restarting). */
    static TopicDescription describe(Admin admin) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            try {
                return admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC);
            } catch (ExecutionException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /** Waits until partition {@code p} has a live leader other than {@code notThis} and returns it. */
    static int awaitLeader(Admin admin, int p, int notThis, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            TopicPartitionInfo info = partition(admin, p);
            if (info.leader() != null && info.leader().id() != notThis) {
                return info.leader().id();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no new leader for " + TOPIC + "-" + p + " within " + timeoutMs + " ms");
    }

    static void awaitIsr(Admin admin, int size, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            TopicDescription d = describe(admin);
            if (d.partitions().stream().allMatch(p -> p.isr().size() == size && p.leader() != null)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("ISRs did not reach " + size + " within " + timeoutMs + " ms: "
                + describe(admin));
    }

    void createTopic(Admin admin) throws Exception {
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
        awaitIsr(admin, 3, 20_000);
    }

    /** A producer thread sending numbered records as fast as acks=all allows, remembering each acknowledgement. */
    final class Load implements AutoCloseable {
        final Map<String, long[]> acked = new ConcurrentHashMap<>();
        /** Acknowledgement times by partition, in order. */
        final Map<Integer, List<Long>> ackMs = new ConcurrentHashMap<>();
        /** (send time, acknowledgement time) of partition 0's records. */
        final List<long[]> ackTimes = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong sent = new AtomicLong();
        /** Sends that failed for good, by exception (not acknowledged, so not checked). */
        final Map<String, Long> failed = new ConcurrentHashMap<>();
        final Thread thread;

        Load() {
            thread = new Thread(this::run, "load");
            thread.start();
        }

        private void run() {
            Map<String, Object> cfg = new HashMap<>(Map.of("bootstrap.servers", bootstrap(), "acks", "all", "enable.idempotence", true,
                    "linger.ms", 2, "delivery.timeout.ms", 120_000, "request.timeout.ms", 10_000, "retry.backoff.ms", 50,
                    "metadata.max.age.ms", 2_000));
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(withSerializers(cfg))) {
                long i = 0;
                while (!stop.get()) {
                    String value = "r-" + i;
                    int part = (int) (i % PARTITIONS);
                    long sentAt = System.currentTimeMillis();
                    p.send(new ProducerRecord<>(TOPIC, part, null, value.getBytes()), (md, e) -> {
                        if (e != null) {
                            failed.merge(e.getClass().getSimpleName(), 1L, Long::sum);
                        }
                        if (e == null) {
                            acked.put(value, new long[]{md.partition(), md.offset()});
                            ackMs.computeIfAbsent(md.partition(), k -> Collections.synchronizedList(new ArrayList<>()))
                                    .add(System.currentTimeMillis());
                            if (md.partition() == 0) {
                                ackTimes.add(new long[]{sentAt, System.currentTimeMillis()});
                            }
                        }
                    });
                    sent.incrementAndGet();
                    i++;
                    if (i % 100 == 0) {
                        Thread.sleep(5);
                    }
                }
                p.flush();
            } catch (Throwable t) {
                failure.set(t);
            }
        }

        /** When the first record sent to partition 0 after {@code sinceMs} was acknowledged. */
        long firstAckAfter(long sinceMs, long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (System.currentTimeMillis() < deadline) {
                long first = Long.MAX_VALUE;
                synchronized (ackTimes) {
                    for (long[] t : ackTimes) {
                        if (t[0] > sinceMs) {
                            first = Math.min(first, t[1]);
                        }
                    }
                }
                if (first != Long.MAX_VALUE) {
                    return first;
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no record acknowledged on partition 0 within " + timeoutMs + " ms of the kill");
        }

        /** The longest time any partition went without an acknowledgement between {@code fromMs} and {@code toMs}. */
        long longestStall(long fromMs, long toMs) {
            long worst = 0;
            for (List<Long> times : ackMs.values()) {
                long prev = fromMs;
                synchronized (times) {
                    for (long t : times) {
                        if (t < fromMs || t > toMs) {
                            continue;
                        }
                        worst = Math.max(worst, t - prev);
                        prev = t;
                    }
                }
                worst = Math.max(worst, toMs - prev);
            }
            return worst;
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(180_000);
            if (!failed.isEmpty()) {
                System.out.println("sends that failed for good (not acknowledged): " + failed);
            }
            assertThat(failure.get()).as("the producer itself failed").isNull();
        }
    }

    static Map<String, Object> withSerializers(Map<String, Object> cfg) {
        Map<String, Object> out = new HashMap<>(cfg);
        out.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        out.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        out.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        out.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        return out;
    }

    /** A consumer group member polling throughout; a poll must never hand out an offset below one it handed out before. */
    final class GroupReader implements AutoCloseable {
        final Map<Integer, Long> lastOffset = new ConcurrentHashMap<>();
        /** Per partition, the offset after the last record a successful commit covered. */
        final Map<Integer, Long> committed = new ConcurrentHashMap<>();
        final AtomicLong records = new AtomicLong();
        final AtomicReference<String> backwards = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicBoolean stop = new AtomicBoolean();
        /** Set to make the member rejoin: it then resumes from what its group committed, which the check covers. */
        final AtomicBoolean rejoin = new AtomicBoolean();
        final AtomicLong rejoins = new AtomicLong();
        final Thread thread;

        GroupReader() {
            thread = new Thread(this::run, "group-reader");
            thread.start();
        }

        private void run() {
            Map<String, Object> cfg = new HashMap<>(Map.of("bootstrap.servers", bootstrap(), "group.id", "failover-readers",
                    "auto.offset.reset", "earliest", "enable.auto.commit", false, "metadata.max.age.ms", 2_000,
                    "session.timeout.ms", 30_000));
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(withSerializers(cfg))) {
                c.subscribe(List.of(TOPIC));
                while (!stop.get()) {
                    if (rejoin.getAndSet(false)) {
                        c.enforceRebalance("the test asks for a rejoin");
                        rejoins.incrementAndGet();
                    }
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        Long prev = lastOffset.put(r.partition(), r.offset());
                        // After a rebalance a consumer resumes from its group's committed offset, which is behind what it
                        // polled when its last commit failed (Kafka's at-least-once); below the committed offset is a bug.
                        long floor = committed.getOrDefault(r.partition(), 0L);
                        if (prev != null && r.offset() <= prev && r.offset() < floor && backwards.get() == null) {
                            backwards.set("partition " + r.partition() + " went from " + prev + " back to " + r.offset()
                                    + ", below its committed offset " + floor);
                        }
                        records.incrementAndGet();
                    }
                    try {
                        // Commit the positions of what is assigned now, and count exactly those as committed. A rebalance
                        // (eager, or a generation lost to a coordinator move) empties the assignment, and a commitSync()
                        // then commits nothing and still returns: what was polled is not committed until a later commit.
                        Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
                        for (TopicPartition tp : c.assignment()) {
                            positions.put(tp, new OffsetAndMetadata(c.position(tp, Duration.ofSeconds(10))));
                        }
                        c.commitSync(positions, Duration.ofSeconds(10));
                        positions.forEach((tp, o) -> committed.merge(tp.partition(), o.offset(), Math::max));
                    } catch (org.apache.kafka.common.KafkaException e) {
                        // A coordinator moving or a rebalance: the next commit carries the same positions.
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(60_000);
        }
    }

    /** Reads every partition from the start to its high watermark with a fresh, group-less consumer. */
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readAll(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, r) -> ends.put(tp, r.offset()));
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(withSerializers(Map.of("bootstrap.servers", bootstrap(),
                "auto.offset.reset", "earliest", "enable.auto.commit", false)))) {
            c.assign(ends.keySet());
            c.seekToBeginning(ends.keySet());
            long deadline = System.currentTimeMillis() + 60_000;
            while (ends.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue()) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    out.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
                }
            }
        }
        return out;
    }

    /** Every acknowledged record exactly once at the offset it was acknowledged with; offsets contiguous; per-partition order kept. */
    long verify(Admin admin, Load load) throws Exception {
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> all = readAll(admin);
        Map<String, long[]> seen = new HashMap<>();
        for (Map.Entry<Integer, List<ConsumerRecord<byte[], byte[]>>> e : all.entrySet()) {
            long expected = e.getValue().isEmpty() ? 0 : e.getValue().get(0).offset();
            long lastSeq = -1;
            for (ConsumerRecord<byte[], byte[]> r : e.getValue()) {
                assertThat(r.offset()).as("offsets of partition %d are contiguous", e.getKey()).isEqualTo(expected);
                expected++;
                String v = new String(r.value());
                assertThat(v).as("only the load's records are in the log").startsWith("r-");
                assertThat(seen.put(v, new long[]{r.partition(), r.offset()})).as("%s appears once", v).isNull();
                long seq = Long.parseLong(v.substring(2));
                assertThat(seq).as("records of partition %d keep their send order", e.getKey()).isGreaterThan(lastSeq);
                lastSeq = seq;
            }
        }
        for (Map.Entry<String, long[]> a : load.acked.entrySet()) {
            long[] at = seen.get(a.getKey());
            assertThat(at).as("acknowledged record %s is readable", a.getKey()).isNotNull();
            if (a.getValue()[1] < 0) {
                // Acknowledged as a retry of a batch written before (DUPLICATE_SEQUENCE_NUMBER): no offset to compare.
                assertThat(at[0]).as("%s is in the partition it was sent to", a.getKey()).isEqualTo(a.getValue()[0]);
                continue;
            }
            assertThat(at).as("%s is where its acknowledgement said", a.getKey()).containsExactly(a.getValue());
        }
        return load.acked.size();
    }

    /** Waits until every replica holds every record, then compares the replicas' logs byte for byte. */
    void assertReplicasIdentical(Admin admin) throws Exception {
        for (int p = 0; p < PARTITIONS; p++) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (true) {
                List<byte[]> logs = new ArrayList<>();
                for (StrataNode n : nodes) {
                    logs.add(logBytes(n, p));
                }
                boolean same = logs.stream().allMatch(b -> java.util.Arrays.equals(b, logs.get(0)));
                if (same) {
                    break;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("replicas of " + TOPIC + "-" + p + " differ: sizes "
                            + logs.stream().map(b -> b.length).toList());
                }
                Thread.sleep(200);
            }
        }
    }

    static byte[] logBytes(StrataNode n, int partition) throws Exception {
        Path d = n.dataDir().resolve("logs").resolve(TOPIC + "-" + partition);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var files = Files.list(d)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
                out.write(Files.readAllBytes(f));
            }
        }
        return out.toByteArray();
    }

    static long percentile(List<Long> values, double q) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

}
