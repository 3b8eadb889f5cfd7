package io.strata.metastore.store;

import java.util.List;

/**
 * One transactional id's durable state (Kafka's transaction log entry): the producer id and
 * epoch it holds, where its current transaction stands, the partitions and consumer groups the
 * transaction touched, and the epoch of the coordinator that last took the id over. Every write
 * is checked against that coordinator epoch, so a coordinator that lost the id cannot write it.
 */
public record TransactionRecord(String transactionalId, long producerId, short producerEpoch, int timeoutMs,
                                State state, List<PartitionKey> partitions, List<String> groups,
                                long startMs, long updateMs, int coordinatorEpoch) {

    /** Kafka's transaction states (those a transactional id can be left in). */
    public enum State {
        EMPTY("Empty"), ONGOING("Ongoing"), PREPARE_COMMIT("PrepareCommit"), PREPARE_ABORT("PrepareAbort"),
        COMPLETE_COMMIT("CompleteCommit"), COMPLETE_ABORT("CompleteAbort");

        private final String kafkaName;

        State(String kafkaName) {
            this.kafkaName = kafkaName;
        }

        /** The name Kafka's DescribeTransactions and ListTransactions give the state. */
        public String kafkaName() {
            return kafkaName;
        }

        public boolean preparing() {
            return this == PREPARE_COMMIT || this == PREPARE_ABORT;
        }
    }

    public TransactionRecord {
        partitions = List.copyOf(partitions);
        groups = List.copyOf(groups);
    }

    public TransactionRecord with(State next, long nowMs) {
        return new TransactionRecord(transactionalId, producerId, producerEpoch, timeoutMs, next, partitions, groups, startMs, nowMs,
                coordinatorEpoch);
    }
}
