package io.strata.it;

import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Sealed segments move to a real S3 server (s3proxy); reads, retention, restarts and outages span both tiers. */
class TieringIT {
    @TempDir
    static Path dir;
    static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    static Map<String, String> credentials() {
        return Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                "AWS_REGION", "us-east-1");
    }

    static StrataNode node(String name, String bucket, Map<String, String> extraEnv, String... extra) throws Exception {
        return nodeOn(s3, dir, name, bucket, extraEnv, extra);
    }

    /** A node tiering to {@code server}'s bucket, with small segments and quick tiering for tests. */
    static StrataNode nodeOn(S3ProxyServer server, Path dir, String name, String bucket, Map<String, String> extraEnv, String... extra) throws Exception {
        S3ProxyServer s3 = server;
        List<String> settings = new ArrayList<>(List.of(
                "object.store=" + s3.url(bucket, "strata"),
                "metastore=sqlite:" + dir.resolve(name + "-meta.db"),
                "log.segment.bytes=1048576",
                "log.retention.check.interval.ms=300",
                "tiering.check.interval.ms=100",
                "log.local.retention.bytes=2097152",
                "tiering.orphan.grace.ms=60000"));
        settings.addAll(List.of(extra));
        Map<String, String> env = new HashMap<>(credentials());
        env.putAll(extraEnv);
        return StrataNode.startWithEnv(dir.resolve(name), env, settings.toArray(String[]::new));
    }

    static byte[] valueOf(long i, int size) {
        byte[] v = new byte[size];
        new Random(i * 7919 + 17).nextBytes(v);
        return v;
    }

    /** Produces records 0..n-1: key = i, partition = i % partitions, timestamp = t0 + i, value derived from i. */
    static List<RecordMetadata> produce(StrataNode node, String topic, int partitions, long from, long n, long t0, int size) throws Exception {
        List<RecordMetadata> out = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 131072))) {
            List<Future<RecordMetadata>> fs = new ArrayList<>();
            for (long i = from; i < from + n; i++) {
                fs.add(p.send(new ProducerRecord<>(topic, (int) (i % partitions), t0 + i, ByteBuffer.allocate(8).putLong(i).array(), valueOf(i, size))));
            }
            for (Future<RecordMetadata> f : fs) {
                out.add(f.get());
            }
        }
        return out;
    }

    /** Reads every partition from offset 0 and checks each record is the one produced, offsets contiguous. */
    static long consumeAndVerify(StrataNode node, String topic, int partitions, long expected, int size) {
        long total = 0;
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("max.partition.fetch.bytes", 4 << 20))) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long[] next = new long[partitions];
            long deadline = System.currentTimeMillis() + 180_000;
            while (total < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    assertThat(r.offset()).as("contiguous offsets in partition %d", r.partition()).isEqualTo(next[r.partition()]);
                    next[r.partition()]++;
                    long i = ByteBuffer.wrap(r.key()).getLong();
                    assertThat(r.partition()).isEqualTo((int) (i % partitions));
                    assertThat(Arrays.equals(r.value(), valueOf(i, size))).as("value of record %d", i).isTrue();
                    total++;
                }
            }
        }
        assertThat(total).isEqualTo(expected);
        return total;
    }

    /** Segment files on the node's disk; counted again when an upload's staging file vanishes under the walk. */
    static long localSegments(StrataNode node) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try (Stream<Path> files = Files.walk(node.dataDir().resolve("logs"))) {
                return files.filter(p -> p.toString().endsWith(".log")).count();
            } catch (java.io.UncheckedIOException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /** Waits until {@code condition} holds, polling every 200 ms, failing after {@code timeoutMs}. */
    static void await(String what, long timeoutMs, BooleanSupplier condition) {
        org.awaitility.Awaitility.await(what).atMost(java.time.Duration.ofMillis(timeoutMs))
                .pollInterval(java.time.Duration.ofMillis(200)).until(condition::getAsBoolean);
    }

    static double untiered(StrataNode node) {
        try {
            return node.metric("strata_tiering_untiered_bytes");
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    @Test
    void twoHundredMegabytesMostlyInObjectStorageReadBackByteForByte() throws Exception {
        long t0 = System.currentTimeMillis() - 3_600_000;
        int size = 1000;
        long n = 200_000;
        try (StrataNode node = node("big", "big", Map.of());
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("history", 3, (short) 1))).all().get();
            produce(node, "history", 3, 0, n, t0, size);
            await("sealed segments are tiered and local copies trimmed", 180_000,
                    () -> untiered(node) < 3 * 1_200_000 && safeLocal(node) <= 15);
            long objects = s3.objectCount("big", ".seg");
            long local = localSegments(node);
            assertThat(objects).as("segments in object storage").isGreaterThan(150);
            assertThat(local).as("segments still on local disk").isLessThan(objects / 5);
            assertThat(node.metric("strata_tiering_upload_bytes_total")).isGreaterThan(190_000_000);
            assertThat(node.log()).as("each local-retention deletion is logged with its partition, segments and bytes")
                    .containsPattern("history-\\d: local retention deleted \\d+ tiered segment\\(s\\), \\d+ bytes");

            consumeAndVerify(node, "history", 3, n, size);
            assertThat(node.metric("strata_tiering_download_bytes_total")).as("history came from object storage").isGreaterThan(150_000_000);

            TopicPartition p0 = new TopicPartition("history", 0);
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
                OffsetAndTimestamp found = c.offsetsForTimes(Map.of(p0, t0 + 3 * 1000 + 1)).get(p0);
                assertThat(found.offset()).as("first record at or after the time, in a tiered segment").isEqualTo(1001);
                assertThat(found.timestamp()).isEqualTo(t0 + 3 * 1001);
                assertThat(c.beginningOffsets(List.of(p0)).get(p0)).isZero();
            }
        }
    }

    @Test
    void listOffsetsFindsTheLargestTimestampAcrossBothTiersAndTheTierBoundaries() throws Exception {
        long now = System.currentTimeMillis();
        TopicPartition tp = new TopicPartition("stamps", 0);
        try (StrataNode node = node("maxts", "maxts", Map.of());
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("stamps", 1, (short) 1))).all().get();
            // Offset 0 carries the largest timestamp; everything after it is older and pushes it into object storage.
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
                p.send(new ProducerRecord<>("stamps", 0, now + 600_000, null, valueOf(0, 1000))).get();
            }
            produce(node, "stamps", 1, 1, 5000, now - 3_600_000, 1000);
            await("offset 0 is only in object storage", 120_000, () -> listed(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.earliestLocal()) > 0);
            var max = admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.maxTimestamp())).partitionResult(tp).get();
            assertThat(max.offset()).as("the largest timestamp, found in a tiered segment").isZero();
            assertThat(max.timestamp()).isEqualTo(now + 600_000);
            long earliestLocal = listed(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.earliestLocal());
            long latestTiered = listed(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.latestTiered());
            assertThat(listed(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.earliest())).isZero();
            assertThat(latestTiered).as("the last tiered offset reaches the local log").isGreaterThanOrEqualTo(earliestLocal - 1)
                    .isLessThan(listed(admin, tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));

            // A newer largest timestamp in the local log wins.
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
                p.send(new ProducerRecord<>("stamps", 0, now + 1_200_000, null, valueOf(1, 1000))).get();
            }
            max = admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.maxTimestamp())).partitionResult(tp).get();
            assertThat(max.offset()).isEqualTo(5001);
            assertThat(max.timestamp()).isEqualTo(now + 1_200_000);
        }
    }

    static long listed(Admin admin, TopicPartition tp, org.apache.kafka.clients.admin.OffsetSpec spec) {
        try {
            return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get().offset();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static long safeLocal(StrataNode node) {
        try {
            return localSegments(node);
        } catch (Exception e) {
            return Long.MAX_VALUE;
        }
    }

    @Test
    void aNodeWhoseDataDirectoryIsWipedServesTheTieredHistory() throws Exception {
        long t0 = System.currentTimeMillis() - 3_600_000;
        int size = 500;
        long n = 20_000;
        try (StrataNode node = node("wiped", "wiped", Map.of(), "log.roll.ms=1500")) {
            try (Admin admin = Clients.admin(node)) {
                admin.createTopics(List.of(new NewTopic("kept", 2, (short) 1))).all().get();
            }
            produce(node, "kept", 2, 0, n, t0, size);
            await("everything tiered, the idle tail included", 60_000, () -> untiered(node) == 0);
            assertThat(node.stop()).isZero();
            try (Stream<Path> files = Files.walk(node.dataDir())) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            assertThat(node.dataDir()).doesNotExist();
            node.launch();
            consumeAndVerify(node, "kept", 2, n, size);
            // New records continue after the tiered history.
            List<RecordMetadata> more = produce(node, "kept", 2, n, 10, t0, size);
            assertThat(more.get(0).offset()).isEqualTo(n / 2);
        }
    }

    @Test
    void anObjectStoreOutageLosesNothingAndTieringCatchesUp() throws Exception {
        long t0 = System.currentTimeMillis() - 3_600_000;
        int size = 1000;
        try (StrataNode node = node("outage", "outage", Map.of(), "tiering.max.untiered.bytes=16777216");
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("steady", 1, (short) 1))).all().get();
            produce(node, "steady", 1, 0, 4000, t0, size);
            await("first segments tiered", 60_000, () -> untiered(node) < 1_200_000);

            s3.stopProcess();
            long acked = 4000;
            long failedWithBudget = 0;
            String budgetMessage = null;
            // Produce until the budget refuses (a bound of 30 s, should it never), then S3 comes back.
            long produceUntil = System.currentTimeMillis() + 30_000;
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.RETRIES_CONFIG, 0,
                    ProducerConfig.LINGER_MS_CONFIG, 5))) {
                long i = acked;
                while (System.currentTimeMillis() < produceUntil) {
                    List<Future<RecordMetadata>> fs = new ArrayList<>();
                    for (int k = 0; k < 1000; k++, i++) {
                        fs.add(p.send(new ProducerRecord<>("steady", 0, t0 + i, ByteBuffer.allocate(8).putLong(i).array(), valueOf(i, size))));
                    }
                    for (Future<RecordMetadata> f : fs) {
                        try {
                            f.get();
                            acked++;
                        } catch (java.util.concurrent.ExecutionException e) {
                            assertThat(e.getCause()).isInstanceOf(KafkaStorageException.class);
                            budgetMessage = e.getCause().getMessage();
                            failedWithBudget++;
                        }
                    }
                    if (failedWithBudget > 0) {
                        break;
                    }
                    Thread.sleep(500);
                }
            }
            assertThat(failedWithBudget).as("produce beyond the local budget is refused").isPositive();
            assertThat(budgetMessage).contains("tiering.max.untiered.bytes");
            assertThat(untiered(node)).as("tiering lag built up").isGreaterThan(10_000_000);
            // A little longer down, so the uploader meets the outage again with the budget spent, then back.
            Thread.sleep(2000);
            s3.startProcess();
            await("tiering lag drains after the object store returns", 120_000, () -> untiered(node) < 1_200_000);
            assertThat(node.isAlive()).isTrue();
            // Every acknowledged record is there, in order; the refused ones were never acknowledged.
            long total = 0;
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
                TopicPartition tp = new TopicPartition("steady", 0);
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                long deadline = System.currentTimeMillis() + 60_000;
                while (total < acked && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                        assertThat(r.offset()).isEqualTo(total);
                        long i = ByteBuffer.wrap(r.key()).getLong();
                        assertThat(Arrays.equals(r.value(), valueOf(i, size))).isTrue();
                        total++;
                    }
                }
            }
            assertThat(total).isEqualTo(acked);
            assertThat(node.log()).contains("tiering resumes");
            // The budget is released with the lag: a produce is acknowledged again.
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
                assertThat(p.send(new ProducerRecord<>("steady", 0, t0 + acked, ByteBuffer.allocate(8).putLong(acked).array(),
                        valueOf(acked, size))).get().offset()).isEqualTo(acked);
            }
        }
    }

    @Test
    void aCrashBetweenUploadAndCommitLeavesNoDuplicateNoGapAndTheStrayIsSwept() throws Exception {
        long t0 = System.currentTimeMillis() - 3_600_000;
        int size = 1000;
        StrataNode node = node("crash", "crash", Map.of("STRATA_FAULT_HALT_AFTER_PUT", "1"));
        try (node) {
            try (Admin admin = Clients.admin(node)) {
                admin.createTopics(List.of(new NewTopic("fragile", 1, (short) 1))).all().get();
            }
            try {
                produce(node, "fragile", 1, 0, 3000, t0, size);
            } catch (Exception e) {
                // The node may halt while the producer is still sending; what was acknowledged is checked below.
            }
            await("the node halted after its first upload", 60_000, () -> !node.isAlive());
            assertThat(node.log()).contains("fault injection: halting after uploading");
            assertThat(s3.objectCount("crash")).as("the uploaded but uncommitted object and its producer snapshot").isEqualTo(2);

            node.env().remove("STRATA_FAULT_HALT_AFTER_PUT");
            node.launch();
            long endOffset;
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
                TopicPartition tp = new TopicPartition("fragile", 0);
                endOffset = c.endOffsets(List.of(tp)).get(tp);
            }
            await("the stray object is swept (grace 60 s)", 180_000, () -> node.log().contains("deleted orphan object"));
            await("sealed segments are tiered again", 60_000, () -> untiered(node) < 1_200_000);
            consumeAndVerify(node, "fragile", 1, endOffset, size);
            assertThat(endOffset).isGreaterThan(2000);
        }
    }
}
