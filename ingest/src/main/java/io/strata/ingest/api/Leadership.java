package io.strata.ingest.api;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Whether, and in which leader epoch, this node leads a partition now. A client request for a
 * partition it does not lead gets {@code NOT_LEADER_OR_FOLLOWER}, which tells Kafka clients to
 * refresh their metadata and go to the leader; a request naming another epoch is told which way
 * it is off, as Kafka does (KIP-320).
 */
@FunctionalInterface
public interface Leadership {
    /** The epoch this node leads {@code tp} in, or -1 when it does not lead it. */
    int leaderEpoch(TopicPartition tp);

    default boolean leads(TopicPartition tp) {
        return leaderEpoch(tp) >= 0;
    }

    /**
     * Kafka's check of a request's current leader epoch ({@code -1}: the client did not say):
     * NOT_LEADER_OR_FOLLOWER when this node does not lead, FENCED_LEADER_EPOCH when the request's
     * epoch is older than this leader's, UNKNOWN_LEADER_EPOCH when it is newer (this node has not
     * learned of it yet), NONE otherwise.
     */
    default Errors check(TopicPartition tp, int requestEpoch) {
        int mine = leaderEpoch(tp);
        if (mine < 0) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        if (requestEpoch < 0 || requestEpoch == mine) {
            return Errors.NONE;
        }
        return requestEpoch < mine ? Errors.FENCED_LEADER_EPOCH : Errors.UNKNOWN_LEADER_EPOCH;
    }
}
