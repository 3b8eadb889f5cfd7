package io.strata.ingest.api;

import io.strata.ingest.cluster.ClusterNode;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.PartitionPlacement;
import io.strata.metastore.store.TopicRecord;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * AlterPartitionReassignments and ListPartitionReassignments (KIP-455), so Kafka's
 * {@code kafka-reassign-partitions} and Admin's {@code alterPartitionReassignments} move replicas:
 * new replicas are added to the placement at once and catch up as followers; the controller
 * completes the move when they are in sync.
 */
final class ReassignmentHandler {
    private final TopicManager topics;
    private final ClusterNode cluster;

    ReassignmentHandler(TopicManager topics, ClusterNode cluster) {
        this.topics = topics;
        this.cluster = cluster;
    }

    AlterPartitionReassignmentsResponseData alter(AlterPartitionReassignmentsRequestData req) {
        AlterPartitionReassignmentsResponseData resp = new AlterPartitionReassignmentsResponseData().setErrorCode(Errors.NONE.code());
        for (AlterPartitionReassignmentsRequestData.ReassignableTopic t : req.topics()) {
            AlterPartitionReassignmentsResponseData.ReassignableTopicResponse tr =
                    new AlterPartitionReassignmentsResponseData.ReassignableTopicResponse().setName(t.name());
            resp.responses().add(tr);
            Optional<TopicRecord> topic = topics.topic(t.name());
            for (AlterPartitionReassignmentsRequestData.ReassignablePartition p : t.partitions()) {
                AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse pr =
                        new AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse().setPartitionIndex(p.partitionIndex());
                tr.partitions().add(pr);
                if (topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()) {
                    pr.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setErrorMessage("no partition " + t.name() + "-" + p.partitionIndex());
                    continue;
                }
                String problem = p.replicas() == null ? null : invalid(p.replicas());
                if (problem != null) {
                    pr.setErrorCode(Errors.INVALID_REPLICA_ASSIGNMENT.code()).setErrorMessage(problem);
                    continue;
                }
                UUID id = topic.get().id();
                Optional<PartitionPlacement> now = cluster.view().placement(id, p.partitionIndex());
                if (p.replicas() == null && (now.isEmpty() || !now.get().reassigning())) {
                    pr.setErrorCode(Errors.NO_REASSIGNMENT_IN_PROGRESS.code()).setErrorMessage("no reassignment of " + t.name() + "-"
                            + p.partitionIndex() + " is in progress");
                    continue;
                }
                try {
                    if (cluster.reassign(id, p.partitionIndex(), p.replicas()).isEmpty()) {
                        pr.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code()).setErrorMessage(t.name() + "-" + p.partitionIndex() + " is not placed yet");
                    } else {
                        pr.setErrorCode(Errors.NONE.code());
                    }
                } catch (IllegalArgumentException e) {
                    pr.setErrorCode(Errors.INVALID_REPLICA_ASSIGNMENT.code()).setErrorMessage(e.getMessage());
                }
            }
        }
        return resp;
    }

    /** Why a target replica list cannot be used (duplicates, unknown nodes, empty), or null. */
    private String invalid(List<Integer> replicas) {
        if (replicas.isEmpty()) {
            return "the replica list is empty";
        }
        if (new HashSet<>(replicas).size() != replicas.size()) {
            return "the replica list " + replicas + " names a node twice";
        }
        for (int r : replicas) {
            if (!cluster.isRegistered(r)) {
                return "node " + r + " is not registered in this cluster";
            }
        }
        return null;
    }

    ListPartitionReassignmentsResponseData list(ListPartitionReassignmentsRequestData req) {
        ListPartitionReassignmentsResponseData resp = new ListPartitionReassignmentsResponseData().setErrorCode(Errors.NONE.code());
        for (TopicRecord t : topics.topics()) {
            if (req.topics() != null && req.topics().stream().noneMatch(x -> x.name().equals(t.name()))) {
                continue;
            }
            ListPartitionReassignmentsResponseData.OngoingTopicReassignment tr = null;
            for (Map.Entry<Integer, PartitionPlacement> e : cluster.view().placements().getOrDefault(t.id(), Map.of()).entrySet()) {
                PartitionPlacement p = e.getValue();
                if (!p.reassigning()) {
                    continue;
                }
                if (tr == null) {
                    tr = new ListPartitionReassignmentsResponseData.OngoingTopicReassignment().setName(t.name());
                    resp.topics().add(tr);
                }
                tr.partitions().add(new ListPartitionReassignmentsResponseData.OngoingPartitionReassignment().setPartitionIndex(e.getKey())
                        .setReplicas(p.replicas()).setAddingReplicas(p.addingReplicas()).setRemovingReplicas(p.removingReplicas()));
            }
        }
        return resp;
    }
}
