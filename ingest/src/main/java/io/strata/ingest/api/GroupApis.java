package io.strata.ingest.api;

import io.strata.ingest.group.GroupCoordinator;
import io.strata.ingest.group.GroupState;
import io.strata.ingest.group.JoinResult;
import io.strata.ingest.server.Request;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.CommittedOffset;
import io.strata.metastore.store.PartitionKey;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Translates the group and offset APIs between the wire messages and the {@link GroupCoordinator}. */
public final class GroupApis {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupApis.class);
    private final GroupCoordinator coordinator;
    private final TopicManager topics;

    private final io.strata.ingest.cluster.ClusterNode cluster;
    /** Groups this node coordinates, with the membership version it took them over at. */
    private final java.util.concurrent.ConcurrentHashMap<String, Long> owned = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long seenMembership = -1;

    private final io.strata.metastore.store.TransactionStore transactions;

    public GroupApis(GroupCoordinator coordinator, TopicManager topics, io.strata.ingest.cluster.ClusterNode cluster,
                     io.strata.metastore.store.TransactionStore transactions) {
        this.transactions = transactions;
        this.coordinator = coordinator;
        this.topics = topics;
        this.cluster = cluster;
    }

    /** The group a request is about, for the APIs that name exactly one. */
    private static String groupOf(Request r) {
        return switch (r.apiKey()) {
            case JOIN_GROUP -> ((JoinGroupRequestData) r.body()).groupId();
            case SYNC_GROUP -> ((SyncGroupRequestData) r.body()).groupId();
            case HEARTBEAT -> ((HeartbeatRequestData) r.body()).groupId();
            case LEAVE_GROUP -> ((LeaveGroupRequestData) r.body()).groupId();
            case OFFSET_COMMIT -> ((OffsetCommitRequestData) r.body()).groupId();
            case TXN_OFFSET_COMMIT -> ((org.apache.kafka.common.message.TxnOffsetCommitRequestData) r.body()).groupId();
            case OFFSET_DELETE -> ((OffsetDeleteRequestData) r.body()).groupId();
            case OFFSET_FETCH -> r.version() < 8 ? ((OffsetFetchRequestData) r.body()).groupId()
                    : ((OffsetFetchRequestData) r.body()).groups().size() == 1 ? ((OffsetFetchRequestData) r.body()).groups().get(0).groupId() : null;
            default -> null;
        };
    }

    /**
     * Whether this node coordinates {@code groupId}; a group it has just taken over (its
     * coordinator died or the live set changed) is first reloaded from the MetaStore, where the
     * previous coordinator left its generation, members and assignments.
     */
    private boolean ensureCoordinator(String groupId) {
        long membership = cluster.view().membershipVersion();
        if (membership != seenMembership) {
            seenMembership = membership;
            owned.keySet().removeIf(g -> !cluster.coordinates(g));
        }
        if (!cluster.coordinates(groupId)) {
            owned.remove(groupId);
            return false;
        }
        // The reload finishes before any request for the group goes on: a JoinGroup let through meanwhile would join a
        // copy of the group that the reload then replaces, and two generations of one group would run side by side.
        owned.computeIfAbsent(groupId, g -> {
            coordinator.reload(g);
            return membership;
        });
        return true;
    }

    CompletableFuture<ApiMessage> handle(Request r) {
        short v = r.version();
        String group = groupOf(r);
        if (group != null && !ensureCoordinator(group)) {
            return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.NotCoordinatorException(
                    "node " + cluster.nodeId() + " is not the coordinator of group " + group));
        }
        return switch (r.apiKey()) {
            case JOIN_GROUP -> join((JoinGroupRequestData) r.body(), v, r).thenApply(m -> m);
            case SYNC_GROUP -> sync((SyncGroupRequestData) r.body()).thenApply(m -> m);
            case HEARTBEAT -> done(heartbeat((HeartbeatRequestData) r.body()));
            case LEAVE_GROUP -> done(leave((LeaveGroupRequestData) r.body(), v));
            case OFFSET_COMMIT -> commit((OffsetCommitRequestData) r.body()).thenApply(m -> m);
            case OFFSET_FETCH -> fetch((OffsetFetchRequestData) r.body(), v).thenApply(m -> m);
            case TXN_OFFSET_COMMIT -> done(txnCommit((org.apache.kafka.common.message.TxnOffsetCommitRequestData) r.body()));
            case OFFSET_DELETE -> deleteOffsets((OffsetDeleteRequestData) r.body()).thenApply(m -> m);
            case LIST_GROUPS -> done(list((ListGroupsRequestData) r.body()));
            case DESCRIBE_GROUPS -> done(describe((DescribeGroupsRequestData) r.body()));
            case DELETE_GROUPS -> deleteGroups((DeleteGroupsRequestData) r.body()).thenApply(m -> m);
            default -> throw new IllegalArgumentException(r.apiKey() + " is not a group API");
        };
    }

    private static CompletableFuture<ApiMessage> done(ApiMessage m) {
        return CompletableFuture.completedFuture(m);
    }

    private CompletableFuture<JoinGroupResponseData> join(JoinGroupRequestData req, short version, Request r) {
        List<io.strata.ingest.group.Protocol> protocols = new ArrayList<>();
        req.protocols().forEach(p -> protocols.add(new io.strata.ingest.group.Protocol(p.name(), p.metadata())));
        String host = r.connectionId().contains("->") ? r.connectionId().substring(0, r.connectionId().indexOf("->")) : r.connectionId();
        GroupCoordinator.JoinRequest jr = new GroupCoordinator.JoinRequest(req.groupId(), req.memberId(), req.groupInstanceId(),
                r.clientId(), host, req.sessionTimeoutMs(), version >= 1 ? req.rebalanceTimeoutMs() : req.sessionTimeoutMs(),
                req.protocolType(), protocols, version >= 4);
        return coordinator.join(jr).thenApply(res -> {
            String protocolName = res.protocolName() == null && version < 7 ? "" : res.protocolName();
            JoinGroupResponseData out = new JoinGroupResponseData().setErrorCode(res.error().code())
                    .setGenerationId(res.generation()).setProtocolType(res.protocolType()).setProtocolName(protocolName)
                    .setSkipAssignment(version >= 9 && res.skipAssignment())
                    .setLeader(res.leaderId() == null ? "" : res.leaderId()).setMemberId(res.memberId() == null ? "" : res.memberId());
            for (JoinResult.JoinedMember m : res.members()) {
                out.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(m.memberId())
                        .setGroupInstanceId(m.groupInstanceId()).setMetadata(m.metadata()));
            }
            return out;
        });
    }

    private CompletableFuture<SyncGroupResponseData> sync(SyncGroupRequestData req) {
        Map<String, byte[]> assignments = new HashMap<>();
        req.assignments().forEach(a -> assignments.put(a.memberId(), a.assignment()));
        return coordinator.sync(req.groupId(), req.generationId(), req.memberId(), req.groupInstanceId(), assignments)
                .thenApply(res -> new SyncGroupResponseData().setErrorCode(res.error().code())
                        .setProtocolType(res.protocolType()).setProtocolName(res.protocolName()).setAssignment(res.assignment()));
    }

    private HeartbeatResponseData heartbeat(HeartbeatRequestData req) {
        return new HeartbeatResponseData().setErrorCode(
                coordinator.heartbeat(req.groupId(), req.generationId(), req.memberId(), req.groupInstanceId()).code());
    }

    private LeaveGroupResponseData leave(LeaveGroupRequestData req, short version) {
        LeaveGroupResponseData out = new LeaveGroupResponseData();
        if (version < 3) {
            return out.setErrorCode(coordinator.leave(req.groupId(), req.memberId(), null).code());
        }
        for (LeaveGroupRequestData.MemberIdentity m : req.members()) {
            Errors e = coordinator.leave(req.groupId(), m.memberId(), m.groupInstanceId());
            out.members().add(new LeaveGroupResponseData.MemberResponse().setMemberId(m.memberId())
                    .setGroupInstanceId(m.groupInstanceId()).setErrorCode(e.code()));
        }
        return out;
    }

    private CompletableFuture<OffsetCommitResponseData> commit(OffsetCommitRequestData req) {
        OffsetCommitResponseData out = new OffsetCommitResponseData();
        Errors groupError = coordinator.validateCommit(req.groupId(), req.generationIdOrMemberEpoch(), req.memberId(), req.groupInstanceId());
        Map<PartitionKey, CommittedOffset> accepted = new HashMap<>();
        long now = topics.now();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic t : req.topics()) {
            OffsetCommitResponseData.OffsetCommitResponseTopic rt = new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(t.name());
            out.topics().add(rt);
            var topic = groupError == Errors.NONE ? topics.lookup(t.name()) : java.util.Optional.<io.strata.metastore.store.TopicRecord>empty();
            int partitions = topic.map(x -> x.partitions()).orElse(0);
            String topicId = topic.map(x -> x.id().toString()).orElse(null);
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                Errors e = accept(groupError, partitions, new PartitionKey(t.name(), p.partitionIndex()),
                        new CommittedOffset(p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now, topicId), accepted);
                rt.partitions().add(new OffsetCommitResponseData.OffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(e.code()));
            }
        }
        if (accepted.isEmpty()) {
            return CompletableFuture.completedFuture(out);
        }
        int generation = req.memberId() == null || req.memberId().isEmpty() ? -1 : req.generationIdOrMemberEpoch();
        // Answered only once the commit is durable in the MetaStore, in the group's write order.
        return coordinator.commitOffsets(req.groupId(), generation, accepted).handle((v, t) -> {
            if (t != null) {
                Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                Errors e = cause instanceof io.strata.metastore.store.GroupStore.StaleGenerationException
                        ? Errors.ILLEGAL_GENERATION : Errors.COORDINATOR_NOT_AVAILABLE;
                LOG.warn("offset commit of group {} failed: {}", req.groupId(), cause.getMessage());
                for (OffsetCommitResponseData.OffsetCommitResponseTopic rt : out.topics()) {
                    for (OffsetCommitResponseData.OffsetCommitResponsePartition rp : rt.partitions()) {
                        if (accepted.containsKey(new PartitionKey(rt.name(), rp.partitionIndex()))) {
                            rp.setErrorCode(e.code());
                        }
                    }
                }
            }
            return out;
        });
    }

    /**
     * Checks one partition's offset of an OffsetCommit or TxnOffsetCommit (the group's verdict, the
     * partition, the metadata's size) and, when it passes, adds it to {@code accepted}; returns the error.
     */
    private static Errors accept(Errors groupError, int partitions, PartitionKey tp, CommittedOffset offset,
                                 Map<PartitionKey, CommittedOffset> accepted) {
        if (groupError != Errors.NONE) {
            return groupError;
        }
        if (tp.partition() >= partitions) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (offset.metadata() != null && offset.metadata().length() > 4096) {
            return Errors.OFFSET_METADATA_TOO_LARGE;
        }
        accepted.put(tp, offset);
        return Errors.NONE;
    }

    /**
     * TxnOffsetCommit: the offsets are staged in the MetaStore under the producer; the transaction's
     * coordinator makes them the group's committed offsets when the transaction commits, in the
     * same MetaStore transaction that completes it, and drops them when it aborts.
     */
    private org.apache.kafka.common.message.TxnOffsetCommitResponseData txnCommit(org.apache.kafka.common.message.TxnOffsetCommitRequestData req) {
        var out = new org.apache.kafka.common.message.TxnOffsetCommitResponseData();
        // KIP-447: a member's commit is checked against the group's generation, as an OffsetCommit is.
        Errors groupError = req.memberId() == null || req.memberId().isEmpty() ? Errors.NONE
                : coordinator.validateCommit(req.groupId(), req.generationIdOrMemberEpoch(), req.memberId(), req.groupInstanceId());
        Map<PartitionKey, CommittedOffset> accepted = new HashMap<>();
        long now = topics.now();
        for (var t : req.topics()) {
            var rt = new org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic().setName(t.name());
            out.topics().add(rt);
            var topic = groupError == Errors.NONE ? topics.lookup(t.name()) : java.util.Optional.<io.strata.metastore.store.TopicRecord>empty();
            int partitions = topic.map(x -> x.partitions()).orElse(0);
            String topicId = topic.map(x -> x.id().toString()).orElse(null);
            for (var p : t.partitions()) {
                Errors e = accept(groupError, partitions, new PartitionKey(t.name(), p.partitionIndex()),
                        new CommittedOffset(p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now, topicId), accepted);
                rt.partitions().add(new org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(e.code()));
            }
        }
        if (!accepted.isEmpty()) {
            io.strata.metastore.store.TransactionStore.StageResult staged = transactions.stageOffsets(req.transactionalId(), req.groupId(),
                    req.producerId(), req.producerEpoch(), accepted);
            Errors refused = switch (staged) {
                case STAGED -> Errors.NONE;
                case UNKNOWN_PRODUCER -> Errors.INVALID_PRODUCER_ID_MAPPING;
                case FENCED -> Errors.PRODUCER_FENCED;
                case NOT_IN_TRANSACTION -> Errors.INVALID_TXN_STATE;
            };
            if (refused != Errors.NONE) {
                for (var rt : out.topics()) {
                    for (var rp : rt.partitions()) {
                        if (accepted.containsKey(new PartitionKey(rt.name(), rp.partitionIndex()))) {
                            rp.setErrorCode(refused.code());
                        }
                    }
                }
            }
        }
        return out;
    }

    private CompletableFuture<OffsetFetchResponseData> fetch(OffsetFetchRequestData req, short version) {
        boolean stable = version >= 7 && req.requireStable();
        if (version < 8) {
            return fetchGroup(req.groupId(), req.topics() == null ? null : toTopicsV8(req.topics()), stable).thenApply(g -> {
                OffsetFetchResponseData out = new OffsetFetchResponseData().setErrorCode(g.errorCode());
                for (OffsetFetchResponseData.OffsetFetchResponseTopics t : g.topics()) {
                    OffsetFetchResponseData.OffsetFetchResponseTopic ot = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                    for (OffsetFetchResponseData.OffsetFetchResponsePartitions p : t.partitions()) {
                        ot.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                                .setPartitionIndex(p.partitionIndex()).setCommittedOffset(p.committedOffset())
                                .setCommittedLeaderEpoch(p.committedLeaderEpoch()).setMetadata(p.metadata()).setErrorCode(p.errorCode()));
                    }
                    out.topics().add(ot);
                }
                return out;
            });
        }
        OffsetFetchResponseData out = new OffsetFetchResponseData();
        List<CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup>> all = new ArrayList<>();
        for (OffsetFetchRequestData.OffsetFetchRequestGroup g : req.groups()) {
            all.add(fetchGroup(g.groupId(), g.topics(), stable));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
            all.forEach(f -> out.groups().add(f.join()));
            return out;
        });
    }

    private static List<OffsetFetchRequestData.OffsetFetchRequestTopics> toTopicsV8(List<OffsetFetchRequestData.OffsetFetchRequestTopic> topics) {
        List<OffsetFetchRequestData.OffsetFetchRequestTopics> out = new ArrayList<>();
        topics.forEach(t -> out.add(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(t.name())
                .setPartitionIndexes(t.partitionIndexes())));
        return out;
    }

    /**
     * One group's committed offsets. With {@code requireStable} (KIP-447: a read_committed
     * consumer) a partition with offsets staged by an undecided transaction answers
     * UNSTABLE_OFFSET_COMMIT, and the consumer asks again once the transaction is decided.
     */
    private CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> fetchGroup(
            String groupId, List<OffsetFetchRequestData.OffsetFetchRequestTopics> requested, boolean requireStable) {
        java.util.Set<PartitionKey> unstable = requireStable ? transactions.pendingPartitions(groupId) : java.util.Set.of();
        return coordinator.fetchOffsets(groupId).thenApply(this::ofLiveTopics).thenApply(committed -> {
            OffsetFetchResponseData.OffsetFetchResponseGroup g = new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(groupId);
            if (requested == null && !unstable.isEmpty()) {
                g.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code());
            }
            Map<String, List<OffsetFetchResponseData.OffsetFetchResponsePartitions>> byTopic = new java.util.TreeMap<>();
            if (requested == null) {
                committed.forEach((tp, o) -> byTopic.computeIfAbsent(tp.topic(), k -> new ArrayList<>()).add(partition(tp.partition(), o)));
            } else {
                for (OffsetFetchRequestData.OffsetFetchRequestTopics t : requested) {
                    List<OffsetFetchResponseData.OffsetFetchResponsePartitions> ps = byTopic.computeIfAbsent(t.name(), k -> new ArrayList<>());
                    for (int p : t.partitionIndexes()) {
                        PartitionKey key = new PartitionKey(t.name(), p);
                        OffsetFetchResponseData.OffsetFetchResponsePartitions answer = partition(p, committed.get(key));
                        if (unstable.contains(key)) {
                            answer.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code());
                        }
                        ps.add(answer);
                    }
                }
            }
            byTopic.forEach((name, ps) -> g.topics().add(new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(name).setPartitions(ps)));
            return g;
        });
    }

    /** Drops offsets committed for an earlier topic of the same name (deleted, then recreated). */
    private Map<PartitionKey, CommittedOffset> ofLiveTopics(Map<PartitionKey, CommittedOffset> committed) {
        Map<PartitionKey, CommittedOffset> out = new java.util.TreeMap<>(committed);
        out.entrySet().removeIf(e -> e.getValue().topicId() != null && topics.topic(e.getKey().topic())
                .map(t -> !t.id().toString().equals(e.getValue().topicId())).orElse(false));
        return out;
    }

    private static OffsetFetchResponseData.OffsetFetchResponsePartitions partition(int index, CommittedOffset o) {
        OffsetFetchResponseData.OffsetFetchResponsePartitions p = new OffsetFetchResponseData.OffsetFetchResponsePartitions().setPartitionIndex(index);
        if (o == null) {
            return p.setCommittedOffset(-1).setCommittedLeaderEpoch(-1).setMetadata("");
        }
        return p.setCommittedOffset(o.offset()).setCommittedLeaderEpoch(o.leaderEpoch()).setMetadata(o.metadata() == null ? "" : o.metadata());
    }

    private CompletableFuture<OffsetDeleteResponseData> deleteOffsets(OffsetDeleteRequestData req) {
        OffsetDeleteResponseData out = new OffsetDeleteResponseData();
        Set<String> subscribed = subscribedTopics(req.groupId());
        List<PartitionKey> toDelete = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : req.topics()) {
            OffsetDeleteResponseData.OffsetDeleteResponseTopic rt = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name());
            out.topics().add(rt);
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
                Errors e = subscribed.contains(t.name()) ? Errors.GROUP_SUBSCRIBED_TO_TOPIC : Errors.NONE;
                if (e == Errors.NONE) {
                    toDelete.add(new PartitionKey(t.name(), p.partitionIndex()));
                }
                rt.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition().setPartitionIndex(p.partitionIndex()).setErrorCode(e.code()));
            }
        }
        if (coordinator.describe(req.groupId()).isEmpty()) {
            return CompletableFuture.completedFuture(new OffsetDeleteResponseData().setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()));
        }
        return coordinator.deleteOffsets(req.groupId(), toDelete).thenApply(v -> out);
    }

    private Set<String> subscribedTopics(String groupId) {
        Set<String> out = new HashSet<>();
        for (byte[] metadata : coordinator.memberMetadata(groupId)) {
            try {
                out.addAll(ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata)).topics());
            } catch (RuntimeException e) {
                // Metadata of a member restored from the store is not kept; its topics are unknown here.
            }
        }
        return out;
    }

    private ListGroupsResponseData list(ListGroupsRequestData req) {
        ListGroupsResponseData out = new ListGroupsResponseData();
        for (GroupCoordinator.GroupView g : coordinator.list()) {
            if (!req.statesFilter().isEmpty() && req.statesFilter().stream().noneMatch(s -> s.equalsIgnoreCase(g.state().kafkaName()))) {
                continue;
            }
            out.groups().add(new ListGroupsResponseData.ListedGroup().setGroupId(g.groupId())
                    .setProtocolType(g.protocolType()).setGroupState(g.state().kafkaName()));
        }
        return out;
    }

    private DescribeGroupsResponseData describe(DescribeGroupsRequestData req) {
        DescribeGroupsResponseData out = new DescribeGroupsResponseData();
        for (String id : req.groups()) {
            DescribeGroupsResponseData.DescribedGroup dg = new DescribeGroupsResponseData.DescribedGroup().setGroupId(id);
            coordinator.describe(id).ifPresentOrElse(g -> {
                dg.setGroupState(g.state().kafkaName()).setProtocolType(g.protocolType())
                        .setProtocolData(g.protocolName() == null ? "" : g.protocolName());
                for (GroupCoordinator.MemberView m : g.members()) {
                    dg.members().add(new DescribeGroupsResponseData.DescribedGroupMember().setMemberId(m.memberId())
                            .setGroupInstanceId(m.groupInstanceId()).setClientId(m.clientId()).setClientHost(m.clientHost())
                            .setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment()));
                }
            }, () -> dg.setGroupState(GroupState.DEAD.kafkaName()).setProtocolType("").setProtocolData(""));
            out.groups().add(dg);
        }
        return out;
    }

    private CompletableFuture<DeleteGroupsResponseData> deleteGroups(DeleteGroupsRequestData req) {
        DeleteGroupsResponseData out = new DeleteGroupsResponseData();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (String id : req.groupsNames()) {
            DeleteGroupsResponseData.DeletableGroupResult r = new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(id);
            out.results().add(r);
            all.add(coordinator.delete(id).thenAccept(e -> r.setErrorCode(e.code())));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> out);
    }
}
