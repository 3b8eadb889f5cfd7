package io.strata.ingest.api;

import io.strata.ingest.server.Request;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.apache.kafka.server.authorizer.Authorizer;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Checks each request against the {@link Authorizer} with the operation Kafka's documentation
 * lists for its API, before the handler sees it, as Kafka's request handling does: a request
 * scoped to the cluster or a group is refused whole (CLUSTER_AUTHORIZATION_FAILED,
 * GROUP_AUTHORIZATION_FAILED); topics and groups the principal may not touch are taken out of the
 * request and answered with TOPIC_AUTHORIZATION_FAILED or GROUP_AUTHORIZATION_FAILED next to the
 * handler's answers for the rest; Metadata and ListGroups leave out what the principal may not
 * see. Without an authorizer ({@code authorizer.enabled=false}) everything passes.
 */
final class RequestAuthorizer {
    private static final String CLUSTER = "kafka-cluster";

    private final Authorizer authorizer;

    RequestAuthorizer(Authorizer authorizer) {
        this.authorizer = authorizer;
    }

    /** Routes {@code r} through {@code route} with what the principal may not do taken out and answered. */
    CompletableFuture<ApiMessage> handle(Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (authorizer == null) {
            return route.apply(r);
        }
        Check c = new Check(r);
        ApiMessage body = r.body();
        return switch (r.apiKey()) {
            case API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE, DESCRIBE_CLUSTER -> route.apply(r);
            case PRODUCE -> produce(c, (ProduceRequestData) body.duplicate(), r, route);
            case FETCH -> fetch(c, (FetchRequestData) body.duplicate(), r, route);
            case LIST_OFFSETS -> listOffsets(c, (ListOffsetsRequestData) body.duplicate(), r, route);
            case METADATA -> metadata(c, (MetadataRequestData) body.duplicate(), r, route);
            case DELETE_RECORDS -> deleteRecords(c, (DeleteRecordsRequestData) body.duplicate(), r, route);
            case OFFSET_FOR_LEADER_EPOCH -> offsetForLeaderEpoch(c, (OffsetForLeaderEpochRequestData) body.duplicate(), r, route);
            case CREATE_TOPICS -> createTopics(c, (CreateTopicsRequestData) body.duplicate(), r, route);
            case DELETE_TOPICS -> deleteTopics(c, (DeleteTopicsRequestData) body.duplicate(), r, route);
            case CREATE_PARTITIONS -> createPartitions(c, (CreatePartitionsRequestData) body.duplicate(), r, route);
            case DESCRIBE_CONFIGS -> describeConfigs(c, (DescribeConfigsRequestData) body.duplicate(), r, route);
            case INCREMENTAL_ALTER_CONFIGS -> alterConfigs(c, (IncrementalAlterConfigsRequestData) body.duplicate(), r, route);
            case INIT_PRODUCER_ID -> initProducerId(c, (InitProducerIdRequestData) body, r, route);
            case ALTER_PARTITION_REASSIGNMENTS, ALTER_USER_SCRAM_CREDENTIALS, CREATE_ACLS, DELETE_ACLS ->
                    c.cluster(AclOperation.ALTER) ? route.apply(r) : clusterDenied(AclOperation.ALTER);
            case LIST_PARTITION_REASSIGNMENTS, DESCRIBE_USER_SCRAM_CREDENTIALS, DESCRIBE_ACLS ->
                    c.cluster(AclOperation.DESCRIBE) ? route.apply(r) : clusterDenied(AclOperation.DESCRIBE);
            case DESCRIBE_CLIENT_QUOTAS ->
                    c.cluster(AclOperation.DESCRIBE_CONFIGS) ? route.apply(r) : clusterDenied(AclOperation.DESCRIBE_CONFIGS);
            case JOIN_GROUP -> group(c, ((JoinGroupRequestData) body).groupId(), AclOperation.READ, r, route);
            case SYNC_GROUP -> group(c, ((SyncGroupRequestData) body).groupId(), AclOperation.READ, r, route);
            case HEARTBEAT -> group(c, ((HeartbeatRequestData) body).groupId(), AclOperation.READ, r, route);
            case LEAVE_GROUP -> group(c, ((LeaveGroupRequestData) body).groupId(), AclOperation.READ, r, route);
            case OFFSET_COMMIT -> offsetCommit(c, (OffsetCommitRequestData) body.duplicate(), r, route);
            case OFFSET_FETCH -> offsetFetch(c, (OffsetFetchRequestData) body, r, route);
            case OFFSET_DELETE -> offsetDelete(c, (OffsetDeleteRequestData) body.duplicate(), r, route);
            case DESCRIBE_GROUPS -> describeGroups(c, (DescribeGroupsRequestData) body, r, route);
            case LIST_GROUPS -> listGroups(c, r, route);
            case DELETE_GROUPS -> deleteGroups(c, (DeleteGroupsRequestData) body.duplicate(), r, route);
            case FIND_COORDINATOR -> findCoordinator(c, (FindCoordinatorRequestData) body, r, route);
            case ADD_PARTITIONS_TO_TXN -> addPartitionsToTxn(c, (org.apache.kafka.common.message.AddPartitionsToTxnRequestData) body, r, route);
            case ADD_OFFSETS_TO_TXN -> {
                var req = (org.apache.kafka.common.message.AddOffsetsToTxnRequestData) body;
                yield !c.transactionalId(AclOperation.WRITE, req.transactionalId()) ? transactionalIdDenied(req.transactionalId())
                        : group(c, req.groupId(), AclOperation.READ, r, route);
            }
            case END_TXN -> {
                String id = ((org.apache.kafka.common.message.EndTxnRequestData) body).transactionalId();
                yield c.transactionalId(AclOperation.WRITE, id) ? route.apply(r) : transactionalIdDenied(id);
            }
            case TXN_OFFSET_COMMIT -> txnOffsetCommit(c, (org.apache.kafka.common.message.TxnOffsetCommitRequestData) body.duplicate(), r, route);
            case DESCRIBE_TRANSACTIONS -> describeTransactions(c, r, route);
            case LIST_TRANSACTIONS -> route.apply(r).thenApply(m -> {
                // Only the ids the principal may describe are listed, as Kafka lists them.
                ((org.apache.kafka.common.message.ListTransactionsResponseData) m).transactionStates()
                        .removeIf(t -> !c.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId(), false));
                return m;
            });
            case WRITE_TXN_MARKERS -> c.cluster(AclOperation.CLUSTER_ACTION) ? route.apply(r) : clusterDenied(AclOperation.CLUSTER_ACTION);
            default -> clusterDenied(AclOperation.ALTER);
        };
    }

    /** The authorizer's questions for one request, with Kafka's request context. */
    private final class Check implements AuthorizableRequestContext {
        private final Request r;

        Check(Request r) {
            this.r = r;
        }

        boolean allowed(AclOperation op, ResourceType type, String name, boolean logIfDenied) {
            Action a = new Action(op, new ResourcePattern(type, name, PatternType.LITERAL), 1, false, logIfDenied);
            return authorizer.authorize(this, List.of(a)).get(0) == AuthorizationResult.ALLOWED;
        }

        boolean topic(AclOperation op, String name) {
            return allowed(op, ResourceType.TOPIC, name, true);
        }

        boolean group(AclOperation op, String name) {
            return allowed(op, ResourceType.GROUP, name, true);
        }

        boolean cluster(AclOperation op) {
            return allowed(op, ResourceType.CLUSTER, CLUSTER, true);
        }

        boolean transactionalId(AclOperation op, String id) {
            return allowed(op, ResourceType.TRANSACTIONAL_ID, id, true);
        }

        @Override
        public String listenerName() {
            return r.session().listenerName();
        }

        @Override
        public org.apache.kafka.common.security.auth.SecurityProtocol securityProtocol() {
            return r.session().protocol();
        }

        @Override
        public org.apache.kafka.common.security.auth.KafkaPrincipal principal() {
            return r.session().principal();
        }

        @Override
        public InetAddress clientAddress() {
            try {
                return r.session().clientHost().isEmpty() ? null : InetAddress.getByName(r.session().clientHost());
            } catch (java.net.UnknownHostException e) {
                return null;
            }
        }

        @Override
        public int requestType() {
            return r.apiKey().id;
        }

        @Override
        public int requestVersion() {
            return r.version();
        }

        @Override
        public String clientId() {
            return r.clientId();
        }

        @Override
        public int correlationId() {
            return r.correlationId();
        }
    }

    private static CompletableFuture<ApiMessage> transactionalIdDenied(String id) {
        return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.TransactionalIdAuthorizationException(
                "Not authorized to use transactional id " + id));
    }

    /** WRITE on the transactional id, then WRITE on every topic; if a topic is refused none is added, as in Kafka. */
    private CompletableFuture<ApiMessage> addPartitionsToTxn(Check c, org.apache.kafka.common.message.AddPartitionsToTxnRequestData req,
                                                             Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (!c.transactionalId(AclOperation.WRITE, req.v3AndBelowTransactionalId())) {
            return transactionalIdDenied(req.v3AndBelowTransactionalId());
        }
        List<String> denied = req.v3AndBelowTopics().stream().map(t -> t.name()).filter(t -> !c.topic(AclOperation.WRITE, t)).toList();
        if (denied.isEmpty()) {
            return route.apply(r);
        }
        var resp = new org.apache.kafka.common.message.AddPartitionsToTxnResponseData();
        for (var t : req.v3AndBelowTopics()) {
            var tr = new org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult().setName(t.name());
            short code = denied.contains(t.name()) ? DENIED_TOPIC : Errors.OPERATION_NOT_ATTEMPTED.code();
            t.partitions().forEach(p -> tr.resultsByPartition().add(
                    new org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult()
                            .setPartitionIndex(p).setPartitionErrorCode(code)));
            resp.resultsByTopicV3AndBelow().add(tr);
        }
        return CompletableFuture.completedFuture(resp);
    }

    /** WRITE on the transactional id, READ on the group, READ on each topic (refused topics answered TOPIC_AUTHORIZATION_FAILED). */
    private CompletableFuture<ApiMessage> txnOffsetCommit(Check c, org.apache.kafka.common.message.TxnOffsetCommitRequestData req, Request r,
                                                          Function<Request, CompletableFuture<ApiMessage>> route) {
        if (!c.transactionalId(AclOperation.WRITE, req.transactionalId())) {
            return transactionalIdDenied(req.transactionalId());
        }
        if (!c.group(AclOperation.READ, req.groupId())) {
            return CompletableFuture.failedFuture(new GroupAuthorizationException("Not authorized to access group: " + req.groupId()));
        }
        var denied = takeOut(req.topics(), t -> c.topic(AclOperation.READ, t.name()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, org.apache.kafka.common.message.TxnOffsetCommitResponseData::new,
                (resp, t) -> {
                    var tr = new org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic().setName(t.name());
                    t.partitions().forEach(p -> tr.partitions().add(
                            new org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition()
                                    .setPartitionIndex(p.partitionIndex()).setErrorCode(DENIED_TOPIC)));
                    resp.topics().add(tr);
                }, route);
    }

    /** DESCRIBE on each transactional id; refused ids are answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED. */
    private CompletableFuture<ApiMessage> describeTransactions(Check c, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        return route.apply(r).thenApply(m -> {
            for (var s : ((org.apache.kafka.common.message.DescribeTransactionsResponseData) m).transactionStates()) {
                if (!c.transactionalId(AclOperation.DESCRIBE, s.transactionalId())) {
                    s.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()).setTransactionState("").setProducerId(-1)
                            .setProducerEpoch((short) -1).setTransactionStartTimeMs(-1).setTransactionTimeoutMs(0).topics().clear();
                }
            }
            return m;
        });
    }

    private static CompletableFuture<ApiMessage> clusterDenied(AclOperation op) {
        return CompletableFuture.failedFuture(new ClusterAuthorizationException("Request requires " + op + " on the cluster"));
    }

    private static Request with(Request r, ApiMessage body) {
        return new Request(r.header(), r.apiKey(), r.version(), body, r.raw(), r.session());
    }

    /** Removes the items {@code allowed} refuses from {@code items} and returns them. */
    private static <T> List<T> takeOut(java.util.Collection<T> items, Predicate<T> allowed) {
        List<T> out = new ArrayList<>();
        for (Iterator<T> it = items.iterator(); it.hasNext(); ) {
            T t = it.next();
            if (!allowed.test(t)) {
                out.add(t);
                it.remove();
            }
        }
        return out;
    }

    /**
     * Routes the request without {@code denied} (already taken out of {@code reduced}), then
     * answers them next to the handler's answers; with nothing left, the handler is not asked.
     */
    private static <M extends ApiMessage, T> CompletableFuture<ApiMessage> answerDenied(Request r, ApiMessage reduced, boolean nothingLeft,
            List<T> denied, java.util.function.Supplier<M> empty, java.util.function.BiConsumer<M, T> addDenied,
            Function<Request, CompletableFuture<ApiMessage>> route) {
        if (denied.isEmpty()) {
            return route.apply(r);
        }
        CompletableFuture<ApiMessage> rest = nothingLeft ? CompletableFuture.completedFuture(empty.get()) : route.apply(with(r, reduced));
        return rest.thenApply(m -> {
            @SuppressWarnings("unchecked")
            M resp = (M) m;
            denied.forEach(d -> addDenied.accept(resp, d));
            return resp;
        });
    }

    private static final short DENIED_TOPIC = Errors.TOPIC_AUTHORIZATION_FAILED.code();
    private static final short DENIED_GROUP = Errors.GROUP_AUTHORIZATION_FAILED.code();

    private CompletableFuture<ApiMessage> produce(Check c, ProduceRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (req.transactionalId() != null && !c.transactionalId(AclOperation.WRITE, req.transactionalId())) {
            return transactionalIdDenied(req.transactionalId());
        }
        List<ProduceRequestData.TopicProduceData> denied = takeOut(req.topicData(), t -> c.topic(AclOperation.WRITE, t.name()));
        if (req.acks() == 0 && !denied.isEmpty()) {
            // No answer goes back; the refused records are simply not written.
            return req.topicData().isEmpty() ? CompletableFuture.completedFuture(null) : route.apply(with(r, req));
        }
        return answerDenied(r, req, req.topicData().isEmpty(), denied, ProduceResponseData::new, (resp, t) -> {
            ProduceResponseData.TopicProduceResponse tr = new ProduceResponseData.TopicProduceResponse().setName(t.name());
            t.partitionData().forEach(p -> tr.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse()
                    .setIndex(p.index()).setErrorCode(DENIED_TOPIC)));
            resp.responses().add(tr);
        }, route);
    }

    private CompletableFuture<ApiMessage> fetch(Check c, FetchRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        boolean follower = req.replicaId() >= 0;
        boolean clusterAction = follower && c.cluster(AclOperation.CLUSTER_ACTION);
        List<FetchRequestData.FetchTopic> denied = takeOut(req.topics(), t -> follower ? clusterAction : c.topic(AclOperation.READ, t.topic()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, FetchResponseData::new, (resp, t) -> {
            FetchResponseData.FetchableTopicResponse tr = new FetchResponseData.FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId());
            t.partitions().forEach(p -> tr.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(p.partition())
                    .setErrorCode(DENIED_TOPIC).setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1)
                    .setRecords(io.strata.records.Batches.toRecords(java.nio.ByteBuffer.allocate(0)))));
            resp.responses().add(tr);
        }, route);
    }

    private CompletableFuture<ApiMessage> listOffsets(Check c, ListOffsetsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<ListOffsetsRequestData.ListOffsetsTopic> denied = takeOut(req.topics(), t -> c.topic(AclOperation.DESCRIBE, t.name()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, ListOffsetsResponseData::new, (resp, t) -> {
            ListOffsetsResponseData.ListOffsetsTopicResponse tr = new ListOffsetsResponseData.ListOffsetsTopicResponse().setName(t.name());
            t.partitions().forEach(p -> tr.partitions().add(new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                    .setPartitionIndex(p.partitionIndex()).setErrorCode(DENIED_TOPIC).setOffset(-1).setTimestamp(-1)));
            resp.topics().add(tr);
        }, route);
    }

    /**
     * Topics the principal may not DESCRIBE are left out of a listing and answered
     * TOPIC_AUTHORIZATION_FAILED when named; a missing topic is created only with CREATE on the
     * cluster or the topic (otherwise it is reported missing, as Kafka does).
     */
    private CompletableFuture<ApiMessage> metadata(Check c, MetadataRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<MetadataRequestData.MetadataRequestTopic> denied = req.topics() == null ? List.of()
                : takeOut(req.topics(), t -> t.name() == null || c.topic(AclOperation.DESCRIBE, t.name()));
        boolean mayCreate = req.topics() != null && c.allowed(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER, false);
        if (req.topics() != null && !mayCreate && req.allowAutoTopicCreation()) {
            boolean allTopicsCreatable = req.topics().stream().allMatch(t -> t.name() == null
                    || c.allowed(AclOperation.CREATE, ResourceType.TOPIC, t.name(), false));
            req.setAllowAutoTopicCreation(allTopicsCreatable);
        }
        boolean listing = req.topics() == null || (r.version() == 0 && req.topics().isEmpty());
        CompletableFuture<ApiMessage> rest = route.apply(with(r, req));
        return rest.thenApply(m -> {
            MetadataResponseData resp = (MetadataResponseData) m;
            if (listing) {
                resp.topics().removeIf(t -> !c.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name(), false));
            }
            for (MetadataRequestData.MetadataRequestTopic t : denied) {
                resp.topics().add(new MetadataResponseData.MetadataResponseTopic().setName(t.name()).setErrorCode(DENIED_TOPIC));
            }
            return resp;
        });
    }

    private CompletableFuture<ApiMessage> deleteRecords(Check c, DeleteRecordsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<DeleteRecordsRequestData.DeleteRecordsTopic> denied = takeOut(req.topics(), t -> c.topic(AclOperation.DELETE, t.name()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, DeleteRecordsResponseData::new, (resp, t) -> {
            DeleteRecordsResponseData.DeleteRecordsTopicResult tr = new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(t.name());
            t.partitions().forEach(p -> tr.partitions().add(new DeleteRecordsResponseData.DeleteRecordsPartitionResult()
                    .setPartitionIndex(p.partitionIndex()).setLowWatermark(-1).setErrorCode(DENIED_TOPIC)));
            resp.topics().add(tr);
        }, route);
    }

    private CompletableFuture<ApiMessage> offsetForLeaderEpoch(Check c, OffsetForLeaderEpochRequestData req, Request r,
                                                               Function<Request, CompletableFuture<ApiMessage>> route) {
        boolean follower = req.replicaId() >= 0;
        boolean clusterAction = follower && c.cluster(AclOperation.CLUSTER_ACTION);
        List<OffsetForLeaderEpochRequestData.OffsetForLeaderTopic> denied = takeOut(req.topics(),
                t -> follower ? clusterAction : c.topic(AclOperation.DESCRIBE, t.topic()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, OffsetForLeaderEpochResponseData::new, (resp, t) -> {
            OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult tr = new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult().setTopic(t.topic());
            t.partitions().forEach(p -> tr.partitions().add(new OffsetForLeaderEpochResponseData.EpochEndOffset()
                    .setPartition(p.partition()).setErrorCode(DENIED_TOPIC).setLeaderEpoch(-1).setEndOffset(-1)));
            resp.topics().add(tr);
        }, route);
    }

    private CompletableFuture<ApiMessage> createTopics(Check c, CreateTopicsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (c.allowed(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER, false)) {
            return route.apply(r);
        }
        List<CreateTopicsRequestData.CreatableTopic> denied = takeOut(req.topics(), t -> c.topic(AclOperation.CREATE, t.name()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, CreateTopicsResponseData::new, (resp, t) -> resp.topics().add(
                new CreateTopicsResponseData.CreatableTopicResult().setName(t.name()).setErrorCode(DENIED_TOPIC)
                        .setErrorMessage("Authorization failed.").setNumPartitions(-1).setReplicationFactor((short) -1)), route);
    }

    private CompletableFuture<ApiMessage> deleteTopics(Check c, DeleteTopicsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<String> denied = new ArrayList<>(takeOut(req.topicNames(), n -> c.topic(AclOperation.DELETE, n)));
        takeOut(req.topics(), t -> t.name() == null || c.topic(AclOperation.DELETE, t.name())).forEach(t -> denied.add(t.name()));
        return answerDenied(r, req, req.topicNames().isEmpty() && req.topics().isEmpty(), denied, DeleteTopicsResponseData::new,
                (resp, n) -> resp.responses().add(new DeleteTopicsResponseData.DeletableTopicResult().setName(n).setErrorCode(DENIED_TOPIC)), route);
    }

    private CompletableFuture<ApiMessage> createPartitions(Check c, CreatePartitionsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<CreatePartitionsRequestData.CreatePartitionsTopic> denied = takeOut(req.topics(), t -> c.topic(AclOperation.ALTER, t.name()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, CreatePartitionsResponseData::new, (resp, t) -> resp.results().add(
                new CreatePartitionsResponseData.CreatePartitionsTopicResult().setName(t.name()).setErrorCode(DENIED_TOPIC)
                        .setErrorMessage("Authorization failed.")), route);
    }

    /** DESCRIBE_CONFIGS (or ALTER_CONFIGS) on the topic, or on the cluster for a broker's configs. */
    private boolean configsAllowed(Check c, AclOperation op, byte resourceType, String name) {
        return resourceType == org.apache.kafka.common.config.ConfigResource.Type.TOPIC.id()
                ? c.topic(op, name) : c.cluster(op);
    }

    private static short configDenial(byte resourceType) {
        return resourceType == org.apache.kafka.common.config.ConfigResource.Type.TOPIC.id()
                ? DENIED_TOPIC : Errors.CLUSTER_AUTHORIZATION_FAILED.code();
    }

    private CompletableFuture<ApiMessage> describeConfigs(Check c, DescribeConfigsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<DescribeConfigsRequestData.DescribeConfigsResource> denied = takeOut(req.resources(),
                x -> configsAllowed(c, AclOperation.DESCRIBE_CONFIGS, x.resourceType(), x.resourceName()));
        return answerDenied(r, req, req.resources().isEmpty(), denied, DescribeConfigsResponseData::new, (resp, x) -> resp.results().add(
                new DescribeConfigsResponseData.DescribeConfigsResult().setResourceType(x.resourceType()).setResourceName(x.resourceName())
                        .setErrorCode(configDenial(x.resourceType())).setErrorMessage("Authorization failed.")), route);
    }

    private CompletableFuture<ApiMessage> alterConfigs(Check c, IncrementalAlterConfigsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<IncrementalAlterConfigsRequestData.AlterConfigsResource> denied = takeOut(req.resources(),
                x -> configsAllowed(c, AclOperation.ALTER_CONFIGS, x.resourceType(), x.resourceName()));
        return answerDenied(r, req, req.resources().isEmpty(), denied, IncrementalAlterConfigsResponseData::new, (resp, x) -> resp.responses().add(
                new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse().setResourceType(x.resourceType())
                        .setResourceName(x.resourceName()).setErrorCode(configDenial(x.resourceType())).setErrorMessage("Authorization failed.")), route);
    }

    /** An idempotent producer needs IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679). */
    private CompletableFuture<ApiMessage> initProducerId(Check c, InitProducerIdRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (req.transactionalId() == null && (c.allowed(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER, false)
                || authorizer.authorizeByResourceType(c, AclOperation.WRITE, ResourceType.TOPIC) == AuthorizationResult.ALLOWED)) {
            return route.apply(r);
        }
        if (req.transactionalId() != null) {
            return c.transactionalId(AclOperation.WRITE, req.transactionalId()) ? route.apply(r) : transactionalIdDenied(req.transactionalId());
        }
        c.cluster(AclOperation.IDEMPOTENT_WRITE);
        return clusterDenied(AclOperation.IDEMPOTENT_WRITE);
    }

    private CompletableFuture<ApiMessage> group(Check c, String group, AclOperation op, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        return c.group(op, group) ? route.apply(r)
                : CompletableFuture.failedFuture(new GroupAuthorizationException("Not authorized to access group: " + group));
    }

    private CompletableFuture<ApiMessage> offsetCommit(Check c, OffsetCommitRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (!c.group(AclOperation.READ, req.groupId())) {
            return CompletableFuture.failedFuture(new GroupAuthorizationException("Not authorized to access group: " + req.groupId()));
        }
        List<OffsetCommitRequestData.OffsetCommitRequestTopic> denied = takeOut(req.topics(), t -> c.topic(AclOperation.READ, t.name()));
        return answerDenied(r, req, req.topics().isEmpty(), denied, OffsetCommitResponseData::new, (resp, t) -> {
            OffsetCommitResponseData.OffsetCommitResponseTopic tr = new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(t.name());
            t.partitions().forEach(p -> tr.partitions().add(new OffsetCommitResponseData.OffsetCommitResponsePartition()
                    .setPartitionIndex(p.partitionIndex()).setErrorCode(DENIED_TOPIC)));
            resp.topics().add(tr);
        }, route);
    }

    /** DESCRIBE on the group; offsets of topics the principal may not DESCRIBE are answered TOPIC_AUTHORIZATION_FAILED, or left out of an all-topics fetch. */
    private CompletableFuture<ApiMessage> offsetFetch(Check c, OffsetFetchRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (r.version() < 8) {
            if (!c.group(AclOperation.DESCRIBE, req.groupId())) {
                return CompletableFuture.failedFuture(new GroupAuthorizationException("Not authorized to access group: " + req.groupId()));
            }
            boolean all = req.topics() == null;
            return route.apply(r).thenApply(m -> {
                OffsetFetchResponseData resp = (OffsetFetchResponseData) m;
                if (all) {
                    resp.topics().removeIf(t -> !c.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name(), false));
                } else {
                    resp.topics().stream().filter(t -> !c.topic(AclOperation.DESCRIBE, t.name())).forEach(t -> t.partitions()
                            .forEach(p -> p.setErrorCode(DENIED_TOPIC).setCommittedOffset(-1).setMetadata("")));
                }
                return resp;
            });
        }
        List<String> deniedGroups = req.groups().stream().map(OffsetFetchRequestData.OffsetFetchRequestGroup::groupId)
                .filter(g -> !c.group(AclOperation.DESCRIBE, g)).toList();
        return route.apply(r).thenApply(m -> {
            OffsetFetchResponseData resp = (OffsetFetchResponseData) m;
            for (OffsetFetchResponseData.OffsetFetchResponseGroup g : resp.groups()) {
                if (deniedGroups.contains(g.groupId())) {
                    g.setErrorCode(DENIED_GROUP).topics().clear();
                    continue;
                }
                OffsetFetchRequestData.OffsetFetchRequestGroup asked = req.groups().stream().filter(x -> x.groupId().equals(g.groupId()))
                        .findFirst().orElse(null);
                if (asked != null && asked.topics() == null) {
                    g.topics().removeIf(t -> !c.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name(), false));
                } else {
                    g.topics().stream().filter(t -> !c.topic(AclOperation.DESCRIBE, t.name())).forEach(t -> t.partitions()
                            .forEach(p -> p.setErrorCode(DENIED_TOPIC).setCommittedOffset(-1).setMetadata("")));
                }
            }
            return resp;
        });
    }

    private CompletableFuture<ApiMessage> offsetDelete(Check c, OffsetDeleteRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (!c.group(AclOperation.DELETE, req.groupId())) {
            return CompletableFuture.failedFuture(new GroupAuthorizationException("Not authorized to access group: " + req.groupId()));
        }
        List<OffsetDeleteRequestData.OffsetDeleteRequestTopic> denied = takeOut(req.topics(), t -> c.topic(AclOperation.READ, t.name()));
        return answerDenied(r, req, false, denied, OffsetDeleteResponseData::new, (resp, t) -> {
            OffsetDeleteResponseData.OffsetDeleteResponseTopic tr = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name());
            t.partitions().forEach(p -> tr.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                    .setPartitionIndex(p.partitionIndex()).setErrorCode(DENIED_TOPIC)));
            resp.topics().add(tr);
        }, route);
    }

    private CompletableFuture<ApiMessage> describeGroups(Check c, DescribeGroupsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        DescribeGroupsRequestData allowed = req.duplicate();
        List<String> denied = takeOut(allowed.groups(), g -> c.group(AclOperation.DESCRIBE, g));
        return answerDenied(r, allowed, allowed.groups().isEmpty(), denied, DescribeGroupsResponseData::new, (resp, g) -> resp.groups().add(
                new DescribeGroupsResponseData.DescribedGroup().setGroupId(g).setErrorCode(DENIED_GROUP)
                        .setGroupState("").setProtocolType("").setProtocolData("")), route);
    }

    /** All groups with DESCRIBE on the cluster; otherwise those the principal may DESCRIBE. */
    private CompletableFuture<ApiMessage> listGroups(Check c, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (c.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER, false)) {
            return route.apply(r);
        }
        return route.apply(r).thenApply(m -> {
            ListGroupsResponseData resp = (ListGroupsResponseData) m;
            resp.groups().removeIf(g -> !c.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId(), false));
            return resp;
        });
    }

    private CompletableFuture<ApiMessage> deleteGroups(Check c, DeleteGroupsRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        List<String> denied = takeOut(req.groupsNames(), g -> c.group(AclOperation.DELETE, g));
        return answerDenied(r, req, req.groupsNames().isEmpty(), denied, DeleteGroupsResponseData::new, (resp, g) -> resp.results().add(
                new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(g).setErrorCode(DENIED_GROUP)), route);
    }

    private CompletableFuture<ApiMessage> findCoordinator(Check c, FindCoordinatorRequestData req, Request r, Function<Request, CompletableFuture<ApiMessage>> route) {
        if (req.keyType() == FindCoordinatorRequest.CoordinatorType.TRANSACTION.id()) {
            return findTransactionCoordinator(c, req, r, route);
        }
        if (req.keyType() != FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            return route.apply(r);
        }
        if (r.version() < 4) {
            return group(c, req.key(), AclOperation.DESCRIBE, r, route);
        }
        List<String> denied = req.coordinatorKeys().stream().filter(k -> !c.group(AclOperation.DESCRIBE, k)).toList();
        return route.apply(r).thenApply(m -> {
            FindCoordinatorResponseData resp = (FindCoordinatorResponseData) m;
            resp.coordinators().stream().filter(x -> denied.contains(x.key())).forEach(x -> x.setErrorCode(DENIED_GROUP)
                    .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message()).setNodeId(-1).setHost("").setPort(-1));
            return resp;
        });
    }

    /** DESCRIBE on each transactional id asked about (Kafka's rule for FindCoordinator of type TRANSACTION). */
    private CompletableFuture<ApiMessage> findTransactionCoordinator(Check c, FindCoordinatorRequestData req, Request r,
                                                                     Function<Request, CompletableFuture<ApiMessage>> route) {
        if (r.version() < 4) {
            return c.transactionalId(AclOperation.DESCRIBE, req.key()) ? route.apply(r) : transactionalIdDenied(req.key());
        }
        List<String> denied = req.coordinatorKeys().stream().filter(k -> !c.transactionalId(AclOperation.DESCRIBE, k)).toList();
        return route.apply(r).thenApply(m -> {
            FindCoordinatorResponseData resp = (FindCoordinatorResponseData) m;
            resp.coordinators().stream().filter(x -> denied.contains(x.key())).forEach(x -> x.setErrorCode(
                    Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()).setErrorMessage(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.message())
                    .setNodeId(-1).setHost("").setPort(-1));
            return resp;
        });
    }
}
