package io.strata.it;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Session expiry of a silent member, and static membership surviving a restart without a rebalance. */
class GroupMembershipIT extends SharedNode {
    @Test
    void aMemberThatStopsHeartbeatingIsExpelledAndItsPartitionsMove() throws Exception {
        admin.createTopics(List.of(new NewTopic("silent", 2, (short) 1))).all().get();
        List<TopicPartition> all = List.of(new TopicPartition("silent", 0), new TopicPartition("silent", 1));
        try (RawKafkaConnection raw = new RawKafkaConnection(node.port())) {
            JoinGroupRequestData join = new JoinGroupRequestData().setGroupId("silent-group").setSessionTimeoutMs(6000)
                    .setRebalanceTimeoutMs(6000).setMemberId("").setProtocolType("consumer");
            join.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(
                    Utils.toArray(ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(List.of("silent"))))));
            JoinGroupResponseData first = (JoinGroupResponseData) raw.send(join, (short) 5);
            assertThat(first.errorCode()).isEqualTo(Errors.MEMBER_ID_REQUIRED.code());
            JoinGroupResponseData joined = (JoinGroupResponseData) raw.send(join.setMemberId(first.memberId()), (short) 5);
            assertThat(joined.errorCode()).isZero();
            assertThat(joined.leader()).isEqualTo(first.memberId());
            SyncGroupRequestData sync = new SyncGroupRequestData().setGroupId("silent-group").setGenerationId(joined.generationId())
                    .setMemberId(first.memberId());
            sync.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(first.memberId())
                    .setAssignment(Utils.toArray(ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(all)))));
            assertThat(((SyncGroupResponseData) raw.send(sync, (short) 3)).errorCode()).isZero();
            // From here on the raw member is silent: no heartbeat, no rejoin.

            Set<TopicPartition> assigned = new HashSet<>();
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(node, Map.of(ConsumerConfig.GROUP_ID_CONFIG, "silent-group"))) {
                consumer.subscribe(List.of("silent"));
                long deadline = System.currentTimeMillis() + 40_000;
                while (System.currentTimeMillis() < deadline && consumer.assignment().size() < 2) {
                    consumer.poll(Duration.ofMillis(200));
                }
                assigned.addAll(consumer.assignment());
                assertThat(admin.describeConsumerGroups(List.of("silent-group")).all().get().get("silent-group").members()).hasSize(1);
            }
            assertThat(assigned).containsExactlyInAnyOrderElementsOf(all);
            assertThat(node.log()).contains("expired after 6000 ms without a heartbeat");
        }
    }

    @Test
    void aStaticMemberRestartingWithinItsSessionKeepsItsPartitionsWithoutARebalance() throws Exception {
        admin.createTopics(List.of(new NewTopic("static", 4, (short) 1))).all().get();
        AtomicInteger rebalancesSeenByA = new AtomicInteger();
        Map<String, Object> common = Map.of(ConsumerConfig.GROUP_ID_CONFIG, "static-group",
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        try (KafkaConsumer<byte[], byte[]> a = Clients.consumer(node, with(common, "a"))) {
            a.subscribe(List.of("static"), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        rebalancesSeenByA.incrementAndGet();
                    }
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            Set<TopicPartition> firstB;
            try (KafkaConsumer<byte[], byte[]> b = Clients.consumer(node, with(common, "b"))) {
                b.subscribe(List.of("static"));
                pollUntil(List.of(a, b), () -> a.assignment().size() == 2 && b.assignment().size() == 2);
                firstB = new HashSet<>(b.assignment());
                rebalancesSeenByA.set(0);
            }
            // A static member's close sends no LeaveGroup: its slot waits for it until the session times out.
            try (KafkaConsumer<byte[], byte[]> b2 = Clients.consumer(node, with(common, "b"))) {
                b2.subscribe(List.of("static"));
                pollUntil(List.of(a, b2), () -> b2.assignment().size() == 2);
                assertThat(b2.assignment()).isEqualTo(firstB);
                assertThat(a.assignment()).hasSize(2);
                assertThat(rebalancesSeenByA.get()).as("A saw no rebalance").isZero();
            }
        }
    }

    private static Map<String, Object> with(Map<String, Object> common, String instance) {
        Map<String, Object> m = new java.util.HashMap<>(common);
        m.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
        return m;
    }

    private static void pollUntil(List<KafkaConsumer<byte[], byte[]>> consumers, java.util.function.BooleanSupplier done) {
        long deadline = System.currentTimeMillis() + 40_000;
        while (System.currentTimeMillis() < deadline && !done.getAsBoolean()) {
            for (KafkaConsumer<byte[], byte[]> c : consumers) {
                c.poll(Duration.ofMillis(50));
            }
        }
        assertThat(done.getAsBoolean()).as("condition reached within 40 s").isTrue();
    }
}
