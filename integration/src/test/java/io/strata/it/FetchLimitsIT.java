package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client cannot make the broker build a response larger than fetch.max.bytes, whatever it asks;
 * a fetch naming no partition (a consumer closing its fetch session) is not parked.
 */
class FetchLimitsIT {
    @TempDir
    static Path dir;
    static StrataNode node;

    @BeforeAll
    static void start() throws Exception {
        node = StrataNode.start(dir.resolve("node"), "fetch.max.bytes=100000");
        try (Admin admin = Clients.admin(node);
             KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("batch.size", 16384, "linger.ms", 5))) {
            admin.createTopics(List.of(new NewTopic("big", 1, (short) 1))).all().get();
            for (int i = 0; i < 200; i++) {
                p.send(new ProducerRecord<>("big", new byte[10_000]));
            }
            p.flush();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
    }

    @Test
    void aFetchAskingForEverythingGetsAtMostFetchMaxBytes() throws Exception {
        FetchRequestData req = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
                .setMaxBytes(Integer.MAX_VALUE).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1);
        req.topics().add(new FetchRequestData.FetchTopic().setTopic("big").setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setLogStartOffset(-1)
                        .setPartitionMaxBytes(Integer.MAX_VALUE))));
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            FetchResponseData resp = (FetchResponseData) c.send(req, (short) 12);
            FetchResponseData.PartitionData pd = resp.responses().get(0).partitions().get(0);
            assertThat(Errors.forCode(pd.errorCode())).isEqualTo(Errors.NONE);
            int size = pd.records().sizeInBytes();
            assertThat(size).as("bytes returned").isPositive().isLessThanOrEqualTo(100_000);
        }
    }

    @Test
    void aFetchNamingNoPartitionIsAnsweredWithoutWaiting() throws Exception {
        // What a closing consumer sends (session epoch -1, nothing to read): Kafka answers it at once, whatever max.wait.ms says.
        FetchRequestData req = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(20_000).setMinBytes(1)
                .setMaxBytes(Integer.MAX_VALUE).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1);
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            long t0 = System.nanoTime();
            FetchResponseData resp = (FetchResponseData) c.send(req, (short) 12);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(Errors.forCode(resp.errorCode())).isEqualTo(Errors.NONE);
            assertThat(resp.responses()).isEmpty();
            assertThat(ms).as("ms to the answer of a fetch with max.wait.ms 20,000 and no partition").isLessThan(10_000);
        }
    }
}
