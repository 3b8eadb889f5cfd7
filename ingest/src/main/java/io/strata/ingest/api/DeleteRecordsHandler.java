package io.strata.ingest.api;

import io.strata.ingest.log.OffsetOutOfRangeException;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.Optional;

/** DeleteRecords: moves each partition's log start offset forward (-1 means up to the high watermark). */
final class DeleteRecordsHandler {
    private final TopicManager topics;

    private final Leadership leadership;

    DeleteRecordsHandler(TopicManager topics, Leadership leadership) {
        this.leadership = leadership;
        this.topics = topics;
    }

    DeleteRecordsResponseData handle(DeleteRecordsRequestData req) {
        DeleteRecordsResponseData resp = new DeleteRecordsResponseData();
        for (DeleteRecordsRequestData.DeleteRecordsTopic t : req.topics()) {
            DeleteRecordsResponseData.DeleteRecordsTopicResult tr = new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(t.name());
            resp.topics().add(tr);
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsResponseData.DeleteRecordsPartitionResult pr = new DeleteRecordsResponseData.DeleteRecordsPartitionResult()
                        .setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
                tr.partitions().add(pr);
                Optional<PartitionLog> pl = topics.partition(new TopicPartition(t.name(), p.partitionIndex()));
                if (pl.isEmpty()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                if (!leadership.leads(new TopicPartition(t.name(), p.partitionIndex()))) {
                    pr.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                    continue;
                }
                try {
                    pr.setLowWatermark(pl.get().deleteRecordsBefore(p.offset()));
                } catch (OffsetOutOfRangeException e) {
                    pr.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
                }
            }
        }
        return resp;
    }
}
