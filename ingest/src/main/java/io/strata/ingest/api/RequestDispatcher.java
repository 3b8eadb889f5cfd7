package io.strata.ingest.api;

import io.strata.ingest.server.Request;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.store.ProducerIdStore;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Routes each request to its handler: one switch over the API keys Strata serves. Handlers
 * run on the I/O pool and may block briefly (disk, MetaStore); anything that waits longer
 * (fsync, delayed fetch, rebalance) returns an incomplete future instead.
 */
public final class RequestDispatcher implements io.strata.ingest.server.RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);

    private final MetadataHandler metadata;
    private final TopicAdminHandler topicAdmin;
    private final ProduceHandler produce;
    private final FetchHandler fetch;
    private final FetchSessionCache fetchSessions;
    private final ListOffsetsHandler listOffsets;
    private final ProducerIdHandler producerIds;
    private final DeleteRecordsHandler deleteRecords;
    private final ClusterHandler cluster;
    private final GroupApis groups;
    private final OffsetForLeaderEpochHandler offsetForLeaderEpoch;
    private final ReassignmentHandler reassignments;
    private final ScramCredentialsHandler scramCredentials;
    private final AclApis acls;
    private final RequestAuthorizer requestAuthorizer;
    private final TransactionApis transactions;

    public RequestDispatcher(BrokerIdentity self, TopicManager topics, ProducerIdStore ids, GroupApis groups,
                             int fetchMaxBytes, int fetchSessionSlots, boolean autoCreate, int defaultPartitions,
                             io.strata.tiering.service.TieringService tiering, io.strata.ingest.cluster.ClusterNode clusterNode,
                             io.strata.ingest.replication.ReplicationManager replication, io.micrometer.core.instrument.MeterRegistry metrics,
                             io.strata.ingest.security.ScramCredentials credentials,
                             org.apache.kafka.server.authorizer.Authorizer authorizer,
                             io.strata.ingest.txn.TransactionCoordinator txnCoordinator, io.strata.ingest.txn.MarkerAppender markerAppender) {
        this.transactions = new TransactionApis(txnCoordinator, markerAppender, topics);
        this.metrics = metrics;
        this.acls = new AclApis(authorizer);
        this.requestAuthorizer = new RequestAuthorizer(authorizer);
        this.scramCredentials = new ScramCredentialsHandler(credentials);
        Leadership leadership = replication::leaderEpochOnceApplied;
        this.offsetForLeaderEpoch = new OffsetForLeaderEpochHandler(topics, leadership);
        this.reassignments = new ReassignmentHandler(topics, clusterNode);
        this.metadata = new MetadataHandler(self, topics, clusterNode, autoCreate, defaultPartitions);
        this.topicAdmin = new TopicAdminHandler(topics, self, clusterNode, defaultPartitions);
        this.produce = new ProduceHandler(topics, tiering, leadership, replication, metrics, txnCoordinator::partitionInTransaction);
        this.fetch = new FetchHandler(topics, fetchMaxBytes, tiering, leadership, replication, metrics);
        this.fetchSessions = new FetchSessionCache(fetchSessionSlots, System::currentTimeMillis, metrics);
        this.listOffsets = new ListOffsetsHandler(topics, tiering, leadership);
        this.producerIds = new ProducerIdHandler(ids);
        this.deleteRecords = new DeleteRecordsHandler(topics, leadership);
        this.cluster = new ClusterHandler(self, clusterNode);
        this.groups = groups;
        topics.setAppendListener(fetch);
    }

    /** Stops the fetch purgatory. */
    public void close() {
        fetch.close();
    }

    private final io.micrometer.core.instrument.MeterRegistry metrics;
    private final java.util.Map<org.apache.kafka.common.protocol.ApiKeys, io.micrometer.core.instrument.Timer> timers =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Handles one request, timing it per API and counting the errors its response carries; a
     * failure becomes the request's own error response. A null response means none is sent (acks=0 produce).
     */
    @Override
    public CompletableFuture<ApiMessage> handle(Request r) {
        long t0 = System.nanoTime();
        io.micrometer.core.instrument.Timer timer = timers.computeIfAbsent(r.apiKey(), k -> io.micrometer.core.instrument.Timer
                .builder("strata.requests").tag("api", k.name).publishPercentiles(0.5, 0.99)
                .description("Kafka requests handled, by API, from arrival at a handler to the response").register(metrics));
        CompletableFuture<ApiMessage> f;
        try {
            f = r.body() instanceof FetchRequestData fetchReq
                    // The session first: its partitions are authorized and read on every fetch, named in the request or not.
                    ? widen(fetchSessions.fetch(fetchReq, r.version(), toRead -> requestAuthorizer.handle(withBody(r, toRead), this::route)
                            .thenApply(m -> (FetchResponseData) m)))
                    : requestAuthorizer.handle(r, this::route);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((m, e) -> {
            timer.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
            ApiMessage response = e == null ? m : errorResponse(r, e);
            if (response != null) {
                countErrors(r, response);
            }
            return response;
        });
    }

    private static Request withBody(Request r, org.apache.kafka.common.protocol.ApiMessage body) {
        return new Request(r.header(), r.apiKey(), r.version(), body, r.raw(), r.session());
    }

    /** strata_request_errors_total{api, error}: one per request for each error its response carries. */
    private void countErrors(Request r, ApiMessage response) {
        for (Errors error : ResponseErrors.of(response)) {
            metrics.counter("strata.request.errors", "api", r.apiKey().name, "error", error.name()).increment();
        }
    }

    private CompletableFuture<ApiMessage> route(Request r) {
        ApiMessage body = r.body();
        short v = r.version();
        return switch (r.apiKey()) {
            case API_VERSIONS -> done(ApiVersionsTable.response(
                    ApiVersionsTable.supports(r.apiKey(), v) ? Errors.NONE : Errors.UNSUPPORTED_VERSION));
            case METADATA -> done(metadata.handle((MetadataRequestData) body, v, r.session().listenerName()));
            case CREATE_TOPICS -> done(topicAdmin.createTopics((CreateTopicsRequestData) body));
            case DELETE_TOPICS -> done(topicAdmin.deleteTopics((DeleteTopicsRequestData) body));
            case CREATE_PARTITIONS -> done(topicAdmin.createPartitions((CreatePartitionsRequestData) body));
            case DESCRIBE_CONFIGS -> done(topicAdmin.describeConfigs((DescribeConfigsRequestData) body));
            case INCREMENTAL_ALTER_CONFIGS -> done(topicAdmin.incrementalAlterConfigs((IncrementalAlterConfigsRequestData) body));
            case PRODUCE -> widen(produce.handle((ProduceRequestData) body));
            case FETCH -> widen(fetch.handle((FetchRequestData) body));
            case LIST_OFFSETS -> widen(listOffsets.handle((ListOffsetsRequestData) body, v));
            case INIT_PRODUCER_ID -> done(((InitProducerIdRequestData) body).transactionalId() != null
                    ? transactions.initProducerId((InitProducerIdRequestData) body, v)
                    : producerIds.handle((InitProducerIdRequestData) body));
            case ADD_PARTITIONS_TO_TXN -> done(transactions.addPartitions((org.apache.kafka.common.message.AddPartitionsToTxnRequestData) body, v));
            case ADD_OFFSETS_TO_TXN -> done(transactions.addOffsets((org.apache.kafka.common.message.AddOffsetsToTxnRequestData) body, v));
            case END_TXN -> widen(transactions.endTxn((org.apache.kafka.common.message.EndTxnRequestData) body, v));
            case DESCRIBE_TRANSACTIONS -> done(transactions.describe((org.apache.kafka.common.message.DescribeTransactionsRequestData) body));
            case LIST_TRANSACTIONS -> done(transactions.list((org.apache.kafka.common.message.ListTransactionsRequestData) body));
            case WRITE_TXN_MARKERS -> widen(transactions.writeMarkers((org.apache.kafka.common.message.WriteTxnMarkersRequestData) body));
            case DELETE_RECORDS -> done(deleteRecords.handle((DeleteRecordsRequestData) body));
            case ALTER_PARTITION_REASSIGNMENTS -> done(reassignments.alter((org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData) body));
            case LIST_PARTITION_REASSIGNMENTS -> done(reassignments.list((org.apache.kafka.common.message.ListPartitionReassignmentsRequestData) body));
            case OFFSET_FOR_LEADER_EPOCH -> done(offsetForLeaderEpoch.handle((org.apache.kafka.common.message.OffsetForLeaderEpochRequestData) body));
            case DESCRIBE_CLUSTER -> done(cluster.describeCluster((DescribeClusterRequestData) body, r.session().listenerName()));
            case FIND_COORDINATOR -> done(cluster.findCoordinator((FindCoordinatorRequestData) body, v, r.session().listenerName()));
            case DESCRIBE_USER_SCRAM_CREDENTIALS -> done(scramCredentials.describe(
                    (org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData) body));
            case ALTER_USER_SCRAM_CREDENTIALS -> done(scramCredentials.alter(
                    (org.apache.kafka.common.message.AlterUserScramCredentialsRequestData) body));
            // Strata enforces no client quotas: the answer is that none are set (kafka-configs --describe asks).
            case DESCRIBE_CLIENT_QUOTAS -> done(new org.apache.kafka.common.message.DescribeClientQuotasResponseData()
                    .setErrorCode(Errors.NONE.code()).setEntries(new java.util.ArrayList<>()));
            case CREATE_ACLS -> done(acls.create((org.apache.kafka.common.message.CreateAclsRequestData) body));
            case DESCRIBE_ACLS -> done(acls.describe((org.apache.kafka.common.message.DescribeAclsRequestData) body));
            case DELETE_ACLS -> done(acls.delete((org.apache.kafka.common.message.DeleteAclsRequestData) body));
            case JOIN_GROUP, SYNC_GROUP, HEARTBEAT, LEAVE_GROUP, OFFSET_COMMIT, OFFSET_FETCH, OFFSET_DELETE,
                 LIST_GROUPS, DESCRIBE_GROUPS, DELETE_GROUPS, TXN_OFFSET_COMMIT -> groups.handle(r);
            default -> CompletableFuture.failedFuture(new UnsupportedVersionException(r.apiKey() + " is not supported"));
        };
    }

    /**
     * The response of the request's own shape for a failure, built by kafka-clients' request
     * classes: every partition or resource of the request carries the error code.
     */
    @Override
    public ApiMessage errorResponse(Request r, Throwable failure) {
        Throwable cause = unwrap(failure);
        ApiException api;
        if (cause instanceof ApiException e) {
            api = e;
        } else if (cause instanceof MetaStoreUnavailableException) {
            log.warn("{} from {} failed: metastore unavailable: {}", r.apiKey(), r.clientId(), cause.getMessage());
            // Both are retriable: group clients rediscover the coordinator, others retry the request.
            boolean transactional = TRANSACTION_APIS.contains(r.apiKey()) || r.body() instanceof InitProducerIdRequestData ip && ip.transactionalId() != null;
            api = GROUP_APIS.contains(r.apiKey()) || transactional
                    ? new org.apache.kafka.common.errors.CoordinatorNotAvailableException("metastore unavailable: " + cause.getMessage())
                    : new org.apache.kafka.common.errors.TimeoutException("metastore unavailable: " + cause.getMessage());
        } else {
            log.error("{} v{} from {} ({}) failed", r.apiKey(), r.version(), r.clientId(), r.connectionId(), cause);
            api = Errors.UNKNOWN_SERVER_ERROR.exception(cause.toString());
        }
        AbstractRequest req = AbstractRequest.parseRequest(r.apiKey(), r.version(), new ByteBufferAccessor(r.raw().duplicate())).request;
        return req.getErrorResponse(0, api).data();
    }

    private static final java.util.Set<org.apache.kafka.common.protocol.ApiKeys> GROUP_APIS = java.util.EnumSet.of(
            org.apache.kafka.common.protocol.ApiKeys.JOIN_GROUP, org.apache.kafka.common.protocol.ApiKeys.SYNC_GROUP,
            org.apache.kafka.common.protocol.ApiKeys.HEARTBEAT, org.apache.kafka.common.protocol.ApiKeys.LEAVE_GROUP,
            org.apache.kafka.common.protocol.ApiKeys.OFFSET_COMMIT, org.apache.kafka.common.protocol.ApiKeys.OFFSET_FETCH,
            org.apache.kafka.common.protocol.ApiKeys.OFFSET_DELETE, org.apache.kafka.common.protocol.ApiKeys.LIST_GROUPS,
            org.apache.kafka.common.protocol.ApiKeys.DESCRIBE_GROUPS, org.apache.kafka.common.protocol.ApiKeys.DELETE_GROUPS,
            org.apache.kafka.common.protocol.ApiKeys.TXN_OFFSET_COMMIT);

    /** Answered COORDINATOR_NOT_AVAILABLE when the MetaStore is down: every client handler of these retries it. */
    private static final java.util.Set<org.apache.kafka.common.protocol.ApiKeys> TRANSACTION_APIS = java.util.EnumSet.of(
            org.apache.kafka.common.protocol.ApiKeys.ADD_PARTITIONS_TO_TXN, org.apache.kafka.common.protocol.ApiKeys.ADD_OFFSETS_TO_TXN,
            org.apache.kafka.common.protocol.ApiKeys.END_TXN, org.apache.kafka.common.protocol.ApiKeys.DESCRIBE_TRANSACTIONS,
            org.apache.kafka.common.protocol.ApiKeys.LIST_TRANSACTIONS);

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static CompletableFuture<ApiMessage> done(ApiMessage m) {
        return CompletableFuture.completedFuture(m);
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<ApiMessage> widen(CompletableFuture<? extends ApiMessage> f) {
        return (CompletableFuture<ApiMessage>) f;
    }
}
