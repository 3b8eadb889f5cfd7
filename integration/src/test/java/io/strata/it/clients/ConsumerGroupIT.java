package io.strata.it.clients;

import io.strata.it.Clients;
import io.strata.it.SharedNode;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Consumer groups with every kafka-clients assignor; committed offsets across a broker restart. */
class ConsumerGroupIT extends SharedNode {
    /** A consumer polling on its own thread, recording its assignment and what it received. */
    static final class Member implements AutoCloseable {
        final KafkaConsumer<byte[], byte[]> consumer;
        final Set<TopicPartition> assigned = new CopyOnWriteArraySet<>();
        final Map<TopicPartition, Set<Long>> received;
        final Thread thread;
        volatile boolean running = true;

        Member(String group, String topic, String assignor, Map<TopicPartition, Set<Long>> received) {
            this.received = received;
            this.consumer = Clients.consumer(node, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                    ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor,
                    ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500));
            this.thread = new Thread(() -> {
                consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        assigned.removeAll(partitions);
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        assigned.addAll(partitions);
                    }

                    @Override
                    public void onPartitionsLost(Collection<TopicPartition> partitions) {
                        assigned.removeAll(partitions);
                    }
                });
                try {
                    while (running) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                            received.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> ConcurrentHashMap.newKeySet()).add(r.offset());
                        }
                        consumer.commitAsync();
                    }
                } catch (WakeupException e) {
                    // closing
                } finally {
                    consumer.close(Duration.ofSeconds(5));
                }
            }, "consumer-" + assignor);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(15_000);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "org.apache.kafka.clients.consumer.RangeAssignor",
            "org.apache.kafka.clients.consumer.RoundRobinAssignor",
            "org.apache.kafka.clients.consumer.StickyAssignor",
            "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"})
    void threeConsumersShareSixPartitionsAndTwoTakeOverWhenOneLeaves(String assignor) throws Exception {
        String name = assignor.substring(assignor.lastIndexOf('.') + 1).toLowerCase();
        String topic = "group-" + name;
        admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get();
        produce(topic, 0, 600);
        Map<TopicPartition, Set<Long>> received = new ConcurrentHashMap<>();
        Member a = new Member("g-" + name, topic, assignor, received);
        Member b = new Member("g-" + name, topic, assignor, received);
        Member c = new Member("g-" + name, topic, assignor, received);
        try {
            await("each of 6 partitions assigned exactly once over 3 members", () -> exactlyOnce(List.of(a, b, c), 6)
                    && !a.assigned.isEmpty() && !b.assigned.isEmpty() && !c.assigned.isEmpty());
            await("the first 600 records consumed", () -> count(received) == 600);

            c.close();
            await("the remaining two members own all 6 partitions", () -> exactlyOnce(List.of(a, b), 6));
            produce(topic, 600, 600);
            await("records produced after the leave are consumed", () -> count(received) == 1200);
            ConsumerGroupDescription desc = admin.describeConsumerGroups(List.of("g-" + name)).all().get().get("g-" + name);
            assertThat(desc.members()).hasSize(2);
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }

    @Test
    void committedOffsetsSurviveABrokerRestart() throws Exception {
        String topic = "restart-offsets";
        admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        produce(topic, 0, 100);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "durable"))) {
            c.assign(List.of(p0, p1));
            c.commitSync(Map.of(p0, new OffsetAndMetadata(17, "seventeen"), p1, new OffsetAndMetadata(23)));
        }
        node.restart();
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "durable"))) {
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(Set.of(p0, p1));
            assertThat(committed.get(p0).offset()).isEqualTo(17);
            assertThat(committed.get(p0).metadata()).isEqualTo("seventeen");
            assertThat(committed.get(p1).offset()).isEqualTo(23);
            c.assign(List.of(p0));
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 10_000;
            while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got).isNotEmpty();
            assertThat(got.get(0).offset()).as("consumption resumes at the committed offset").isEqualTo(17);
        }
        Map<TopicPartition, OffsetAndMetadata> viaAdmin = admin.listConsumerGroupOffsets("durable").partitionsToOffsetAndMetadata().get();
        assertThat(viaAdmin.get(p1).offset()).isEqualTo(23);
        assertThat(admin.listConsumerGroups().all().get()).anyMatch(l -> l.groupId().equals("durable"));
        admin.deleteConsumerGroups(List.of("durable")).all().get();
        assertThat(admin.listConsumerGroupOffsets("durable").partitionsToOffsetAndMetadata().get()).isEmpty();
    }

    private static void produce(String topic, int from, int count) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
            for (int i = from; i < from + count; i++) {
                p.send(new ProducerRecord<>(topic, i % 6 % partitionsOf(topic), null, ("v" + i).getBytes()));
            }
            p.flush();
        }
    }

    private static int partitionsOf(String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    }

    private static boolean exactlyOnce(List<Member> members, int partitions) {
        List<TopicPartition> all = new ArrayList<>();
        members.forEach(m -> all.addAll(m.assigned));
        return all.size() == partitions && new HashSet<>(all).size() == partitions;
    }

    private static int count(Map<TopicPartition, Set<Long>> received) {
        return received.values().stream().mapToInt(Set::size).sum();
    }

    private static void await(String what, BooleanSupplier condition) {
        org.awaitility.Awaitility.await(what).atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(100)).until(condition::getAsBoolean);
    }
}
