package io.strata.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.metastore.postgres.PostgresServer;
import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What an operator sees: /metrics moving with traffic, the JSON admin API, /ready, and the admin CLI. */
class OperationsIT {
    @TempDir
    static Path dir;
    static S3ProxyServer s3;
    static PostgresServer pg;
    static StrataNode node;
    static Admin admin;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        s3 = S3ProxyServer.start();
        pg = PostgresServer.start();
        node = StrataNode.startWithEnv(dir.resolve("node"), Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY, "AWS_REGION", "us-east-1"),
                "object.store=" + s3.url("ops", "strata"), "metastore=" + pg.newDatabase("ops"));
        admin = Clients.admin(node);
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        node.close();
        pg.close();
        s3.close();
    }

    record Http(int status, String body) {
        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }
    }

    static Http http(String method, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + node.adminPort() + path).toURL().openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(5000);
        c.setReadTimeout(30_000);
        int status = c.getResponseCode();
        var in = status < 400 ? c.getInputStream() : c.getErrorStream();
        return new Http(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    private static double orZero(double sample) {
        return Double.isNaN(sample) ? 0 : sample;
    }

    static double sample(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    /** Fsyncs the node has run so far, from /metrics. */
    private static double fsyncs() throws Exception {
        return orZero(node.metric("strata_log_fsync_seconds_count"));
    }

    @Test
    void flushMessagesOneFsyncsEveryAcksOneProduceBeforeItIsAnswered() throws Exception {
        String hour = Long.toString(3_600_000L);
        admin.createTopics(List.of(new NewTopic("flush-later", 1, (short) 1).configs(Map.of("flush.ms", hour)),
                new NewTopic("flush-each", 1, (short) 1).configs(Map.of("flush.ms", hour, "flush.messages", "1")))).all().get();
        var described = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "flush-each"))).all().get().values().iterator().next();
        assertThat(described.get("flush.messages").value()).isEqualTo("1");
        assertThat(described.get("flush.ms").value()).isEqualTo(hour);
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of(ProducerConfig.ACKS_CONFIG, "1"))) {
            p.partitionsFor("flush-later");
            // The node's fsyncs are counted together: first let the flusher finish with what other tests left unsynced.
            double settled = fsyncs();
            long quietSince = System.nanoTime();
            long deadline = quietSince + 15_000_000_000L;
            while (System.nanoTime() - quietSince < 1_500_000_000L && System.nanoTime() < deadline) {
                Thread.sleep(100);
                double now = fsyncs();
                if (now != settled) {
                    settled = now;
                    quietSince = System.nanoTime();
                }
            }
            // Within flush.ms, acks=1 records are answered from the page cache: no fsync.
            double before = fsyncs();
            for (int i = 0; i < 20; i++) {
                p.send(new ProducerRecord<>("flush-later", new byte[100])).get();
            }
            assertThat(fsyncs() - before).isZero();
            // flush.messages=1: each one is fsynced before its answer, as Kafka does.
            before = fsyncs();
            for (int i = 0; i < 20; i++) {
                p.send(new ProducerRecord<>("flush-each", new byte[100])).get();
            }
            assertThat(fsyncs() - before).isGreaterThanOrEqualTo(20);
        }
    }

    @Test
    void metricsMoveWithTrafficAndGroupLagFallsToZero() throws Exception {
        admin.createTopics(List.of(new NewTopic("ops", 2, (short) 1))).all().get();
        String before = node.metrics();
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
            for (int i = 0; i < 500; i++) {
                p.send(new ProducerRecord<>("ops", i % 2, null, new byte[100]));
            }
            p.flush();
        }
        String afterProduce = node.metrics();
        double producesBefore = sample(before, "strata_requests_seconds_count{api=\"Produce\"}");
        assertThat(sample(afterProduce, "strata_requests_seconds_count{api=\"Produce\"}"))
                .isGreaterThan(Double.isNaN(producesBefore) ? 0 : producesBefore);
        assertThat(sample(afterProduce, "strata_topic_bytes_in_total{topic=\"ops\"}")).isGreaterThan(50_000);
        assertThat(sample(afterProduce, "strata_partition_log_end_offset{partition=\"0\",topic=\"ops\"}")).isEqualTo(250);
        assertThat(sample(afterProduce, "strata_partition_high_watermark{partition=\"1\",topic=\"ops\"}")).isEqualTo(250);
        // acks=all (the producer's default): every acknowledged byte was fsynced, and the fsyncs are counted and timed.
        assertThat(sample(afterProduce, "strata_log_fsync_bytes_total") - orZero(sample(before, "strata_log_fsync_bytes_total")))
                .isGreaterThan(50_000);
        assertThat(sample(afterProduce, "strata_log_fsync_seconds_count") - orZero(sample(before, "strata_log_fsync_seconds_count")))
                .isGreaterThanOrEqualTo(1);
        assertThat(sample(afterProduce, "strata_log_fsync_seconds_sum")).isPositive();
        assertThat(afterProduce).contains("strata_connections_active").contains("strata_metastore_transaction_latency_seconds")
                .contains("jvm_memory_used_bytes");

        // A group that commits halfway has lag; once it has read everything, lag is 0.
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "ops-group"))) {
            c.assign(List.of(new TopicPartition("ops", 0), new TopicPartition("ops", 1)));
            c.commitSync(Map.of(new TopicPartition("ops", 0), new OffsetAndMetadata(100), new TopicPartition("ops", 1), new OffsetAndMetadata(50)));
            String mid = node.metrics();
            assertThat(sample(mid, "strata_group_lag{group=\"ops-group\",partition=\"0\",topic=\"ops\"}")).isEqualTo(150);
            assertThat(sample(mid, "strata_group_lag{group=\"ops-group\",partition=\"1\",topic=\"ops\"}")).isEqualTo(200);
            c.seekToBeginning(List.of(new TopicPartition("ops", 0), new TopicPartition("ops", 1)));
            int read = 0;
            long deadline = System.currentTimeMillis() + 20_000;
            while (read < 500 && System.currentTimeMillis() < deadline) {
                read += c.poll(Duration.ofMillis(200)).count();
            }
            c.commitSync();
        }
        String end = node.metrics();
        assertThat(sample(end, "strata_group_lag{group=\"ops-group\",partition=\"0\",topic=\"ops\"}")).isZero();
        assertThat(sample(end, "strata_group_lag{group=\"ops-group\",partition=\"1\",topic=\"ops\"}")).isZero();
        assertThat(sample(end, "strata_topic_bytes_out_total{topic=\"ops\"}")).isGreaterThan(50_000);
    }

    @Test
    void requestsThatEndWithAnErrorCodeAreCountedByApiAndError() throws Exception {
        admin.createTopics(List.of(new NewTopic("ops-errors", 1, (short) 1))).all().get();
        String series = "strata_request_errors_total{api=\"CreateTopics\",error=\"TOPIC_ALREADY_EXISTS\"}";
        double before = sample(node.metrics(), series);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("ops-errors", 1, (short) 1))).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.TopicExistsException.class);
        }
        String after = node.metrics();
        assertThat(sample(after, series) - (Double.isNaN(before) ? 0 : before)).isEqualTo(2);
        // An error deep in a response (per partition) counts too, under its own API.
        assertThatThrownBy(() -> admin.deleteRecords(Map.of(new TopicPartition("ops-errors", 0),
                org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(1_000))).all().get())
                .hasCauseInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class);
        assertThat(sample(node.metrics(), "strata_request_errors_total{api=\"DeleteRecords\",error=\"OFFSET_OUT_OF_RANGE\"}"))
                .isGreaterThanOrEqualTo(1);
        assertThat(after).doesNotContain("error=\"NONE\"");
    }

    @Test
    void theAdminApiDescribesClusterTopicsGroupsAndSegmentsAndRejectsBadRequests() throws Exception {
        admin.createTopics(List.of(new NewTopic("api-topic", 3, (short) 1))).all().get();
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
            p.send(new ProducerRecord<>("api-topic", 1, null, "x".getBytes())).get();
        }
        admin.alterConsumerGroupOffsets("api-group", Map.of(new TopicPartition("api-topic", 1), new OffsetAndMetadata(0))).all().get();

        JsonNode cluster = http("GET", "/api/cluster").json();
        assertThat(cluster.get("clusterId").asText()).isEqualTo(admin.describeCluster().clusterId().get());
        assertThat(cluster.get("metastore").asText()).startsWith("postgresql://");
        assertThat(cluster.get("controller").get("controllerEpoch").asInt()).isPositive();
        assertThat(cluster.get("nodes").get(0).get("brokerEpoch").asLong()).isPositive();
        assertThat(cluster.get("nodes").get(0).get("state").asText()).isEqualTo("live");
        assertThat(cluster.get("nodes").get(0).get("leaseRemainingMs").asLong()).isPositive();

        JsonNode topic = http("GET", "/api/topics/api-topic").json();
        assertThat(topic.get("partitions")).hasSize(3);
        assertThat(topic.get("partitions").get(1).get("highWatermark").asLong()).isEqualTo(1);
        assertThat(topic.get("partitions").get(1).get("leaderEpoch").asInt()).isZero();
        assertThat(topic.get("partitions").get(1).get("isr")).hasSize(1);
        assertThat(topic.get("configs").get("remote.storage.enable").asText()).isEqualTo("true");
        assertThat(http("GET", "/api/topics").json().findValuesAsText("name")).contains("api-topic");

        JsonNode group = http("GET", "/api/groups/api-group").json();
        assertThat(group.get("offsets").get(0).get("lag").asLong()).isEqualTo(1);
        assertThat(http("GET", "/api/groups").json().findValuesAsText("groupId")).contains("api-group");

        JsonNode segments = http("GET", "/api/topics/api-topic/partitions/1/segments").json();
        assertThat(segments.get("topicId").asText()).isEqualTo(topic.get("id").asText());
        // The id in Kafka's base64 form, as Admin (and the CLI) show it.
        assertThat(topic.get("id").asText()).isEqualTo(admin.describeTopics(List.of("api-topic")).allTopicNames().get()
                .get("api-topic").topicId().toString());
        assertThat(segments.get("segments").isArray()).isTrue();
        // Every partition's manifest in one answer, each as the partition's own answer gives it.
        JsonNode all = http("GET", "/api/topics/api-topic/segments").json();
        assertThat(all.get("topicId").asText()).isEqualTo(topic.get("id").asText());
        assertThat(all.get("objectStore").asText()).isEqualTo(segments.get("objectStore").asText());
        assertThat(all.get("partitions")).hasSize(3);
        assertThat(all.get("partitions").get(1).get("partition").asInt()).isEqualTo(1);
        for (String field : List.of("logStartOffset", "highWatermark", "leader", "segments")) {
            assertThat(all.get("partitions").get(1).get(field)).as(field).isEqualTo(segments.get(field));
        }

        Http bad = http("GET", "/api/topics/api-topic/partitions/one/segments");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).contains("partition must be a number");
        assertThat(http("GET", "/api/topics/nope").status()).isEqualTo(404);
        assertThat(http("GET", "/api/nothing-here").status()).isEqualTo(404);
        Http post = http("POST", "/api/topics");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void readinessFollowsTheObjectStoreAndTheMetaStore() throws Exception {
        assertThat(http("GET", "/ready").status()).isEqualTo(200);
        s3.stopProcess();
        try {
            Http down = http("GET", "/ready");
            assertThat(down.status()).isEqualTo(503);
            assertThat(down.json().get("checks").get("objectStore").asText()).startsWith("unreachable");
        } finally {
            s3.startProcess();
        }
        assertThat(http("GET", "/ready").status()).isEqualTo(200);
        pg.stopProcess();
        try {
            Http down = http("GET", "/ready");
            assertThat(down.status()).isEqualTo(503);
            assertThat(down.json().get("checks").get("metastore").asText()).startsWith("unreachable");
            assertThat(http("GET", "/health").status()).as("alive even when not ready").isEqualTo(200);
        } finally {
            pg.startProcess();
        }
        await("the node ready").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> http("GET", "/ready").status() == 200);
        assertThat(http("GET", "/ready").status()).isEqualTo(200);
    }

    record Cli(int code, String out) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }
    }

    static Cli cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", StrataNode.jar().toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--bootstrap-server", node.bootstrap()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Cli(p.exitValue(), out + err);
    }

    @Test
    void theAdminCliManagesTopicsAndGroups() throws Exception {
        assertThat(cli("topics", "create", "cli-topic", "-p", "3", "-c", "retention.ms=3600000").code()).isZero();
        Cli list = cli("topics", "list");
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains("TOPIC").contains("cli-topic");
        assertThat(cli("topics", "list", "--json").json().findValuesAsText("name")).contains("cli-topic");
        assertThat(cli("topics", "alter", "cli-topic", "-c", "retention.ms=7200000", "-p", "4").code()).isZero();
        JsonNode described = cli("topics", "describe", "cli-topic", "--json").json();
        assertThat(described.get("partitions")).hasSize(4);
        assertThat(described.get("configs").get("retention.ms").asText()).isEqualTo("7200000");
        assertThat(cli("cluster", "--json").json().get("clusterId").asText()).isEqualTo(admin.describeCluster().clusterId().get());

        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
            for (int i = 0; i < 40; i++) {
                p.send(new ProducerRecord<>("cli-topic", i % 4, System.currentTimeMillis(), null, new byte[10]));
            }
            p.flush();
        }
        Map<TopicPartition, OffsetAndMetadata> atEnd = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            atEnd.put(new TopicPartition("cli-topic", i), new OffsetAndMetadata(10));
        }
        admin.alterConsumerGroupOffsets("cli-group", atEnd).all().get();
        assertThat(cli("groups", "list", "--json").json().findValuesAsText("groupId")).contains("cli-group");
        assertThat(cli("groups", "describe", "cli-group").out()).contains("cli-topic").contains("LAG");

        Cli dry = cli("groups", "reset-offsets", "cli-group", "-t", "cli-topic", "--to-earliest", "--dry-run", "--json");
        assertThat(dry.json().get("dryRun").asBoolean()).isTrue();
        assertThat(dry.json().get("offsets").get(0).get("newOffset").asLong()).isZero();
        assertThat(committed("cli-group", 0)).as("a dry run changes nothing").isEqualTo(10);

        assertThat(cli("groups", "reset-offsets", "cli-group", "-t", "cli-topic", "--to-earliest").code()).isZero();
        assertThat(committed("cli-group", 2)).isZero();
        assertThat(cli("groups", "reset-offsets", "cli-group", "-t", "cli-topic", "--to-offset", "7").code()).isZero();
        assertThat(committed("cli-group", 3)).isEqualTo(7);
        Cli beyond = cli("groups", "reset-offsets", "cli-group", "-t", "cli-topic", "--to-offset", "500");
        assertThat(beyond.code()).isZero();
        assertThat(beyond.out()).contains("offset 500 is outside").contains("using 10");
        assertThat(committed("cli-group", 3)).as("clamped to the high watermark, as kafka-consumer-groups does").isEqualTo(10);
        Cli noGroup = cli("groups", "describe", "no-such-group");
        assertThat(noGroup.code()).isEqualTo(1);
        assertThat(noGroup.out()).contains("group 'no-such-group' does not exist");
        assertThat(cli("groups", "reset-offsets", "cli-group", "-t", "cli-topic", "--to-datetime", Instant.now().plusSeconds(3600).toString()).code()).isZero();
        assertThat(committed("cli-group", 1)).as("a time after every record resets to the end").isEqualTo(10);

        try (var consumer = Clients.consumer(node, Map.of("group.id", "live-group"))) {
            consumer.subscribe(List.of("cli-topic"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.assignment().isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(100));
            }
            Cli live = cli("groups", "describe", "live-group");
            assertThat(live.code()).isZero();
            assertThat(live.out()).as("assigned partitions show even before any commit").contains("cli-topic").contains("consumer-live-group");
            Cli busy = cli("groups", "reset-offsets", "live-group", "-t", "cli-topic", "--to-earliest");
            assertThat(busy.code()).isEqualTo(1);
            assertThat(busy.out()).contains("active member(s)");
        }

        assertThat(cli("topics", "delete", "cli-topic").code()).isZero();
        Cli missing = cli("topics", "describe", "cli-topic");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.out().strip().lines().toList()).hasSize(1).first().asString().isEqualTo("strata: topic 'cli-topic' does not exist");
    }

    static long committed(String group, int partition) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                .get(new TopicPartition("cli-topic", partition)).offset();
    }
}
