package io.strata.ingest.api;

import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import io.strata.records.Batches;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsRequest;

import java.util.Optional;

/**
 * ListOffsets: earliest (log start), earliest local (KIP-405), latest (high watermark), latest
 * tiered (the last offset in object storage), the record with the largest timestamp across both
 * tiers (KIP-734), and the first offset at or after a timestamp. Whatever may lie in object
 * storage is looked up on the tiering service's {@code remote-read} threads; the request handler
 * thread never waits on the object store.
 */
final class ListOffsetsHandler {
    private final TopicManager topics;

    private final io.strata.tiering.service.TieringService tiering;

    private final Leadership leadership;

    ListOffsetsHandler(TopicManager topics, io.strata.tiering.service.TieringService tiering, Leadership leadership) {
        this.leadership = leadership;
        this.topics = topics;
        this.tiering = tiering;
    }

    java.util.concurrent.CompletableFuture<ListOffsetsResponseData> handle(ListOffsetsRequestData req, short version) {
        ListOffsetsResponseData resp = new ListOffsetsResponseData();
        java.util.List<java.util.concurrent.CompletableFuture<Void>> pending = new java.util.ArrayList<>();
        for (ListOffsetsRequestData.ListOffsetsTopic t : req.topics()) {
            ListOffsetsResponseData.ListOffsetsTopicResponse tr = new ListOffsetsResponseData.ListOffsetsTopicResponse().setName(t.name());
            resp.topics().add(tr);
            for (ListOffsetsRequestData.ListOffsetsPartition p : t.partitions()) {
                ListOffsetsResponseData.ListOffsetsPartitionResponse pr = new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                        .setPartitionIndex(p.partitionIndex()).setTimestamp(-1).setOffset(-1).setLeaderEpoch(version >= 4 ? 0 : -1);
                tr.partitions().add(pr);
                Optional<PartitionLog> pl = topics.partition(new TopicPartition(t.name(), p.partitionIndex()));
                if (pl.isEmpty()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                TopicPartition tp = new TopicPartition(t.name(), p.partitionIndex());
                Errors epochCheck = leadership.check(tp, version >= 4 ? p.currentLeaderEpoch() : -1);
                if (epochCheck != Errors.NONE) {
                    pr.setErrorCode(epochCheck.code());
                    continue;
                }
                if (version >= 4) {
                    pr.setLeaderEpoch(leadership.leaderEpoch(tp));
                }
                PartitionLog log = pl.get();
                long ts = p.timestamp();
                boolean remoteHistory = tiering != null && log.config().remoteStorage() && log.logStartOffset() < log.localStartOffset();
                if (ts == ListOffsetsRequest.EARLIEST_TIMESTAMP) {
                    pr.setOffset(log.logStartOffset());
                } else if (ts == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
                    pr.setOffset(log.localStartOffset());
                } else if (ts == ListOffsetsRequest.LATEST_TIMESTAMP) {
                    // read_committed (isolation level 1) ends at the last stable offset, as its consumer's fetches do.
                    pr.setOffset(req.isolationLevel() == 1 ? log.lastStableOffset() : log.highWatermark());
                } else if (ts == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP) {
                    // The highest offset in object storage, -1 when nothing is (as Kafka answers).
                    pr.setOffset(log.tieredOffset() > log.logStartOffset() ? log.tieredOffset() - 1 : -1);
                } else if (ts == ListOffsetsRequest.MAX_TIMESTAMP) {
                    Optional<Batches.TimestampMatch> local = log.maxTimestampRecord();
                    if (remoteHistory) {
                        pending.add(tiering.maxTimestampRecordAsync(tp, log.logStartOffset()).handle((remote, error) -> {
                            if (error != null) {
                                pr.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
                            } else {
                                // On a tie the earlier record, which is the tiered one.
                                Optional<Batches.TimestampMatch> best = remote.isPresent()
                                        && (local.isEmpty() || remote.get().timestamp() >= local.get().timestamp()) ? remote : local;
                                best.ifPresent(m -> pr.setOffset(m.offset()).setTimestamp(m.timestamp()));
                            }
                            return null;
                        }));
                    } else {
                        local.ifPresent(m -> pr.setOffset(m.offset()).setTimestamp(m.timestamp()));
                    }
                } else if (ts < 0) {
                    pr.setErrorCode(Errors.INVALID_REQUEST.code());
                } else if (remoteHistory) {

                    pending.add(tiering.offsetForTimestampAsync(tp, ts, log.logStartOffset()).handle((m, error) -> {
                        if (error != null) {
                            pr.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
                        } else {
                            m.or(() -> log.offsetForTimestamp(ts)).ifPresent(match -> pr.setOffset(match.offset()).setTimestamp(match.timestamp()));
                        }
                        return null;
                    }));
                } else {
                    log.offsetForTimestamp(ts).ifPresent(match -> pr.setOffset(match.offset()).setTimestamp(match.timestamp()));
                }
            }
        }
        return java.util.concurrent.CompletableFuture.allOf(pending.toArray(java.util.concurrent.CompletableFuture[]::new))
                .thenApply(v -> resp);
    }
}
