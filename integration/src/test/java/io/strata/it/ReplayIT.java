package io.strata.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.sdk.replay.Replay;
import io.strata.sdk.replay.ReplayException;
import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SDK's replay straight from object storage, against what a kafka-clients consumer reads through the broker. */
class ReplayIT {
    @TempDir
    static Path dir;
    static S3ProxyServer s3;
    static StrataNode node;
    static final int PARTITIONS = 6;
    static final long RECORDS = 300_000;
    static long t0;

    @BeforeAll
    static void start() throws Exception {
        // The replay job's own read credentials for the bucket.
        System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
        System.setProperty("aws.region", "us-east-1");
        s3 = S3ProxyServer.start();
        node = TieringIT.nodeOn(s3, dir, "replay", "replay", Map.of(), "log.segment.bytes=4194304", "log.local.retention.bytes=0");
        t0 = System.currentTimeMillis() - 3_600_000;
        try (Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("replayed", PARTITIONS, (short) 1))).all().get();
        }
        TieringIT.produce(node, "replayed", PARTITIONS, 0, RECORDS, t0, 1000);
        TieringIT.await("history tiered", 180_000, () -> TieringIT.untiered(node) < PARTITIONS * 4_500_000.0);
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        s3.close();
    }

    static Replay replay() {
        return Replay.of("replayed").adminUrl("http://127.0.0.1:" + node.adminPort()).bootstrap(node.bootstrap()).parallelism(3);
    }

    static void digest(Map<Integer, MessageDigest> d, int p, long offset, byte[] key, byte[] value) {
        MessageDigest md = d.computeIfAbsent(p, k -> sha());
        md.update(ByteBuffer.allocate(8).putLong(offset).array());
        md.update(key);
        md.update(value);
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<Integer, String> hex(Map<Integer, MessageDigest> d) {
        Map<Integer, String> out = new HashMap<>();
        d.forEach((p, md) -> out.put(p, HexFormat.of().formatHex(md.digest())));
        return out;
    }

    /** A record as both readers see it: offset, timestamp, key, value and headers. */
    static String describe(long offset, long timestamp, byte[] key, byte[] value, List<Map.Entry<String, byte[]>> headers) {
        StringBuilder s = new StringBuilder(offset + "@" + timestamp + " " + (key == null ? "null" : HexFormat.of().formatHex(key)) + "="
                + (value == null ? "null" : HexFormat.of().formatHex(digestOf(value))));
        headers.forEach(h -> s.append(" ").append(h.getKey()).append(":").append(new String(h.getValue(), StandardCharsets.UTF_8)));
        return s.toString();
    }

    private static byte[] digestOf(byte[] value) {
        return sha().digest(value);
    }

    @Test
    void aTopicWithMoreSegmentsThanOneAnswerHoldsIsReplayedPartitionByPartition() throws Exception {
        // A node whose answer of a whole topic's manifests may list 2 segments at most: it answers this topic 413, and a
        // replay asks for the manifests partition by partition instead.
        try (StrataNode capped = TieringIT.nodeOn(s3, dir, "capped", "capped",
                Map.of("JAVA_TOOL_OPTIONS", "-Dstrata.admin.maxSegmentsPerAnswer=2"), "log.local.retention.bytes=0")) {
            try (Admin admin = Clients.admin(capped)) {
                admin.createTopics(List.of(new NewTopic("capped", 2, (short) 1).configs(Map.of("segment.bytes", "262144")))).all().get();
            }
            TieringIT.produce(capped, "capped", 2, 0, 3000, t0, 1000);
            String admin = "http://127.0.0.1:" + capped.adminPort();
            TieringIT.await("more than 2 segments tiered", 120_000, () -> status(admin + "/api/topics/capped/segments") == 413);
            assertThat(status(admin + "/api/topics/capped/partitions/0/segments")).isEqualTo(200);
            AtomicLong replayed = new AtomicLong();
            Replay.Result r = Replay.of("capped").adminUrl(admin).bootstrap(capped.bootstrap()).run(rec -> replayed.incrementAndGet());
            assertThat(r.complete()).isTrue();
            assertThat(replayed.get()).isEqualTo(3000);
        }
    }

    private static int status(String url) {
        try {
            java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
            try {
                return c.getResponseCode();
            } finally {
                c.disconnect();
            }
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    @Test
    void compressedBatchesWithHeadersReplayAsAConsumerReadsThem() throws Exception {
        // Batches compressed by the producer (decompressed by Kafka's iterator), beside uncompressed ones (read in place),
        // records with headers, without a key, and with a null value, in segments of 256 KiB so they tier at once.
        String topic = "mixed-batches";
        try (Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("segment.bytes", "262144")))).all().get();
        }
        int n = 3000;
        for (String codec : List.of("lz4", "none")) {
            try (var p = Clients.producer(node, Map.of("compression.type", codec, "linger.ms", 5))) {
                for (int i = 0; i < n; i++) {
                    boolean second = codec.equals("none");
                    var rec = new org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>(topic, 0, t0 + i,
                            i % 3 == 0 ? null : ("k" + i).getBytes(), i % 7 == 0 ? null : TieringIT.valueOf(i + (second ? n : 0), 300));
                    if (i % 2 == 0) {
                        rec.headers().add("trace", ("t" + i).getBytes()).add("empty", null);
                    }
                    p.send(rec);
                }
            }
        }
        TieringIT.await("the mixed topic tiered", 120_000, () -> {
            try {
                return new ObjectMapper().readTree(new java.net.URL("http://127.0.0.1:" + node.adminPort() + "/api/topics/" + topic
                        + "/partitions/0/segments")).get("segments").size() >= 4;
            } catch (Exception e) {
                return false;
            }
        });
        List<String> replayed = new ArrayList<>();
        Replay.Result r = Replay.of(topic).adminUrl("http://127.0.0.1:" + node.adminPort()).bootstrap(node.bootstrap())
                .run(rec -> replayed.add(describe(rec.offset(), rec.timestamp(), rec.key(), rec.value(), rec.headers())));
        assertThat(r.records()).isEqualTo(2L * n);
        List<String> consumed = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 60_000;
            while (consumed.size() < 2 * n && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(500))) {
                    List<Map.Entry<String, byte[]>> hs = new ArrayList<>();
                    rec.headers().forEach(h -> hs.add(Map.entry(h.key(), h.value() == null ? new byte[0] : h.value())));
                    consumed.add(describe(rec.offset(), rec.timestamp(), rec.key(), rec.value(), hs));
                }
            }
        }
        assertThat(replayed).hasSize(2 * n).isEqualTo(consumed);
        assertThat(replayed.get(0)).startsWith("0@" + t0 + " null=").endsWith(" trace:t0 empty:");
    }

    @Test
    void aFullReplayYieldsExactlyWhatAConsumerReadsInPartitionOrder() throws Exception {
        double outBefore = node.metric("strata_topic_bytes_out_total{topic=\"replayed\"}");
        Map<Integer, MessageDigest> replayed = new ConcurrentHashMap<>();
        Map<Integer, Long> lastOffset = new ConcurrentHashMap<>();
        Replay.Result r = replay().run(rec -> {
            long prev = lastOffset.getOrDefault(rec.partition(), -1L);
            assertThat(rec.offset()).as("partition %d in order, no gap", rec.partition()).isEqualTo(prev + 1);
            lastOffset.put(rec.partition(), rec.offset());
            digest(replayed, rec.partition(), rec.offset(), rec.key(), rec.value());
        });
        assertThat(r.records()).isEqualTo(RECORDS);
        assertThat(r.complete()).isTrue();
        double outAfter = node.metric("strata_topic_bytes_out_total{topic=\"replayed\"}");
        double viaBroker = (Double.isNaN(outAfter) ? 0 : outAfter) - (Double.isNaN(outBefore) ? 0 : outBefore);
        assertThat(viaBroker).as("bytes that went through the broker (the un-tiered tail only)").isLessThan(RECORDS * 1000 * 0.2);

        Map<Integer, MessageDigest> consumed = new HashMap<>();
        long n = 0;
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("max.partition.fetch.bytes", 4 << 20))) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                tps.add(new TopicPartition("replayed", p));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 180_000;
            while (n < RECORDS && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(500))) {
                    digest(consumed, rec.partition(), rec.offset(), rec.key(), rec.value());
                    n++;
                }
            }
        }
        assertThat(n).isEqualTo(RECORDS);
        assertThat(hex(replayed)).isEqualTo(hex(consumed));
    }

    @Test
    void aTimeRangeReplayStartsAndEndsWhereOffsetsForTimesSays() throws Exception {
        Instant from = Instant.ofEpochMilli(t0 + 60_000);
        Instant to = Instant.ofEpochMilli(t0 + 150_000);
        Map<Integer, Long> first = new ConcurrentHashMap<>();
        Map<Integer, Long> last = new ConcurrentHashMap<>();
        replay().from(from).to(to).run(rec -> {
            first.putIfAbsent(rec.partition(), rec.offset());
            last.put(rec.partition(), rec.offset());
        });
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition("replayed", p);
                OffsetAndTimestamp a = c.offsetsForTimes(Map.of(tp, from.toEpochMilli())).get(tp);
                OffsetAndTimestamp b = c.offsetsForTimes(Map.of(tp, to.toEpochMilli())).get(tp);
                assertThat(first.get(p)).as("start of partition %d", p).isEqualTo(a.offset());
                assertThat(last.get(p) + 1).as("end (exclusive) of partition %d", p).isEqualTo(b.offset());
            }
        }
    }

    @Test
    void offsetBoundsResolveFromTheLeadersManifestAsAConsumersWould() throws Exception {
        // The node leads every partition, so the replay takes its range from the manifests' log start offsets and
        // high watermarks: the bounds must come out as Kafka's beginningOffsets/endOffsets would make them.
        long end;
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of())) {
            TopicPartition tp = new TopicPartition("replayed", 2);
            end = c.endOffsets(List.of(tp)).get(tp);
        }
        List<Long> offsets = java.util.Collections.synchronizedList(new ArrayList<>());
        Replay.Result middle = replay().partitions(Set.of(2)).from(1_000).to(2_500).run(rec -> offsets.add(rec.offset()));
        assertThat(middle.records()).isEqualTo(1_500);
        assertThat(offsets.get(0)).isEqualTo(1_000);
        assertThat(offsets.get(offsets.size() - 1)).isEqualTo(2_499);
        offsets.clear();
        Replay.Result tail = replay().partitions(Set.of(2)).from(end - 10).to(end + 1_000).run(rec -> offsets.add(rec.offset()));
        assertThat(tail.records()).as("up to the high watermark, not past it").isEqualTo(10);
        assertThat(tail.nextOffsets()).containsEntry(2, end);
        assertThat(replay().partitions(Set.of(2)).from(end + 5).run(rec -> offsets.add(rec.offset())).records()).isZero();
    }

    @Test
    void aStoppedReplayResumesFromItsCheckpointWithNoDuplicateAndNoGap() throws Exception {
        Path ckpt = dir.resolve("replay.ckpt");
        Map<Integer, Set<Long>> seen = new ConcurrentHashMap<>();
        AtomicLong duplicates = new AtomicLong();
        Replay first = replay().to(60_000).checkpoint(ckpt);
        AtomicLong count = new AtomicLong();
        Replay.Result half = first.run(rec -> {
            if (!seen.computeIfAbsent(rec.partition(), k -> ConcurrentHashMap.newKeySet()).add(rec.offset())) {
                duplicates.incrementAndGet();
            }
            if (count.incrementAndGet() == 100_000) {
                first.stop();
            }
        });
        assertThat(half.complete()).isFalse();
        assertThat(Files.exists(ckpt)).isTrue();
        Replay.Result rest = replay().to(60_000).checkpoint(ckpt).run(rec -> {
            if (!seen.computeIfAbsent(rec.partition(), k -> ConcurrentHashMap.newKeySet()).add(rec.offset())) {
                duplicates.incrementAndGet();
            }
        });
        assertThat(rest.complete()).isTrue();
        assertThat(duplicates.get()).isZero();
        for (int p = 0; p < PARTITIONS; p++) {
            Set<Long> offsets = seen.get(p);
            assertThat(offsets).as("partition %d has no gap", p).hasSize(50_000);
            assertThat(offsets.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(49_999);
        }
        Replay.Result again = replay().to(60_000).checkpoint(ckpt).run(rec -> duplicates.incrementAndGet());
        assertThat(again.alreadyComplete()).as("a completed checkpoint says so").isTrue();
        assertThat(again.records()).isZero();
        assertThatThrownBy(() -> replay().to(70_000).checkpoint(ckpt).run(rec -> { }))
                .as("other bounds with the same checkpoint are an error naming it")
                .isInstanceOf(io.strata.sdk.replay.ReplayException.class).hasMessageContaining(ckpt.toString()).hasMessageContaining("to offset 60000");
    }

    @Test
    void theReplayCliWritesJsonLines() throws Exception {
        Path out = dir.resolve("p5.jsonl");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", StrataNode.jar().toString(),
                "replay", "--topic", "replayed", "--partitions", "5", "--to", "1000", "--out", out.toString(),
                "--admin-url", "http://127.0.0.1:" + node.adminPort(), "--bootstrap-server", node.bootstrap())
                .redirectErrorStream(true);
        pb.environment().putAll(TieringIT.credentials());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(1000);
        var first = new ObjectMapper().readTree(lines.get(0));
        assertThat(first.get("partition").asInt()).isEqualTo(5);
        assertThat(first.get("offset").asLong()).isZero();
        assertThat(first.has("valueBase64")).isTrue();
        assertThat(log).contains("replayed 1000 records");
    }

    private static String replayCli(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                StrataNode.jar().toString(), "replay"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(TieringIT.credentials());
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() + " " + log;
    }

    @Test
    void replayErrorsNameTheirCauseAndHeadersAreKept() throws Exception {
        String tooMany = replayCli("--topic", "replayed", "--partitions", "99", "--admin-url", "http://127.0.0.1:" + node.adminPort(),
                "--bootstrap-server", node.bootstrap(), "--out", dir.resolve("none.jsonl").toString());
        assertThat(tooMany).startsWith("1 ").contains("cannot replay partitions [99]");
        String unreachable = replayCli("--topic", "replayed", "--admin-url", "http://127.0.0.1:1", "--bootstrap-server", node.bootstrap(),
                "--out", dir.resolve("none2.jsonl").toString());
        assertThat(unreachable).startsWith("1 ").contains("cannot reach the admin API").doesNotContain(": null");

        try (Admin admin = Clients.admin(node); var p = Clients.producer(node, Map.of())) {
            admin.createTopics(List.of(new NewTopic("with-headers", 1, (short) 1))).all().get();
            var rec = new org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]>("with-headers", 0, null, "k".getBytes(), "v".getBytes());
            rec.headers().add("trace-id", "abc".getBytes());
            p.send(rec).get();
        }
        Path out = dir.resolve("headers.jsonl");
        String done = replayCli("--topic", "with-headers", "--admin-url", "http://127.0.0.1:" + node.adminPort(), "--bootstrap-server",
                node.bootstrap(), "--out", out.toString());
        assertThat(done).startsWith("0 ");
        var line = new ObjectMapper().readTree(Files.readAllLines(out).get(0));
        assertThat(line.get("headers").get(0).get("key").asText()).isEqualTo("trace-id");
        assertThat(line.get("headers").get(0).get("value").asText()).isEqualTo("abc");
        assertThat(new io.strata.sdk.replay.ReplayRecord("t", 0, 1, 2, "k".getBytes(), "v".getBytes(), List.of()).toString())
                .contains("key k").contains("value v").doesNotContain("[B@");
    }

    @Test
    void aCorruptedObjectIsReportedNamingTheObjectAndOffsetAndNotDelivered() throws Exception {
        try (Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("fragile-history", 1, (short) 1))).all().get();
        }
        TieringIT.produce(node, "fragile-history", 1, 0, 20_000, t0, 1000);
        TieringIT.await("tiered", 120_000, () -> TieringIT.untiered(node) < PARTITIONS * 4_500_000.0 + 4_500_000);
        // The first segment's object, found through the manifest: walking the bucket's directory raced the node's uploads (the
        // S3 server's temporary files vanish under a walk).
        String firstKey = new ObjectMapper().readTree(java.net.URI.create("http://127.0.0.1:" + node.adminPort()
                + "/api/topics/fragile-history/partitions/0/segments").toURL()).get("segments").get(0).get("objectKey").asText();
        Path victim = s3.blobDir("replay").resolve("strata").resolve(firstKey);
        assertThat(victim).exists();
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            f.seek(200);
            int b = f.read();
            f.seek(200);
            f.write(b ^ 0x5A);
        }
        AtomicLong delivered = new AtomicLong();
        assertThatThrownBy(() -> Replay.of("fragile-history").adminUrl("http://127.0.0.1:" + node.adminPort())
                .bootstrap(node.bootstrap()).run(rec -> delivered.incrementAndGet()))
                .isInstanceOf(ReplayException.class)
                .hasMessageContaining(victim.getFileName().toString())
                .hasMessageContaining("offset 0");
        assertThat(delivered.get()).as("nothing from the corrupt batch").isZero();
    }
}
