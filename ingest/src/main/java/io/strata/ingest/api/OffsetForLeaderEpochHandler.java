package io.strata.ingest.api;

import io.strata.ingest.log.LeaderEpochCache;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.Optional;

/**
 * OffsetForLeaderEpoch (KIP-101, KIP-279, KIP-320): where a given leader epoch ends in this
 * leader's log. Followers ask it after a leader change to find where their log and the leader's
 * part; consumers ask it to check that their position survived a leader change.
 */
final class OffsetForLeaderEpochHandler {
    private final TopicManager topics;
    private final Leadership leadership;

    OffsetForLeaderEpochHandler(TopicManager topics, Leadership leadership) {
        this.topics = topics;
        this.leadership = leadership;
    }

    OffsetForLeaderEpochResponseData handle(OffsetForLeaderEpochRequestData req) {
        OffsetForLeaderEpochResponseData resp = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic t : req.topics()) {
            OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult tr =
                    new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult().setTopic(t.topic());
            resp.topics().add(tr);
            for (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p : t.partitions()) {
                OffsetForLeaderEpochResponseData.EpochEndOffset out = new OffsetForLeaderEpochResponseData.EpochEndOffset()
                        .setPartition(p.partition()).setLeaderEpoch(LeaderEpochCache.UNDEFINED_EPOCH).setEndOffset(LeaderEpochCache.UNDEFINED_OFFSET);
                tr.partitions().add(out);
                TopicPartition tp = new TopicPartition(t.topic(), p.partition());
                Optional<PartitionLog> pl = topics.partition(tp);
                if (pl.isEmpty()) {
                    out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                Errors check = leadership.check(tp, p.currentLeaderEpoch());
                if (check != Errors.NONE) {
                    out.setErrorCode(check.code());
                    continue;
                }
                LeaderEpochCache.EpochEnd end = pl.get().endOffsetForEpoch(p.leaderEpoch());
                out.setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
            }
        }
        return resp;
    }
}
