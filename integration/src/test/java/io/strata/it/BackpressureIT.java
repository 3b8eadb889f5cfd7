package io.strata.it;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that pipelines requests faster than they are answered gets its reads paused (Netty
 * autoRead off) instead of making the broker queue without bound, and resumed as answers go out.
 */
class BackpressureIT extends SharedNode {
    @Test
    void aConnectionWithTooManyUnansweredRequestsIsPausedThenResumed() throws Exception {
        admin.createTopics(List.of(new NewTopic("quiet", 1, (short) 1))).all().get();
        FetchRequestData waitLong = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(3000).setMinBytes(1_000_000)
                .setMaxBytes(1 << 20).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1);
        waitLong.topics().add(new FetchRequestData.FetchTopic().setTopic("quiet").setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setLogStartOffset(-1).setPartitionMaxBytes(1 << 20))));
        int requests = 150;
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            c.setReadTimeoutMs(60_000);
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                ids.add(c.write(waitLong, (short) 12));
            }
            await("the connection's reads paused").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> node.metric("strata_connections_paused") >= 1);
            assertThat(node.metric("strata_connections_paused")).as("the connection's reads are paused").isEqualTo(1.0);
            for (int id : ids) {
                FetchResponseData r = (FetchResponseData) c.read(ApiKeys.FETCH, (short) 12, id);
                assertThat(Errors.forCode(r.responses().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.NONE);
            }
        }
        assertThat(node.metric("strata_connections_paused")).as("resumed once answered").isZero();
        assertThat(node.metric("strata_connections_pauses_total")).isGreaterThanOrEqualTo(1.0);
    }
}
