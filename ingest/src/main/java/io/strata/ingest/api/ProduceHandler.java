package io.strata.ingest.api;

import io.strata.ingest.log.AppendResult;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import io.strata.ingest.util.ThrottledLog;
import io.strata.records.Batches;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Produce: validate and append each partition's batches, then answer — acks=0 never, acks=1
 * after the append, acks=all once the records are fsync'd (this node is the whole ISR).
 */
final class ProduceHandler {
    private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);
    private final TopicManager topics;
    private final io.strata.tiering.service.TieringService tiering;

    private final io.micrometer.core.instrument.MeterRegistry metrics;

    private final Leadership leadership;
    private final ThrottledLog sequenceRefusals = new ThrottledLog(log, 10_000);
    private final io.strata.ingest.replication.ReplicationManager replication;

    /** KIP-890: whether a transactional id's open transaction includes a partition (the coordinator's state). */
    interface TransactionCheck {
        Errors inTransaction(String transactionalId, long producerId, short epoch, io.strata.metastore.store.PartitionKey partition);
    }

    private final TransactionCheck transactionCheck;

    ProduceHandler(TopicManager topics, io.strata.tiering.service.TieringService tiering, Leadership leadership,
                   io.strata.ingest.replication.ReplicationManager replication, io.micrometer.core.instrument.MeterRegistry metrics,
                   TransactionCheck transactionCheck) {
        this.transactionCheck = transactionCheck;
        this.leadership = leadership;
        this.replication = replication;
        this.topics = topics;
        this.tiering = tiering;
        this.metrics = metrics;
    }

    CompletableFuture<ProduceResponseData> handle(ProduceRequestData req) {
        short acks = req.acks();
        ProduceResponseData resp = new ProduceResponseData();
        List<CompletableFuture<Void>> durability = new ArrayList<>();
        for (ProduceRequestData.TopicProduceData td : req.topicData()) {
            ProduceResponseData.TopicProduceResponse tr = new ProduceResponseData.TopicProduceResponse().setName(td.name());
            resp.responses().add(tr);
            for (ProduceRequestData.PartitionProduceData pd : td.partitionData()) {
                ProduceResponseData.PartitionProduceResponse pr = new ProduceResponseData.PartitionProduceResponse()
                        .setIndex(pd.index()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                tr.partitionResponses().add(pr);
                if (acks != 0 && acks != 1 && acks != -1) {
                    pr.setErrorCode(Errors.INVALID_REQUIRED_ACKS.code()).setErrorMessage("acks must be -1, 0 or 1, got " + acks);
                    continue;
                }
                Optional<PartitionLog> pl = topics.partition(new TopicPartition(td.name(), pd.index()));
                if (pl.isEmpty() && topics.topic(td.name()).isEmpty()) {
                    // Created through another node a moment ago: adopt it now rather than in the next round.
                    try {
                        topics.lookup(td.name());
                    } catch (io.strata.metastore.MetaStoreUnavailableException e) {
                        log.debug("cannot look up topic {}: {}", td.name(), e.getMessage());
                    }
                    pl = topics.partition(new TopicPartition(td.name(), pd.index()));
                }
                if (pl.isEmpty()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("This server does not host " + td.name() + "-" + pd.index());
                    continue;
                }
                if (!leadership.leads(new TopicPartition(td.name(), pd.index()))) {
                    pr.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code())
                            .setErrorMessage("This node does not lead " + td.name() + "-" + pd.index());
                    continue;
                }
                if (tiering != null && pl.get().config().remoteStorage() && tiering.overBudget()) {
                    // The object store has been unreachable long enough that local disk holds the budget: refuse, retriably.
                    pr.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code()).setErrorMessage("local data not yet in object storage exceeds "
                            + "tiering.max.untiered.bytes (" + tiering.maxUntieredBytes() + "); the object store is unreachable or behind");
                    continue;
                }
                TopicPartition tpc = new TopicPartition(td.name(), pd.index());
                int minIsr = pl.get().config().minInsyncReplicas();
                if (acks == -1 && replication.isrSize(tpc) < minIsr) {
                    // Kafka refuses before appending: the record could not be acknowledged anyway.
                    pr.setErrorCode(Errors.NOT_ENOUGH_REPLICAS.code()).setErrorMessage("the in-sync replicas of " + tpc + " are "
                            + replication.isrSize(tpc) + ", below min.insync.replicas " + minIsr);
                    metrics.counter("strata.produce.errors", "error", Errors.NOT_ENOUGH_REPLICAS.name()).increment();
                    continue;
                }
                java.nio.ByteBuffer bytes = Batches.bytesOf(pd.records());
                int size = bytes.remaining();
                int epoch = leadership.leaderEpoch(tpc);
                AppendResult r = req.transactionalId() != null ? appendTransactional(req.transactionalId(), tpc, pl.get(), bytes)
                        : pl.get().append(bytes, topics.now());
                if (r.ok()) {
                    replication.leaderAppended(new TopicPartition(td.name(), pd.index()));
                }
                if (r.ok()) {
                    metrics.counter("strata.topic.bytes.in", "topic", td.name()).increment(size);
                    metrics.counter("strata.topic.records.in", "topic", td.name()).increment(r.lastOffset() - r.baseOffset() + 1);
                } else {
                    metrics.counter("strata.produce.errors", "error", r.error().name()).increment();
                }
                pr.setErrorCode(r.error().code()).setErrorMessage(r.message())
                        .setBaseOffset(r.baseOffset()).setLogAppendTimeMs(r.logAppendTime()).setLogStartOffset(r.logStartOffset());
                if (r.oldDuplicate()) {
                    log.debug("produce to {}: {}", tpc, r.message());
                }
                if (!r.ok() && !r.oldDuplicate()) {
                    if (r.error() == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER || r.error() == Errors.INVALID_PRODUCER_EPOCH) {
                        // Rare and a sign of trouble a client keeps retrying into: said, at most every 10 s per partition.
                        sequenceRefusals.log(tpc, r.error() + " " + r.message());
                    }
                    log.debug("produce to {}-{} refused: {} {}", td.name(), pd.index(), r.error(), r.message());
                } else if (acks != -1 && pl.get().logEndOffset() - pl.get().flushedOffset() >= pl.get().config().flush().messages()) {
                    // flush.messages: this produce leaves that many records unsynced, so it is fsynced before it is answered
                    // (an acks=0 one is not answered, but fsynced all the same).
                    durability.add(topics.groupCommit().awaitDurable(pl.get(), r.lastOffset()).exceptionally(t -> answerFailure(pr, t)));
                } else if (acks == -1) {
                    // A retry of an old batch (DUPLICATE_SEQUENCE_NUMBER, which clients take as success) waits like a new one:
                    // the original lies at or below r.lastOffset() and may not be durable and replicated yet.
                    TopicPartition tp = new TopicPartition(td.name(), pd.index());
                    PartitionLog log = pl.get();
                    // Durable on the leader's disk, then held by every in-sync replica.
                    durability.add(topics.groupCommit().awaitDurable(log, r.lastOffset())
                            .thenCompose(v -> replication.awaitReplicated(tp, log, r.lastOffset(), req.timeoutMs(), epoch))
                            .exceptionally(t -> answerFailure(pr, t)));
                }
            }
        }
        if (acks == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.allOf(durability.toArray(CompletableFuture[]::new)).thenApply(v -> resp);
    }

    /** A partition's answer when the wait for its records to be durable (and replicated) failed. */
    private static Void answerFailure(ProduceResponseData.PartitionProduceResponse pr, Throwable t) {
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
            pr.setErrorCode(Errors.REQUEST_TIMED_OUT.code()).setErrorMessage(cause.getMessage());
        } else if (cause instanceof org.apache.kafka.common.errors.NotLeaderOrFollowerException) {
            pr.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code()).setErrorMessage(cause.getMessage());
        } else if (cause instanceof org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException) {
            pr.setErrorCode(Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND.code()).setErrorMessage(cause.getMessage());
        } else {
            pr.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code()).setErrorMessage("fsync failed: " + cause.getMessage());
        }
        return null;
    }

    /**
     * A transactional producer's batches, with KIP-890's server-side defence: the first batch of a
     * transaction in this partition is taken only if the coordinator's state lists the partition in
     * the producer's open transaction, so a late batch of a transaction that was already decided
     * (a zombie's, or one delayed past its abort) can never open a transaction nobody will end.
     */
    private AppendResult appendTransactional(String transactionalId, TopicPartition tp, PartitionLog log, java.nio.ByteBuffer bytes) {
        List<Batches.Batch> batches;
        try {
            batches = Batches.of(bytes);
        } catch (RuntimeException e) {
            return log.append(bytes, topics.now()); // the log answers what is wrong with it
        }
        Object guard = null;
        if (!batches.isEmpty() && batches.get(0).isTransactional()) {
            Batches.Batch b = batches.get(0);
            guard = log.startTransactionVerification(b.producerId());
            Errors check = guard == null ? Errors.NONE : transactionCheck.inTransaction(transactionalId, b.producerId(), b.producerEpoch(),
                    new io.strata.metastore.store.PartitionKey(tp.topic(), tp.partition()));
            if (check != Errors.NONE) {
                return AppendResult.failed(check, "the transaction of " + transactionalId + " (producer " + b.producerId() + " epoch "
                        + b.producerEpoch() + ") does not include " + tp + ": " + check.message(), log.logStartOffset());
            }
        }
        return log.append(bytes, topics.now(), guard, true);
    }
}
