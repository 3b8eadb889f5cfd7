package io.strata.metastore.store;

/** A topic partition, kept free of client-library types so this module needs no Kafka jar. */
public record PartitionKey(String topic, int partition) implements Comparable<PartitionKey> {
    @Override
    public int compareTo(PartitionKey o) {
        int c = topic.compareTo(o.topic);
        return c != 0 ? c : Integer.compare(partition, o.partition);
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
