package io.strata.ingest.api;

import io.strata.ingest.topic.TopicException;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.TopicRecord;
import io.strata.metastore.MetaStoreUnavailableException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Metadata: this node as the only broker, leader of every partition; auto-creates topics when allowed. */
final class MetadataHandler {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MetadataHandler.class);
    private final BrokerIdentity self;
    private final TopicManager topics;
    private final boolean autoCreate;
    private final int defaultPartitions;

    private final io.strata.ingest.cluster.ClusterNode cluster;

    MetadataHandler(BrokerIdentity self, TopicManager topics, io.strata.ingest.cluster.ClusterNode cluster, boolean autoCreate,
                    int defaultPartitions) {
        this.self = self;
        this.cluster = cluster;
        this.topics = topics;
        this.autoCreate = autoCreate;
        this.defaultPartitions = defaultPartitions;
    }

    /** The metadata a client of {@code listener} gets: every node's address on that listener (nodes without it are left out, as Kafka does). */
    MetadataResponseData handle(MetadataRequestData req, short version, String listener) {
        io.strata.ingest.cluster.ClusterView view = cluster.view();
        MetadataResponseData resp = new MetadataResponseData()
                .setClusterId(self.clusterId())
                .setControllerId(view.controller().map(c -> c.nodeId()).orElse(-1));
        boolean selfListed = false;
        for (io.strata.metastore.store.NodeRecord n : view.liveNodes()) {
            java.util.Optional<io.strata.metastore.store.NodeRecord.Endpoint> at = n.endpoint(listener);
            if (at.isPresent()) {
                resp.brokers().add(new MetadataResponseData.MetadataResponseBroker().setNodeId(n.nodeId()).setHost(at.get().host())
                        .setPort(at.get().port()).setRack(n.rack() == null || n.rack().isEmpty() ? null : n.rack()));
            }
            selfListed |= n.nodeId() == self.nodeId();
        }
        if (!selfListed) {
            io.strata.metastore.store.NodeRecord.Endpoint me = self.endpoint(listener);
            resp.brokers().add(new MetadataResponseData.MetadataResponseBroker()
                    .setNodeId(self.nodeId()).setHost(me.host()).setPort(me.port()));
        }
        boolean all = req.topics() == null || (version == 0 && req.topics().isEmpty());
        if (all) {
            try {
                topics.refresh();
            } catch (MetaStoreUnavailableException e) {
                log.warn("listing topics from this node's cache: {}", e.getMessage());
            }
            for (TopicRecord t : topics.topics()) {
                resp.topics().add(describe(t));
            }
            return resp;
        }
        boolean allowCreate = autoCreate && (version < 4 || req.allowAutoTopicCreation());
        for (MetadataRequestData.MetadataRequestTopic rt : req.topics()) {
            resp.topics().add(lookup(rt, allowCreate));
        }
        return resp;
    }

    private MetadataResponseData.MetadataResponseTopic lookup(MetadataRequestData.MetadataRequestTopic rt, boolean allowCreate) {
        if (rt.name() == null) {
            Optional<TopicRecord> byId = rt.topicId() == null ? Optional.empty()
                    : topics.topicById(new java.util.UUID(rt.topicId().getMostSignificantBits(), rt.topicId().getLeastSignificantBits()));
            return byId.map(this::describe).orElseGet(() -> new MetadataResponseData.MetadataResponseTopic()
                    .setTopicId(rt.topicId()).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
        }
        String name = rt.name();
        Optional<TopicRecord> t;
        try {
            t = topics.lookup(name);
        } catch (MetaStoreUnavailableException e) {
            log.warn("metadata for unknown topic {}: {}", name, e.getMessage());
            return error(name, Errors.LEADER_NOT_AVAILABLE);
        }
        if (t.isPresent()) {
            return describe(t.get());
        }
        try {
            TopicManager.validateName(name);
        } catch (TopicException e) {
            return error(name, Errors.INVALID_TOPIC_EXCEPTION);
        }
        if (!allowCreate) {
            return error(name, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        try {
            TopicRecord created = topics.create(name, defaultPartitions, (short) -1, java.util.Map.of());
            cluster.awaitPlaced(created, 5000);
            return describe(created);
        } catch (MetaStoreUnavailableException e) {
            log.warn("cannot auto-create topic {}: {}", name, e.getMessage());
            return error(name, Errors.LEADER_NOT_AVAILABLE);
        } catch (TopicException e) {
            if (e.error() == Errors.TOPIC_ALREADY_EXISTS) {
                return topics.topic(name).map(this::describe).orElseGet(() -> error(name, Errors.LEADER_NOT_AVAILABLE));
            }
            return error(name, e.error());
        }
    }

    private static MetadataResponseData.MetadataResponseTopic error(String name, Errors error) {
        return new MetadataResponseData.MetadataResponseTopic().setName(name).setErrorCode(error.code());
    }

    MetadataResponseData.MetadataResponseTopic describe(TopicRecord t) {
        MetadataResponseData.MetadataResponseTopic out = new MetadataResponseData.MetadataResponseTopic()
                .setName(t.name())
                .setTopicId(toKafka(t.id()))
                .setIsInternal(false);
        List<MetadataResponseData.MetadataResponsePartition> parts = new ArrayList<>();
        if (cluster.view().placements().getOrDefault(t.id(), java.util.Map.of()).size() < t.partitions()) {
            // Created a moment ago, perhaps through another node: read the placements now rather than in the next round.
            cluster.runOnLoop();
        }
        io.strata.ingest.cluster.ClusterView view = cluster.view();
        for (int p = 0; p < t.partitions(); p++) {
            MetadataResponseData.MetadataResponsePartition part = new MetadataResponseData.MetadataResponsePartition().setPartitionIndex(p);
            var placement = view.placement(t.id(), p);
            if (placement.isEmpty()) {
                // Not placed yet (a topic created a moment ago): clients retry.
                part.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code()).setLeaderId(-1).setLeaderEpoch(-1)
                        .setReplicaNodes(List.of()).setIsrNodes(List.of()).setOfflineReplicas(List.of());
            } else {
                var pp = placement.get();
                boolean leaderLive = pp.leader() >= 0 && view.isLive(pp.leader());
                List<Integer> offline = pp.replicas().stream().filter(r -> !view.isLive(r)).toList();
                part.setErrorCode(leaderLive ? Errors.NONE.code() : Errors.LEADER_NOT_AVAILABLE.code())
                        .setLeaderId(leaderLive ? pp.leader() : -1).setLeaderEpoch(pp.leaderEpoch())
                        .setReplicaNodes(pp.replicas()).setIsrNodes(pp.isr()).setOfflineReplicas(offline);
            }
            parts.add(part);
        }
        out.setPartitions(parts);
        return out;
    }

    static Uuid toKafka(java.util.UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
