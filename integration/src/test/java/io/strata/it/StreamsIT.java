package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka Streams 4.4 (as its own process) against a Strata node: a word count whose state store
 * Streams backs with a compacted changelog topic, and a repartition topic it purges with
 * DeleteRecords. The counts are exact; after a clean stop the local state is wiped, more input
 * arrives, and the restarted application restores its store from the changelog and keeps
 * counting exactly (processing.guarantee=at_least_once). With exactly_once_v2 the application is
 * killed with SIGKILL several times while its input flows: the counts still come out exact, and a
 * read_committed consumer of the output sees every word's count go up by one at a time, never a
 * count from a transaction that was aborted by a kill.
 */
class StreamsIT {
    private static final List<String> WORDS = List.of("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
            "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa");

    @TempDir
    Path dir;

    private static Process start(StrataNode node, Path stateDir, Path log) throws Exception {
        return start(node, stateDir, log, "at_least_once");
    }

    private static Process start(StrataNode node, Path stateDir, Path log, String guarantee) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "io.strata.it.streams.WordCountApp", node.bootstrap(), stateDir.toString(),
                guarantee);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static void stop(Process p) throws Exception {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private static void produceLines(StrataNode node, int n, Map<String, Long> expected, Random random) throws Exception {
        produceLines(node, n, expected, random, WORDS.size());
    }

    /** {@code n} lines of five words drawn from the first {@code vocabulary} words. */
    private static void produceLines(StrataNode node, int n, Map<String, Long> expected, Random random, int vocabulary) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("acks", "all"))) {
            for (int i = 0; i < n; i++) {
                List<String> line = new ArrayList<>();
                for (int w = 0; w < 5; w++) {
                    String word = WORDS.get(random.nextInt(vocabulary));
                    line.add(word);
                    expected.merge(word, 1L, Long::sum);
                }
                p.send(new ProducerRecord<>("words-in", ("line-" + i).getBytes(), String.join(" ", line).getBytes()));
            }
            p.flush();
        }
    }

    /** The latest count of each word in words-out, once it equals {@code expected}, or what it was at the deadline. */
    private static Map<String, Long> awaitCounts(StrataNode node, Map<String, Long> expected, Path log) throws Exception {
        return awaitCounts(node, expected, log, "read_uncommitted");
    }

    /**
     * As above, read at {@code isolation}. Exactly-once output must be awaited read_committed: a
     * read_uncommitted reader also sees the counts of a killed instance's open transaction, which
     * is then aborted, and would let the test stop the next instance before it redid that work.
     */
    private static Map<String, Long> awaitCounts(StrataNode node, Map<String, Long> expected, Path log, String isolation) throws Exception {
        Map<String, Long> latest = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("isolation.level", isolation))) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor("words-out").forEach(pi -> parts.add(new TopicPartition("words-out", pi.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    latest.put(new String(r.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(r.value()).getLong());
                }
                if (latest.equals(expected)) {
                    return latest;
                }
            }
        }
        throw new AssertionError("counts " + latest + " never reached " + expected + "\n" + Files.readString(log));
    }

    /** Waits until the application's log says it reached RUNNING {@code times} times (so a kill lands while it processes). */
    private static void awaitRunning(Path log, int times) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.split("-> RUNNING", -1).length - 1 >= times) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the application did not reach RUNNING " + times + " times");
    }

    /** How many times the node's log cleaner has rewritten segments of the counts changelog. */
    private static int cleanerPasses(StrataNode node) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("wordcount-counts-changelog-\\d+: log cleaner rewrote").matcher(node.log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void aWordCountIsExactAndItsStoreIsRestoredFromTheCompactedChangelog() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"), "log.cleaner.backoff.ms=1000");
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("words-in", 3, (short) 1), new NewTopic("words-out", 3, (short) 1))).all().get();
            Map<String, Long> expected = new HashMap<>();
            Random random = new Random(42);
            produceLines(node, 2000, expected, random);
            Path log = dir.resolve("streams.log");
            Process app = start(node, dir.resolve("state"), log);
            try {
                assertThat(awaitCounts(node, expected, log)).isEqualTo(expected);
                // Then only half the words: the other half's latest counts stay behind in segments the cleaner compacts.
                int cleanedBefore = cleanerPasses(node);
                produceLines(node, 3000, expected, random, WORDS.size() / 2);
                assertThat(awaitCounts(node, expected, log)).isEqualTo(expected);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (cleanerPasses(node) <= cleanedBefore) {
                    assertThat(System.nanoTime()).as("the log cleaner compacted the changelog").isLessThan(deadline);
                    Thread.sleep(300);
                }
            } finally {
                stop(app);
            }
            ConfigResource changelog = new ConfigResource(ConfigResource.Type.TOPIC, "wordcount-counts-changelog");
            Config config = admin.describeConfigs(List.of(changelog)).all().get().get(changelog);
            assertThat(config.get("cleanup.policy").value()).as("Streams made its changelog compacted").isEqualTo("compact");

            // The local state is lost; the restarted application restores it from the changelog.
            // (Without the restore, the counts would start again from zero and never reach the totals.)
            try (var paths = Files.walk(dir.resolve("state"))) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            produceLines(node, 1000, expected, random);
            Process again = start(node, dir.resolve("state"), log);
            try {
                assertThat(awaitCounts(node, expected, log)).isEqualTo(expected);
            } finally {
                stop(again);
            }
            System.out.printf("streams: %d words counted exactly across a restart restored from the compacted changelog%n",
                    expected.values().stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void exactlyOnceCountsStayExactAcrossSigkills() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"), "transaction.abort.timed.out.transaction.cleanup.interval.ms=1000");
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("words-in", 3, (short) 1), new NewTopic("words-out", 3, (short) 1))).all().get();
            Map<String, Long> expected = new HashMap<>();
            Random random = new Random(7);
            Path log = dir.resolve("streams-eos.log");
            Process app = start(node, dir.resolve("state-eos"), log, "exactly_once_v2");
            java.util.concurrent.atomic.AtomicInteger kills = new java.util.concurrent.atomic.AtomicInteger();
            // Input flows until two seconds after the last SIGKILL: each kill lands while the application is counting, with
            // a transaction open, and the last instance has input of its own to count after it has redone the killed work.
            java.util.concurrent.CompletableFuture<Void> input = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    int afterLastKill = 0;
                    for (int chunk = 0; chunk < 600 && afterLastKill < 20; chunk++) {
                        produceLines(node, 50, expected, random);
                        Thread.sleep(100);
                        if (kills.get() == 3) {
                            afterLastKill++;
                        }
                    }
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            try {
                for (int round = 0; round < 3; round++) {
                    awaitRunning(log, round + 1);
                    Thread.sleep(1500);
                    // SIGKILL mid-stream: its open transaction must be aborted, its state rebuilt, nothing counted twice.
                    app.destroyForcibly().waitFor();
                    kills.incrementAndGet();
                    app = start(node, dir.resolve("state-eos"), log, "exactly_once_v2");
                }
                awaitRunning(log, 4);
                input.get(120, TimeUnit.SECONDS);
                assertThat(awaitCounts(node, expected, log, "read_committed")).isEqualTo(expected);
            } finally {
                stop(app);
            }
            // Every count a read_committed reader saw went up by exactly one: no aborted or repeated output got through.
            Map<String, List<Long>> history = new HashMap<>();
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("isolation.level", "read_committed"));
                 KafkaConsumer<byte[], byte[]> uncommitted = Clients.consumer(node, Map.of())) {
                List<TopicPartition> parts = new ArrayList<>();
                c.partitionsFor("words-out").forEach(pi -> parts.add(new TopicPartition("words-out", pi.partition())));
                c.assign(parts);
                c.seekToBeginning(parts);
                // Every transaction gets decided (the last instance's open one, if its stop left it open, by its timeout):
                // the stable end (what read_committed may read) must reach the log end, which a marker may still move.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Map<TopicPartition, Long> stableEnds = c.endOffsets(parts);
                Map<TopicPartition, Long> logEnds = uncommitted.endOffsets(parts);
                while (!stableEnds.equals(logEnds) && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    stableEnds = c.endOffsets(parts);
                    logEnds = uncommitted.endOffsets(parts);
                }
                assertThat(stableEnds).as("read_committed end offsets (the last stable offsets) reach the log ends; node log:\n"
                        + node.log().lines().filter(l -> l.contains("ransaction") || l.contains("marker")).reduce("", (a, b) -> a + b + "\n"))
                        .isEqualTo(logEnds);
                Map<TopicPartition, Long> ends = logEnds;
                // Its own deadline: deciding the transactions above may take most of theirs (suites 9 and 19 read a prefix).
                long readDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < readDeadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                        history.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                                .add(ByteBuffer.wrap(r.value()).getLong());
                    }
                }
                assertThat(parts).as("the history was read to the log ends").allMatch(tp -> c.position(tp) >= ends.get(tp));
            }
            history.forEach((word, counts) -> {
                for (int i = 0; i < counts.size(); i++) {
                    assertThat(counts.get(i)).as("count %d of %s", i + 1, word).isEqualTo(i + 1L);
                }
                assertThat((long) counts.size()).as("updates of %s", word).isEqualTo(expected.get(word));
            });
            System.out.printf("streams exactly_once_v2: %d words counted exactly across %d SIGKILLs of the application%n",
                    expected.values().stream().mapToLong(Long::longValue).sum(), kills.get());
        }
    }
}
