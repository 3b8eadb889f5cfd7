package io.strata.it.clients;

import io.strata.it.Clients;
import io.strata.it.SharedNode;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Topic administration through kafka-clients' Admin. */
class TopicAdminIT extends SharedNode {
    @Test
    void createDescribeListAlterExtendAndDelete() throws Exception {
        admin.createTopics(List.of(new NewTopic("orders", 3, (short) 1).configs(Map.of("retention.ms", "60000")))).all().get();
        assertThat(admin.listTopics().names().get()).contains("orders");

        TopicDescription d = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
        assertThat(d.partitions()).hasSize(3);
        assertThat(d.partitions().get(0).leader().id()).isZero();
        assertThat(d.topicId()).isNotNull();

        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, "orders");
        Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
        assertThat(cfg.get("retention.ms").value()).isEqualTo("60000");
        assertThat(cfg.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(cfg.get("segment.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

        admin.incrementalAlterConfigs(Map.of(res, List.of(
                new AlterConfigOp(new ConfigEntry("segment.bytes", "1048576"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
        Config altered = admin.describeConfigs(List.of(res)).all().get().get(res);
        assertThat(altered.get("segment.bytes").value()).isEqualTo("1048576");
        assertThat(altered.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

        admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(5))).all().get();
        assertThat(admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders").partitions()).hasSize(5);
        assertThatThrownBy(() -> admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(2))).all().get())
                .hasCauseInstanceOf(InvalidPartitionsException.class);

        admin.deleteTopics(List.of("orders")).all().get();
        assertThat(admin.listTopics().names().get()).doesNotContain("orders");
        assertThatThrownBy(() -> admin.describeTopics(List.of("orders")).allTopicNames().get())
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void refusesDuplicatesAndBadConfigsWithKafkasErrors() throws Exception {
        admin.createTopics(List.of(new NewTopic("dup", 1, (short) 1))).all().get();
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("dup", 1, (short) 1))).all().get())
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicExistsException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad-config", 1, (short) 1)
                .configs(Map.of("retention.mss", "5")))).all().get())
                .hasCauseInstanceOf(InvalidConfigurationException.class).hasMessageContaining("retention.mss");
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad-value", 1, (short) 1)
                .configs(Map.of("segment.bytes", "ten")))).all().get())
                .hasCauseInstanceOf(InvalidConfigurationException.class).hasMessageContaining("segment.bytes");
        assertThat(admin.listTopics().names().get()).doesNotContain("bad-config", "bad-value");
    }

    @Test
    void deletedTopicComesBackEmptyWhenRecreated() throws Exception {
        admin.createTopics(List.of(new NewTopic("phoenix", 1, (short) 1))).all().get();
        try (var producer = Clients.producer(node, Map.of())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("phoenix", "x".getBytes())).get();
        }
        admin.deleteTopics(List.of("phoenix")).all().get();
        admin.createTopics(List.of(new NewTopic("phoenix", 1, (short) 1))).all().get();
        var tp = new org.apache.kafka.common.TopicPartition("phoenix", 0);
        try (var consumer = Clients.consumer(node, Map.of())) {
            assertThat(consumer.endOffsets(List.of(tp)).get(tp)).isZero();
        }
    }
}
