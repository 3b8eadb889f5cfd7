package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every version of every API the node advertises, sent with a representative request: each is
 * answered (none closes the connection) and the answer carries no error. Catches fields set in a
 * response that the client's version cannot carry.
 */
class ProtocolVersionSweepIT {
    @TempDir
    static Path dir;
    static StrataNode node;

    @BeforeAll
    static void start() throws Exception {
        node = StrataNode.start(dir.resolve("node"));
        try (Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("sweep", 1, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
    }

    private record Case(Function<Short, ApiMessage> request, BiConsumer<Short, ApiMessage> check) {
    }

    private static MemoryRecords oneRecord() {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("k".getBytes(), "v".getBytes()));
    }

    private static final Map<ApiKeys, Case> CASES = Map.ofEntries(
            Map.entry(ApiKeys.API_VERSIONS, new Case(v -> new ApiVersionsRequestData().setClientSoftwareName("sweep").setClientSoftwareVersion("1"),
                    (v, r) -> assertThat(((ApiVersionsResponseData) r).errorCode()).isZero())),
            Map.entry(ApiKeys.METADATA, new Case(v -> new MetadataRequestData().setTopics(new ArrayList<>(List.of(
                            new MetadataRequestData.MetadataRequestTopic().setName("sweep")))).setAllowAutoTopicCreation(v < 4),
                    (v, r) -> assertThat(((MetadataResponseData) r).topics().find("sweep").errorCode()).isZero())),
            Map.entry(ApiKeys.PRODUCE, new Case(v -> {
                ProduceRequestData req = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
                ProduceRequestData.TopicProduceData td = new ProduceRequestData.TopicProduceData().setName("sweep");
                td.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(oneRecord()));
                req.topicData().add(td);
                return req;
            }, (v, r) -> assertThat(((ProduceResponseData) r).responses().iterator().next().partitionResponses().get(0).errorCode()).isZero())),
            Map.entry(ApiKeys.FETCH, new Case(v -> {
                FetchRequestData req = new FetchRequestData().setMaxWaitMs(0).setMinBytes(0).setMaxBytes(1 << 20).setReplicaId(-1);
                req.topics().add(new FetchRequestData.FetchTopic().setTopic("sweep").setPartitions(new ArrayList<>(List.of(
                        new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)))));
                return req;
            }, (v, r) -> {
                FetchResponseData.PartitionData pd = ((FetchResponseData) r).responses().get(0).partitions().get(0);
                assertThat(pd.errorCode()).isZero();
                assertThat(pd.highWatermark()).isPositive();
            })),
            Map.entry(ApiKeys.LIST_OFFSETS, new Case(v -> {
                ListOffsetsRequestData req = new ListOffsetsRequestData().setReplicaId(-1);
                req.topics().add(new ListOffsetsRequestData.ListOffsetsTopic().setName("sweep").setPartitions(new ArrayList<>(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1)))));
                return req;
            }, (v, r) -> assertThat(((ListOffsetsResponseData) r).topics().get(0).partitions().get(0).errorCode()).isZero())),
            Map.entry(ApiKeys.FIND_COORDINATOR, new Case(v -> v < 4 ? new FindCoordinatorRequestData().setKey("g")
                    : new FindCoordinatorRequestData().setCoordinatorKeys(List.of("g")),
                    (v, r) -> {
                        FindCoordinatorResponseData f = (FindCoordinatorResponseData) r;
                        assertThat(v < 4 ? f.errorCode() : f.coordinators().get(0).errorCode()).isZero();
                    })),
            Map.entry(ApiKeys.OFFSET_COMMIT, new Case(v -> {
                OffsetCommitRequestData req = new OffsetCommitRequestData().setGroupId("sweep-group")
                        .setGenerationIdOrMemberEpoch(-1).setMemberId("");
                req.topics().add(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName("sweep").setPartitions(new ArrayList<>(List.of(
                        new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(1)))));
                return req;
            }, (v, r) -> assertThat(((OffsetCommitResponseData) r).topics().get(0).partitions().get(0).errorCode()).isZero())),
            Map.entry(ApiKeys.OFFSET_FETCH, new Case(v -> v < 8
                    ? new OffsetFetchRequestData().setGroupId("sweep-group").setTopics(new ArrayList<>(List.of(
                            new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("sweep").setPartitionIndexes(List.of(0)))))
                    : new OffsetFetchRequestData().setGroups(new ArrayList<>(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup()
                            .setGroupId("sweep-group").setTopics(new ArrayList<>(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics()
                                    .setName("sweep").setPartitionIndexes(List.of(0)))))))),
                    (v, r) -> {
                        OffsetFetchResponseData f = (OffsetFetchResponseData) r;
                        long committed = v < 8 ? f.topics().get(0).partitions().get(0).committedOffset()
                                : f.groups().get(0).topics().get(0).partitions().get(0).committedOffset();
                        assertThat(committed).isEqualTo(1);
                    })),
            Map.entry(ApiKeys.LIST_GROUPS, new Case(v -> new ListGroupsRequestData(),
                    (v, r) -> assertThat(((ListGroupsResponseData) r).errorCode()).isZero())),
            Map.entry(ApiKeys.DESCRIBE_GROUPS, new Case(v -> new DescribeGroupsRequestData().setGroups(List.of("sweep-group")),
                    (v, r) -> assertThat(((DescribeGroupsResponseData) r).groups().get(0).errorCode()).isZero())),
            Map.entry(ApiKeys.DESCRIBE_CONFIGS, new Case(v -> new DescribeConfigsRequestData().setResources(new ArrayList<>(List.of(
                            new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 2).setResourceName("sweep")))),
                    (v, r) -> assertThat(((DescribeConfigsResponseData) r).results().get(0).configs()).isNotEmpty())),
            Map.entry(ApiKeys.DESCRIBE_CLUSTER, new Case(v -> new DescribeClusterRequestData(),
                    (v, r) -> assertThat(((DescribeClusterResponseData) r).brokers()).hasSize(1))),
            Map.entry(ApiKeys.INIT_PRODUCER_ID, new Case(v -> new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(1000),
                    (v, r) -> assertThat(((InitProducerIdResponseData) r).producerId()).isNotNegative())),
            Map.entry(ApiKeys.LIST_TRANSACTIONS, new Case(v -> new org.apache.kafka.common.message.ListTransactionsRequestData(),
                    (v, r) -> assertThat(((org.apache.kafka.common.message.ListTransactionsResponseData) r).errorCode()).isZero())),
            Map.entry(ApiKeys.DESCRIBE_TRANSACTIONS, new Case(v -> new org.apache.kafka.common.message.DescribeTransactionsRequestData()
                    .setTransactionalIds(List.of("sweep-unknown")), (v, r) -> assertThat(((org.apache.kafka.common.message.DescribeTransactionsResponseData) r)
                    .transactionStates().get(0).errorCode()).isEqualTo(org.apache.kafka.common.protocol.Errors.TRANSACTIONAL_ID_NOT_FOUND.code()))),
            Map.entry(ApiKeys.CREATE_TOPICS, new Case(v -> {
                CreateTopicsRequestData req = new CreateTopicsRequestData().setTimeoutMs(5000).setValidateOnly(true);
                req.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("sweep-new-" + v).setNumPartitions(1).setReplicationFactor((short) 1));
                return req;
            }, (v, r) -> assertThat(((CreateTopicsResponseData) r).topics().iterator().next().errorCode()).isZero())));

    @Test
    void everyAdvertisedVersionOfTheSweptApisIsAnswered() throws Exception {
        List<String> swept = new ArrayList<>();
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            ApiVersionsResponseData versions = (ApiVersionsResponseData) c.send(new ApiVersionsRequestData(), (short) 0);
            for (ApiVersionsResponseData.ApiVersion av : versions.apiKeys()) {
                Case k = CASES.get(ApiKeys.forId(av.apiKey()));
                if (k == null) {
                    continue;
                }
                for (short v = av.minVersion(); v <= av.maxVersion(); v++) {
                    ApiMessage response = c.send(k.request().apply(v), v);
                    try {
                        k.check().accept(v, response);
                    } catch (AssertionError e) {
                        throw new AssertionError(ApiKeys.forId(av.apiKey()) + " v" + v + ": " + e.getMessage(), e);
                    }
                    swept.add(ApiKeys.forId(av.apiKey()) + " v" + v);
                }
            }
        }
        assertThat(swept).hasSizeGreaterThan(60).contains("PRODUCE v3", "PRODUCE v12", "FETCH v4", "FETCH v12", "METADATA v0");
    }
}
