package io.strata.it;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Committed offsets: readable as soon as the commit is answered, and gone with their topic. */
class CommittedOffsetsIT extends SharedNode {
    private static Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    }

    @Test
    void aRecreatedTopicDoesNotResumeAtTheOldTopicsPositions() throws Exception {
        TopicPartition tp = new TopicPartition("recreated", 0);
        admin.createTopics(List.of(new NewTopic("recreated", 1, (short) 1))).all().get();
        for (int i = 1; i <= 20; i++) {
            admin.alterConsumerGroupOffsets("billing", Map.of(tp, new OffsetAndMetadata(i))).all().get();
            assertThat(committed("billing").get(tp).offset()).as("a commit is durable once answered").isEqualTo(i);
        }
        admin.deleteTopics(List.of("recreated")).all().get();
        admin.createTopics(List.of(new NewTopic("recreated", 1, (short) 1))).all().get();
        assertThat(committed("billing")).as("offsets of the deleted topic went with it").doesNotContainKey(tp);
        admin.alterConsumerGroupOffsets("billing", Map.of(tp, new OffsetAndMetadata(3))).all().get();
        assertThat(committed("billing").get(tp).offset()).isEqualTo(3);
    }
}
