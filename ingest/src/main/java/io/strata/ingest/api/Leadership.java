package io.strata.ingest.api;

import org.apache.kafka.common.TopicPartition;

/**
 * Whether this node leads a partition now. A client request for a partition it does not lead
 * gets {@code NOT_LEADER_OR_FOLLOWER}, which tells Kafka clients to refresh their metadata and
 * go to the leader.
 */
@FunctionalInterface
public interface Leadership {
    boolean leads(TopicPartition tp);
}
