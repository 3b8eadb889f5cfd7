package io.strata.metastore.store;

import java.util.Map;
import java.util.UUID;

/**
 * A topic as the catalog stores it. {@code configs} holds only the topic-level overrides
 * (Kafka's names: retention.ms, segment.bytes, …); defaults come from the broker.
 */
public record TopicRecord(String name, UUID id, int partitions, short replicationFactor, Map<String, String> configs) {
    public TopicRecord {
        configs = Map.copyOf(configs);
    }

    public TopicRecord withPartitions(int count) {
        return new TopicRecord(name, id, count, replicationFactor, configs);
    }

    public TopicRecord withConfigs(Map<String, String> newConfigs) {
        return new TopicRecord(name, id, partitions, replicationFactor, newConfigs);
    }
}
