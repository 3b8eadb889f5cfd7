package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Long-polling fetches, and topic auto-creation with its partition count and its off switch. */
class FetchAndAutoCreateIT {
    @TempDir
    Path dir;

    private static FetchRequestData fetch(String topic, int maxWaitMs) {
        FetchRequestData req = new FetchRequestData().setMaxWaitMs(maxWaitMs).setMinBytes(1).setMaxBytes(1 << 20).setReplicaId(-1);
        req.topics().add(new FetchRequestData.FetchTopic().setTopic(topic).setPartitions(new ArrayList<>(List.of(
                new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
        return req;
    }

    @Test
    void aWaitingFetchWakesWhenDataArrivesAndOtherwiseWaitsItsMaxWait() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node);
             KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of());
             RawKafkaConnection raw = new RawKafkaConnection(node.port())) {
            admin.createTopics(List.of(new NewTopic("waiting", 1, (short) 1))).all().get();

            long t0 = System.nanoTime();
            FetchResponseData empty = (FetchResponseData) raw.send(fetch("waiting", 400), (short) 12);
            long emptyMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(empty.responses().get(0).partitions().get(0).records().sizeInBytes()).isZero();
            assertThat(emptyMs).as("an empty fetch waits for max_wait_ms").isGreaterThanOrEqualTo(350);

            CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(500);
                    producer.send(new ProducerRecord<>("waiting", "wake".getBytes())).get();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long t1 = System.nanoTime();
            FetchResponseData woken = (FetchResponseData) raw.send(fetch("waiting", 20_000), (short) 12);
            long wokenMs = (System.nanoTime() - t1) / 1_000_000;
            later.get();
            assertThat(woken.responses().get(0).partitions().get(0).records().sizeInBytes()).isPositive();
            assertThat(wokenMs).as("answered when the record arrived, not at max_wait_ms").isLessThan(15_000);
        }
    }

    /**
     * CreateTopics answers once the topic is placed; the node must serve it from then on, even
     * when the cluster round that placed it has not yet applied the roles (a raw client does not
     * retry NOT_LEADER_OR_FOLLOWER the way kafka-clients does).
     */
    @Test
    void aFetchRightAfterCreateTopicsIsServed() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node);
             RawKafkaConnection raw = new RawKafkaConnection(node.port())) {
            List<String> refused = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String topic = "fresh-" + i;
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
                FetchResponseData r = (FetchResponseData) raw.send(fetch(topic, 0), (short) 12);
                Errors e = Errors.forCode(r.responses().get(0).partitions().get(0).errorCode());
                if (e != Errors.NONE) {
                    refused.add(topic + ": " + e);
                }
            }
            assertThat(refused).as("fetches refused right after their topic was created").isEmpty();
        }
    }

    @Test
    void autoCreationUsesTheDefaultPartitionCountAndCanBeSwitchedOff() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("on"), "num.partitions=4");
             KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of())) {
            producer.send(new ProducerRecord<>("born-on-first-use", "x".getBytes())).get();
            assertThat(producer.partitionsFor("born-on-first-use")).hasSize(4);
        }
        try (StrataNode node = StrataNode.start(dir.resolve("off"), "auto.create.topics.enable=false");
             KafkaProducer<byte[], byte[]> producer = Clients.producer(node, Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000));
             Admin admin = Clients.admin(node);
             RawKafkaConnection raw = new RawKafkaConnection(node.port())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("never-made", "x".getBytes())).get())
                    .hasCauseInstanceOf(TimeoutException.class);
            MetadataResponseData md = (MetadataResponseData) raw.send(new MetadataRequestData().setTopics(new ArrayList<>(List.of(
                    new MetadataRequestData.MetadataRequestTopic().setName("never-made")))).setAllowAutoTopicCreation(true), (short) 12);
            assertThat(md.topics().find("never-made").errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            assertThat(admin.listTopics().names().get()).doesNotContain("never-made");
        }
    }
}
