package io.strata.it;

import io.strata.sdk.Strata;
import io.strata.sdk.StrataClient;
import io.strata.sdk.queue.WorkQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The SDK's point-to-point queue: three workers, one dies mid-stream; every message is processed. */
class WorkQueueIT {
    @TempDir
    Path dir;

    @Test
    void everyMessageIsProcessedWhenAWorkerDiesMidStream() throws Exception {
        int messages = 3000;
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             StrataClient strata = Strata.connect(node.bootstrap())) {
            assertThat(strata.createTopic("jobs", 6, Map.of())).isTrue();
            assertThat(strata.createTopic("jobs", 6, Map.of())).as("second create is a no-op").isFalse();
            try (KafkaProducer<String, String> p = strata.stringProducer()) {
                for (int i = 0; i < messages; i++) {
                    p.send(new ProducerRecord<>("jobs", "job-" + i, "job-" + i));
                }
            }
            Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();
            AtomicInteger poisonAttempts = new AtomicInteger();
            WorkQueue.Handler<String, String> handler = m -> {
                String job = m.value();
                if (job.equals("job-7") && poisonAttempts.incrementAndGet() == 1) {
                    throw new IllegalStateException("transient failure on the first attempt");
                }
                Thread.sleep(1);
                processed.computeIfAbsent(job, k -> new AtomicInteger()).incrementAndGet();
                total.incrementAndGet();
            };
            WorkQueue<String, String> a = strata.queue("jobs", "workers").strings().workers(2).ackTimeout(Duration.ofSeconds(10)).start(handler);
            WorkQueue<String, String> b = strata.queue("jobs", "workers").strings().workers(2).ackTimeout(Duration.ofSeconds(10)).start(handler);
            WorkQueue<String, String> c = strata.queue("jobs", "workers").strings().workers(2).ackTimeout(Duration.ofSeconds(10)).start(handler);
            long deadline = System.currentTimeMillis() + 60_000;
            while (total.get() < messages / 3 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            c.abort();
            while (processed.size() < messages && System.currentTimeMillis() < deadline + 60_000) {
                Thread.sleep(50);
            }
            a.close();
            b.close();
            assertThat(processed).as("every message processed").hasSize(messages);
            long twice = processed.values().stream().filter(n -> n.get() > 1).count();
            System.out.println("WorkQueueIT: " + messages + " messages, " + twice + " processed more than once after a worker died");
            assertThat(poisonAttempts.get()).as("a failed message is delivered again").isGreaterThanOrEqualTo(2);
            assertThat(processed.get("job-7").get()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void aMessageThatAlwaysFailsIsRetriedWithBackoffThenDeadLetteredAndTheQueueMovesOn() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("dlq-node"));
             StrataClient strata = Strata.connect(node.bootstrap())) {
            strata.createTopic("orders", 1, Map.of());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> strata.createTopic("bad", 1, Map.of("retention.ms", "soon")))
                    .as("Kafka's own exception, with the broker's message").isInstanceOf(org.apache.kafka.common.KafkaException.class)
                    .hasMessageContaining("retention.ms");
            try (KafkaProducer<String, String> p = strata.stringProducer()) {
                for (int i = 0; i < 20; i++) {
                    p.send(new ProducerRecord<>("orders", "o-" + i, i == 5 ? "poison" : "order-" + i));
                }
            }
            java.util.List<Long> poisonAttemptsAt = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
            WorkQueue.Handler<byte[], byte[]> handler = m -> {
                String v = new String(m.value(), StandardCharsets.UTF_8);
                if (v.equals("poison")) {
                    poisonAttemptsAt.add(System.nanoTime());
                    throw new IllegalArgumentException("cannot parse order");
                }
                handled.computeIfAbsent(v, k -> new AtomicInteger()).incrementAndGet();
            };
            try (WorkQueue<byte[], byte[]> q = strata.queue("orders", "order-workers").workers(2).maxAttempts(4)
                    .retryBackoff(Duration.ofMillis(100), Duration.ofMillis(400)).start(handler);
                 var dlq = strata.bytesConsumer("dlq-reader")) {
                dlq.subscribe(java.util.List.of("orders.dlq"));
                org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> dead = null;
                long deadline = System.currentTimeMillis() + 60_000;
                while (dead == null && System.currentTimeMillis() < deadline) {
                    for (var r : dlq.poll(Duration.ofMillis(200))) {
                        dead = r;
                    }
                }
                assertThat(dead).as("the poison message reached orders.dlq").isNotNull();
                assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("poison");
                assertThat(new String(dead.headers().lastHeader("strata.dlq.error").value(), StandardCharsets.UTF_8)).contains("cannot parse order");
                assertThat(new String(dead.headers().lastHeader("strata.dlq.attempts").value(), StandardCharsets.UTF_8)).isEqualTo("4");
                assertThat(new String(dead.headers().lastHeader("strata.dlq.offset").value(), StandardCharsets.UTF_8)).isEqualTo("5");
                assertThat(poisonAttemptsAt).as("exactly maxAttempts attempts").hasSize(4);
                long firstGapMs = (poisonAttemptsAt.get(1) - poisonAttemptsAt.get(0)) / 1_000_000;
                long lastGapMs = (poisonAttemptsAt.get(3) - poisonAttemptsAt.get(2)) / 1_000_000;
                assertThat(firstGapMs).as("retries wait").isGreaterThanOrEqualTo(90);
                assertThat(lastGapMs).as("and the wait grows").isGreaterThanOrEqualTo(350);
                assertThat(handled).hasSize(19);
                // The producer's acknowledgement may reach the queue after the consumer above saw the record.
                long until = System.currentTimeMillis() + 10_000;
                while (q.deadLettered() < 1 && System.currentTimeMillis() < until) {
                    Thread.sleep(20);
                }
                assertThat(q.deadLettered()).isEqualTo(1);
                deadline = System.currentTimeMillis() + 30_000;
                long committed = -1;
                while (committed < 20 && System.currentTimeMillis() < deadline) {
                    var o = strata.admin().listConsumerGroupOffsets("order-workers").partitionsToOffsetAndMetadata().get()
                            .get(new org.apache.kafka.common.TopicPartition("orders", 0));
                    committed = o == null ? -1 : o.offset();
                    Thread.sleep(100);
                }
                assertThat(committed).as("the committed offset moved past the dead-lettered message").isEqualTo(20);
            }
        }
    }

    /** A value type for the typed queue. */
    public record Order(String id, int amount) {
    }

    @Test
    void aTypedQueueDecodesValuesAndSendsAnUndecodableMessageStraightToTheDeadLetterTopic() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("typed-node"));
             StrataClient strata = Strata.connect(node.bootstrap())) {
            strata.createTopic("typed-orders", 1, Map.of());
            try (KafkaProducer<String, Order> p = strata.jsonProducer(Order.class);
                 KafkaProducer<String, String> raw = strata.stringProducer()) {
                p.send(new ProducerRecord<>("typed-orders", "o-0", new Order("o-0", 10))).get();
                raw.send(new ProducerRecord<>("typed-orders", "o-1", "{not json")).get();
                p.send(new ProducerRecord<>("typed-orders", "o-2", new Order("o-2", 32))).get();
            }
            Map<String, Integer> amounts = new ConcurrentHashMap<>();
            AtomicInteger calls = new AtomicInteger();
            try (WorkQueue<String, Order> q = strata.queue("typed-orders", "typed-workers").json(Order.class).maxAttempts(5)
                    .start(m -> {
                        calls.incrementAndGet();
                        amounts.put(m.key(), m.value().amount());
                    })) {
                await("two orders settled and one dead-lettered").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> amounts.size() >= 2 && q.deadLettered() >= 1);
                assertThat(amounts).containsExactlyInAnyOrderEntriesOf(Map.of("o-0", 10, "o-2", 32));
                assertThat(q.deadLettered()).as("the undecodable message went to the dead-letter topic").isEqualTo(1);
                assertThat(calls.get()).as("the handler never saw it").isEqualTo(2);
            }
            try (var dlq = strata.bytesConsumer("typed-dlq-reader")) {
                dlq.subscribe(java.util.List.of("typed-orders.dlq"));
                org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> dead = null;
                long deadline = System.currentTimeMillis() + 30_000;
                while (dead == null && System.currentTimeMillis() < deadline) {
                    for (var r : dlq.poll(Duration.ofMillis(200))) {
                        dead = r;
                    }
                }
                assertThat(dead).isNotNull();
                assertThat(new String(dead.value(), StandardCharsets.UTF_8)).as("bytes unchanged").isEqualTo("{not json");
                assertThat(new String(dead.headers().lastHeader("strata.dlq.attempts").value(), StandardCharsets.UTF_8))
                        .as("not retried").isEqualTo("1");
                assertThat(new String(dead.headers().lastHeader("strata.dlq.error").value(), StandardCharsets.UTF_8))
                        .contains("cannot deserialise");
            }
        }
    }
}
