package io.strata.tiering.service;

import io.strata.metastore.store.TopicRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.Map;
import java.util.Optional;

/** The node's partition logs and the topics they belong to, as tiering walks them. Implemented by the broker's topic manager. */
public interface TieredLogs {
    Map<TopicPartition, ? extends TieredLog> logs();

    Optional<? extends TieredLog> partition(TopicPartition tp);

    /** The live topic of that name (its id tells incarnations apart). */
    Optional<TopicRecord> topic(String name);
}
