package io.strata.ingest.txn;

import io.strata.ingest.log.AppendResult;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.replication.ReplicationManager;
import io.strata.ingest.topic.TopicManager;
import io.strata.records.TxnMarker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Writes one transaction marker into a partition this node leads and answers once it is as safe
 * as an acks=all record: fsynced here and held by every in-sync replica. A marker that a failover
 * could lose would leave its transaction undecided in that partition for good.
 */
public final class MarkerAppender {
    private final TopicManager topics;
    private final ReplicationManager replication;

    public MarkerAppender(TopicManager topics, ReplicationManager replication) {
        this.topics = topics;
        this.replication = replication;
    }

    /** The outcome for {@code tp}: NONE once durable and replicated, otherwise the error (retriable or not). */
    public CompletableFuture<Errors> append(TopicPartition tp, long producerId, short producerEpoch, TxnMarker marker, int timeoutMs) {
        Optional<PartitionLog> pl = topics.partition(tp);
        if (pl.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (replication.leaderEpochOnceApplied(tp) < 0) {
            return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        PartitionLog log = pl.get();
        int epoch = replication.leaderEpochIfLeading(tp);
        AppendResult r = log.appendTxnMarker(producerId, producerEpoch, marker, topics.now());
        if (!r.ok()) {
            return CompletableFuture.completedFuture(r.error());
        }
        replication.leaderAppended(tp);
        return topics.groupCommit().awaitDurable(log, r.lastOffset())
                .thenCompose(v -> replication.awaitReplicated(tp, log, r.lastOffset(), timeoutMs, epoch))
                .handle((v, t) -> {
                    if (t == null) {
                        return Errors.NONE;
                    }
                    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                    Errors e = Errors.forException(cause);
                    return e == Errors.UNKNOWN_SERVER_ERROR ? Errors.KAFKA_STORAGE_ERROR : e;
                });
    }
}
