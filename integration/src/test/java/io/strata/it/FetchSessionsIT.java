package io.strata.it;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Incremental fetch sessions (KIP-227) with a real kafka-clients consumer and over the raw
 * protocol: a consumer of many partitions opens one session and then sends fetches that name only
 * what changed; an incremental fetch waits on every partition of its session and answers only the
 * partitions with something new; closing the consumer closes its session.
 */
class FetchSessionsIT extends SharedNode {
    private static final int PARTITIONS = 300;

    @Test
    void aConsumerOfManyPartitionsReadsEverythingThroughOneSessionWhoseFetchesNameOnlyWhatChanged() throws Exception {
        admin.createTopics(List.of(new NewTopic("wide", PARTITIONS, (short) 1))).all().get();
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            tps.add(new TopicPartition("wide", p));
        }
        int records = 3000;
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("fetch.max.wait.ms", 100))) {
            c.assign(tps);
            c.seekToBeginning(tps);
            c.poll(Duration.ofMillis(300));
            // Sent while the consumer fetches, so its session sees data arrive on partitions one after another.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("linger.ms", 1))) {
                    for (int i = 0; i < records; i++) {
                        p.send(new ProducerRecord<>("wide", (i * 7) % PARTITIONS, null, Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
                        if (i % 500 == 0) {
                            p.flush();
                        }
                    }
                }
            });
            Set<Integer> seen = new HashSet<>();
            Map<Integer, Long> nextOffset = new HashMap<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (seen.size() < records && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    assertThat(seen.add(Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8)))).as("read once: " + r).isTrue();
                    assertThat(r.offset()).as("offsets in order on " + r.partition()).isEqualTo(nextOffset.getOrDefault(r.partition(), 0L));
                    nextOffset.put(r.partition(), r.offset() + 1);
                }
            }
            sent.get();
            assertThat(seen).hasSize(records);
            assertThat(node.metric("strata_fetch_sessions")).as("sessions open").isEqualTo(1.0);

            // Caught up and quiet: every fetch reads all 300 partitions, and names none of them.
            double[] before = brokerConnection(c);
            long idleUntil = System.currentTimeMillis() + 2000;
            while (System.currentTimeMillis() < idleUntil) {
                assertThat(c.poll(Duration.ofMillis(200))).isEmpty();
            }
            double[] after = brokerConnection(c);
            double requests = after[1] - before[1];
            assertThat(requests).as("fetches while idle").isGreaterThanOrEqualTo(5);
            // A full fetch of 300 partitions is about 10 KB (32 bytes a partition); an incremental one a few dozen bytes.
            assertThat((after[0] - before[0]) / requests).as("bytes per request while idle").isLessThan(500);
            assertThat((after[2] - before[2]) / requests).as("bytes per response while idle").isLessThan(500);
            // Caught up, the consumer fetches every partition (one with data in hand is left out of its fetches meanwhile).
            assertThat(node.metric("strata_fetch_sessions_partitions")).as("partitions in the session").isEqualTo(PARTITIONS);
        }
        // The consumer's close ends its session (a fetch of epoch -1).
        await("no fetch session left open").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> node.metric("strata_fetch_sessions") <= 0);
        assertThat(node.metric("strata_fetch_sessions")).as("sessions open after close").isZero();
    }

    /** Bytes sent, requests sent and bytes received on the consumer's connection to the broker (not the bootstrap one). */
    private static double[] brokerConnection(KafkaConsumer<byte[], byte[]> c) {
        double[] out = new double[3];
        for (Map.Entry<MetricName, ? extends Metric> e : c.metrics().entrySet()) {
            MetricName n = e.getKey();
            String nodeId = n.tags().get("node-id");
            if (!n.group().equals("consumer-node-metrics") || nodeId == null || nodeId.startsWith("node--")) {
                continue;
            }
            double v = ((Number) e.getValue().metricValue()).doubleValue();
            switch (n.name()) {
                case "outgoing-byte-total" -> out[0] += v;
                case "request-total" -> out[1] += v;
                case "incoming-byte-total" -> out[2] += v;
                default -> { }
            }
        }
        return out;
    }

    private static FetchRequestData fetch(int sessionId, int epoch, int maxWaitMs) {
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(1).setMaxBytes(1 << 20)
                .setIsolationLevel((byte) 0).setSessionId(sessionId).setSessionEpoch(epoch);
    }

    private static FetchRequestData.FetchPartition partition(int p, long offset) {
        return new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(offset).setLogStartOffset(-1).setPartitionMaxBytes(1 << 20);
    }

    private static List<Integer> answered(FetchResponseData resp) {
        List<Integer> out = new ArrayList<>();
        resp.responses().forEach(t -> t.partitions().forEach(p -> out.add(p.partitionIndex())));
        return out;
    }

    @Test
    void anIncrementalFetchWaitsOnEveryPartitionOfItsSessionAndAnswersOnlyWhatIsNew() throws Exception {
        admin.createTopics(List.of(new NewTopic("pair", 2, (short) 1))).all().get();
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of());
             RawKafkaConnection conn = new RawKafkaConnection(node.port())) {
            p.send(new ProducerRecord<>("pair", 0, null, "a".getBytes())).get();
            p.send(new ProducerRecord<>("pair", 1, null, "b".getBytes())).get();

            FetchRequestData full = fetch(0, 0, 0);
            full.topics().add(new FetchRequestData.FetchTopic().setTopic("pair").setPartitions(List.of(partition(0, 1), partition(1, 1))));
            FetchResponseData opened = (FetchResponseData) conn.send(full, (short) 12);
            int session = opened.sessionId();
            assertThat(session).as("session id").isNotZero();
            assertThat(answered(opened)).containsExactly(0, 1);

            // Names no partition, so it can only be woken by an append to one of the session's.
            CompletableFuture<Void> append = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(500);
                    p.send(new ProducerRecord<>("pair", 1, null, "c".getBytes())).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            FetchResponseData woken = (FetchResponseData) conn.send(fetch(session, 1, 8000), (short) 12);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            append.get();
            assertThat(Errors.forCode(woken.errorCode())).isEqualTo(Errors.NONE);
            assertThat(woken.sessionId()).isEqualTo(session);
            assertThat(answered(woken)).as("only the partition with new data").containsExactly(1);
            assertThat(woken.responses().get(0).partitions().get(0).records().sizeInBytes()).isPositive();
            assertThat(ms).as("ms until the append woke the fetch (max.wait.ms 8,000)").isLessThan(6000);

            // The client moves partition 1 on; nothing else is new.
            FetchRequestData moved = fetch(session, 2, 0);
            moved.topics().add(new FetchRequestData.FetchTopic().setTopic("pair").setPartitions(List.of(partition(1, 2))));
            FetchResponseData quiet = (FetchResponseData) conn.send(moved, (short) 12);
            assertThat(Errors.forCode(quiet.errorCode())).isEqualTo(Errors.NONE);
            assertThat(answered(quiet)).isEmpty();

            // An epoch already used is refused.
            FetchResponseData stale = (FetchResponseData) conn.send(fetch(session, 2, 0), (short) 12);
            assertThat(Errors.forCode(stale.errorCode())).isEqualTo(Errors.INVALID_FETCH_SESSION_EPOCH);

            // Epoch -1 closes it: answered at once, without a session, and the id is gone.
            t0 = System.nanoTime();
            FetchResponseData closed = (FetchResponseData) conn.send(fetch(session, -1, 8000), (short) 12);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("ms to the answer of the closing fetch (max.wait.ms 8,000)").isLessThan(4000);
            assertThat(closed.sessionId()).isZero();
            FetchResponseData gone = (FetchResponseData) conn.send(fetch(session, 3, 0), (short) 12);
            assertThat(Errors.forCode(gone.errorCode())).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
        }
    }
}
