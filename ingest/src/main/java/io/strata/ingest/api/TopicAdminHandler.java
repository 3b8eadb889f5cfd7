package io.strata.ingest.api;

import io.strata.ingest.topic.TopicConfigs;
import io.strata.ingest.topic.TopicException;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.TopicRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsResponse;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs and IncrementalAlterConfigs for topics. */
final class TopicAdminHandler {
    private final TopicManager topics;
    private final BrokerIdentity self;
    private final int defaultPartitions;

    private final io.strata.ingest.cluster.ClusterNode cluster;

    TopicAdminHandler(TopicManager topics, BrokerIdentity self, io.strata.ingest.cluster.ClusterNode cluster, int defaultPartitions) {
        this.topics = topics;
        this.cluster = cluster;
        this.self = self;
        this.defaultPartitions = defaultPartitions;
    }

    CreateTopicsResponseData createTopics(CreateTopicsRequestData req) {
        CreateTopicsResponseData resp = new CreateTopicsResponseData();
        for (CreateTopicsRequestData.CreatableTopic ct : req.topics()) {
            CreateTopicsResponseData.CreatableTopicResult r = new CreateTopicsResponseData.CreatableTopicResult().setName(ct.name());
            try {
                int partitions = ct.numPartitions() == -1 ? defaultPartitions : ct.numPartitions();
                if (!ct.assignments().isEmpty()) {
                    partitions = ct.assignments().size();
                    for (CreateTopicsRequestData.CreatableReplicaAssignment a : ct.assignments()) {
                        if (!a.brokerIds().equals(List.of(self.nodeId()))) {
                            throw new TopicException(Errors.INVALID_REPLICA_ASSIGNMENT,
                                    "Replica assignment " + a.brokerIds() + " names nodes other than node " + self.nodeId());
                        }
                    }
                }
                Map<String, String> overrides = new HashMap<>();
                ct.configs().forEach(c -> overrides.put(c.name(), c.value()));
                TopicRecord t;
                if (req.validateOnly()) {
                    if (topics.lookup(ct.name()).isPresent()) {
                        throw new TopicException(Errors.TOPIC_ALREADY_EXISTS, "Topic '" + ct.name() + "' already exists.");
                    }
                    t = new TopicRecord(ct.name(), UUID.randomUUID(), partitions, (short) 1,
                            topics.validateNew(ct.name(), partitions, overrides));
                } else {
                    t = topics.create(ct.name(), partitions, ct.replicationFactor(), overrides);
                    // Answer once the controller has placed it, so clients find its leaders at once.
                    cluster.awaitPlaced(t, 5000);
                }
                r.setTopicId(MetadataHandler.toKafka(t.id())).setNumPartitions(t.partitions()).setReplicationFactor((short) Math.max(1, t.replicationFactor()));
                r.setConfigs(new java.util.ArrayList<>());
                topics.configs().effective(t.configs()).forEach((k, v) -> r.configs().add(
                        new CreateTopicsResponseData.CreatableTopicConfigs().setName(k).setValue(v)
                                .setConfigSource(source(t.configs(), k).id()).setIsSensitive(false).setReadOnly(false)));
            } catch (TopicException e) {
                r.setErrorCode(e.error().code()).setErrorMessage(e.getMessage());
            }
            resp.topics().add(r);
        }
        return resp;
    }

    DeleteTopicsResponseData deleteTopics(DeleteTopicsRequestData req) {
        DeleteTopicsResponseData resp = new DeleteTopicsResponseData();
        List<String> names = new java.util.ArrayList<>(req.topicNames());
        for (DeleteTopicsRequestData.DeleteTopicState s : req.topics()) {
            if (s.name() != null) {
                names.add(s.name());
            } else {
                Optional<TopicRecord> t = topics.topicById(new UUID(s.topicId().getMostSignificantBits(), s.topicId().getLeastSignificantBits()));
                if (t.isEmpty()) {
                    resp.responses().add(new DeleteTopicsResponseData.DeletableTopicResult().setTopicId(s.topicId())
                            .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                    continue;
                }
                names.add(t.get().name());
            }
        }
        for (String name : names) {
            DeleteTopicsResponseData.DeletableTopicResult r = new DeleteTopicsResponseData.DeletableTopicResult().setName(name);
            try {
                topics.topic(name).ifPresent(t -> r.setTopicId(MetadataHandler.toKafka(t.id())));
                topics.delete(name);
            } catch (TopicException e) {
                r.setErrorCode(e.error().code()).setErrorMessage(e.getMessage());
            }
            resp.responses().add(r);
        }
        return resp;
    }

    CreatePartitionsResponseData createPartitions(CreatePartitionsRequestData req) {
        CreatePartitionsResponseData resp = new CreatePartitionsResponseData();
        for (CreatePartitionsRequestData.CreatePartitionsTopic t : req.topics()) {
            CreatePartitionsResponseData.CreatePartitionsTopicResult r = new CreatePartitionsResponseData.CreatePartitionsTopicResult().setName(t.name());
            try {
                topics.createPartitions(t.name(), t.count(), req.validateOnly());
            } catch (TopicException e) {
                r.setErrorCode(e.error().code()).setErrorMessage(e.getMessage());
            }
            resp.results().add(r);
        }
        return resp;
    }

    DescribeConfigsResponseData describeConfigs(DescribeConfigsRequestData req) {
        DescribeConfigsResponseData resp = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource res : req.resources()) {
            DescribeConfigsResponseData.DescribeConfigsResult r = new DescribeConfigsResponseData.DescribeConfigsResult()
                    .setResourceType(res.resourceType()).setResourceName(res.resourceName());
            if (res.resourceType() == ConfigResource.Type.TOPIC.id()) {
                Optional<TopicRecord> t = topics.lookup(res.resourceName());
                if (t.isEmpty()) {
                    r.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setErrorMessage("Topic '" + res.resourceName() + "' does not exist.");
                } else {
                    Map<String, String> overrides = t.get().configs();
                    topics.configs().effective(overrides).forEach((k, v) -> {
                        if (res.configurationKeys() == null || res.configurationKeys().isEmpty() || res.configurationKeys().contains(k)) {
                            r.configs().add(new DescribeConfigsResponseData.DescribeConfigsResourceResult()
                                    .setName(k).setValue(v).setReadOnly(false).setIsSensitive(false)
                                    .setConfigSource(source(overrides, k).id())
                                    .setDocumentation(req.includeDocumentation() ? TopicConfigs.docOf(k) : null));
                        }
                    });
                }
            } else if (res.resourceType() == ConfigResource.Type.BROKER.id()) {
                // Broker configs are static (file, env, flags); an empty list is what a broker with no dynamic configs shows.
                if (!res.resourceName().isEmpty() && !res.resourceName().equals(Integer.toString(self.nodeId()))) {
                    r.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Unknown broker " + res.resourceName());
                }
            } else {
                r.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Unsupported resource type " + res.resourceType());
            }
            resp.results().add(r);
        }
        return resp;
    }

    IncrementalAlterConfigsResponseData incrementalAlterConfigs(IncrementalAlterConfigsRequestData req) {
        IncrementalAlterConfigsResponseData resp = new IncrementalAlterConfigsResponseData();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource res : req.resources()) {
            IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse r = new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(res.resourceType()).setResourceName(res.resourceName());
            try {
                if (res.resourceType() != ConfigResource.Type.TOPIC.id()) {
                    throw new TopicException(Errors.INVALID_REQUEST, "Only topic configs can be altered; broker settings are static");
                }
                TopicRecord t = topics.lookup(res.resourceName()).orElseThrow(() ->
                        new TopicException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + res.resourceName() + "' does not exist."));
                Map<String, String> updated = new HashMap<>(t.configs());
                for (IncrementalAlterConfigsRequestData.AlterableConfig c : res.configs()) {
                    switch (c.configOperation()) {
                        case 0 -> updated.put(c.name(), c.value());       // SET
                        case 1 -> {                                       // DELETE
                            if (!TopicConfigs.isKnown(c.name())) {
                                throw new TopicException(Errors.INVALID_CONFIG, "Unknown topic config name: " + c.name());
                            }
                            updated.remove(c.name());
                        }
                        default -> throw new TopicException(Errors.INVALID_CONFIG,
                                "Operation " + c.configOperation() + " (APPEND/SUBTRACT) applies to list configs only; " + c.name() + " is not one");
                    }
                }
                Map<String, String> canonical = TopicManager.validateConfigs(updated);
                if (!req.validateOnly()) {
                    topics.setConfigs(t.name(), canonical);
                }
            } catch (TopicException e) {
                r.setErrorCode(e.error().code()).setErrorMessage(e.getMessage());
            }
            resp.responses().add(r);
        }
        return resp;
    }

    private static DescribeConfigsResponse.ConfigSource source(Map<String, String> overrides, String key) {
        return overrides.containsKey(key) ? DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG
                : DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG;
    }
}
