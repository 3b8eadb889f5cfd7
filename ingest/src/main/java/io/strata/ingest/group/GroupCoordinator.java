package io.strata.ingest.group;

import io.strata.metastore.store.CommittedOffset;
import io.strata.metastore.store.GroupRecord;
import io.strata.metastore.store.GroupStore;
import io.strata.metastore.store.PartitionKey;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The group coordinator: runs the classic group protocol for every group on this node and
 * keeps generation, members, assignments and committed offsets in the MetaStore, so a
 * restarted coordinator resumes each group's current generation. A sweeper expires members
 * whose session ran out and ends join phases whose rebalance timeout passed.
 */
public final class GroupCoordinator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);
    static final int MAX_METADATA_BYTES = 4096;

    private final GroupStore store;
    private final GroupWriteSequencer writes = new GroupWriteSequencer();
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private final int initialRebalanceDelayMs;
    private final int minSessionTimeoutMs;
    private final int maxSessionTimeoutMs;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();

    public GroupCoordinator(GroupStore store, LongSupplier clock, ScheduledExecutorService timer,
                            int initialRebalanceDelayMs, int minSessionTimeoutMs, int maxSessionTimeoutMs) {
        this.store = store;
        this.clock = clock;
        this.timer = timer;
        this.initialRebalanceDelayMs = initialRebalanceDelayMs;
        this.minSessionTimeoutMs = minSessionTimeoutMs;
        this.maxSessionTimeoutMs = maxSessionTimeoutMs;
    }

    public void start() {
        long now = clock.getAsLong();
        for (GroupRecord r : store.loadGroups()) {
            groups.put(r.groupId(), Group.fromRecord(r, now));
        }
        log.info("loaded {} group(s) from the metastore", groups.size());
        timer.scheduleWithFixedDelay(this::sweep, 100, 100, TimeUnit.MILLISECONDS);
    }

    /**
     * Replaces this node's copy of a group with what the MetaStore holds (or forgets it): called
     * when this node becomes the group's coordinator, since another node may have moved it on.
     */
    public void reload(String groupId) {
        Optional<GroupRecord> stored = store.loadGroup(groupId);
        long now = clock.getAsLong();
        if (stored.isPresent()) {
            groups.put(groupId, Group.fromRecord(stored.get(), now));
        } else {
            groups.remove(groupId);
        }
    }

    /** The arguments of one JoinGroup. */
    public record JoinRequest(String groupId, String memberId, String groupInstanceId, String clientId, String clientHost,
                              int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType,
                              List<Protocol> protocols, boolean requireKnownMemberId) {
    }

    public CompletableFuture<JoinResult> join(JoinRequest req) {
        if (req.groupId() == null || req.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(JoinResult.error(Errors.INVALID_GROUP_ID, req.memberId()));
        }
        if (req.sessionTimeoutMs() < minSessionTimeoutMs || req.sessionTimeoutMs() > maxSessionTimeoutMs) {
            return CompletableFuture.completedFuture(JoinResult.error(Errors.INVALID_SESSION_TIMEOUT, req.memberId()));
        }
        Group g = groups.computeIfAbsent(req.groupId(), Group::new);
        List<Runnable> after = new ArrayList<>();
        CompletableFuture<JoinResult> result;
        synchronized (g) {
            result = joinLocked(g, req, after);
        }
        after.forEach(Runnable::run);
        return result;
    }

    private CompletableFuture<JoinResult> joinLocked(Group g, JoinRequest req, List<Runnable> after) {
        long now = clock.getAsLong();
        if (g.state == GroupState.DEAD) {
            return CompletableFuture.completedFuture(JoinResult.error(Errors.COORDINATOR_NOT_AVAILABLE, req.memberId()));
        }
        String memberId = req.memberId();
        boolean unknown = memberId == null || memberId.isEmpty();
        if (!unknown && !g.members.containsKey(memberId) && !g.pendingMemberIds.contains(memberId)) {
            if (req.groupInstanceId() != null && g.staticMembers.containsKey(req.groupInstanceId())) {
                return CompletableFuture.completedFuture(JoinResult.error(Errors.FENCED_INSTANCE_ID, memberId));
            }
            return CompletableFuture.completedFuture(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
        if (!g.members.containsKey(memberId == null ? "" : memberId) && !g.acceptsProtocols(req.protocolType(), req.protocols())) {
            return CompletableFuture.completedFuture(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, memberId));
        }
        if (unknown) {
            memberId = Group.newMemberId(req.clientId());
            if (req.groupInstanceId() != null) {
                String old = g.staticMembers.get(req.groupInstanceId());
                if (old != null) {
                    return rejoinStatic(g, g.members.get(old), memberId, req, now, after);
                }
            } else if (req.requireKnownMemberId()) {
                g.pendingMemberIds.add(memberId);
                return CompletableFuture.completedFuture(JoinResult.error(Errors.MEMBER_ID_REQUIRED, memberId));
            }
        }
        g.pendingMemberIds.remove(memberId);
        Member m = g.members.get(memberId);
        boolean isNew = m == null;
        if (isNew) {
            m = new Member(memberId, req.groupInstanceId());
            g.members.put(memberId, m);
            if (req.groupInstanceId() != null) {
                g.staticMembers.put(req.groupInstanceId(), memberId);
            }
            if (g.members.size() == 1) {
                g.protocolType = req.protocolType();
            }
        }
        boolean changed = isNew || !m.sameProtocols(req.protocols());
        update(m, req, now);
        CompletableFuture<JoinResult> f = new CompletableFuture<>();
        if (m.pendingJoin != null) {
            // A duplicate join from the same member: the older request is answered as superseded.
            CompletableFuture<JoinResult> old = m.pendingJoin;
            String id = memberId;
            after.add(() -> old.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, id)));
        }
        if (g.state == GroupState.STABLE && !changed && !memberId.equals(g.leaderId)) {
            // A follower rejoining with nothing new gets the current generation without a rebalance.
            return CompletableFuture.completedFuture(new JoinResult(Errors.NONE, g.generation, g.protocolType,
                    g.protocolName, g.leaderId, memberId, List.of()));
        }
        m.pendingJoin = f;
        g.prepareRebalance(now, initialRebalanceDelayMs);
        maybeCompleteJoin(g, now, after);
        return f;
    }

    private CompletableFuture<JoinResult> rejoinStatic(Group g, Member old, String newMemberId, JoinRequest req, long now,
                                                       List<Runnable> after) {
        // A restarted static member takes over its old identity under a new member id, keeping its assignment.
        Member m = new Member(newMemberId, req.groupInstanceId());
        m.assignment = old.assignment;
        // As Kafka does, only a change of the group's selected protocol forces a rebalance here:
        // the subscription bytes of a restarted consumer differ anyway (owned partitions).
        boolean changed = g.protocolName == null || req.protocols().stream().noneMatch(p -> p.name().equals(g.protocolName));
        g.members.remove(old.memberId);
        g.members.put(newMemberId, m);
        g.staticMembers.put(req.groupInstanceId(), newMemberId);
        if (old.memberId.equals(g.leaderId)) {
            g.leaderId = newMemberId;
        }
        if (old.pendingJoin != null) {
            CompletableFuture<JoinResult> f = old.pendingJoin;
            after.add(() -> f.complete(JoinResult.error(Errors.FENCED_INSTANCE_ID, old.memberId)));
        }
        if (old.pendingSync != null) {
            CompletableFuture<SyncResult> f = old.pendingSync;
            after.add(() -> f.complete(SyncResult.error(Errors.FENCED_INSTANCE_ID)));
        }
        update(m, req, now);
        if (g.state == GroupState.STABLE && !changed) {
            persist(g);
            List<JoinResult.JoinedMember> all = newMemberId.equals(g.leaderId) ? joinedMembers(g) : List.of();
            // The leader gets the member list but is told not to reassign: the current assignment stands.
            return CompletableFuture.completedFuture(new JoinResult(Errors.NONE, g.generation, g.protocolType,
                    g.protocolName, g.leaderId, newMemberId, all, true));
        }
        CompletableFuture<JoinResult> f = new CompletableFuture<>();
        m.pendingJoin = f;
        g.prepareRebalance(now, initialRebalanceDelayMs);
        maybeCompleteJoin(g, now, after);
        return f;
    }

    private static List<JoinResult.JoinedMember> joinedMembers(Group g) {
        List<JoinResult.JoinedMember> all = new ArrayList<>();
        for (Member x : g.members.values()) {
            all.add(new JoinResult.JoinedMember(x.memberId, x.groupInstanceId, x.metadataFor(g.protocolName)));
        }
        return all;
    }

    private static void update(Member m, JoinRequest req, long now) {
        m.clientId = req.clientId();
        m.clientHost = req.clientHost();
        m.sessionTimeoutMs = req.sessionTimeoutMs();
        m.rebalanceTimeoutMs = req.rebalanceTimeoutMs() <= 0 ? req.sessionTimeoutMs() : req.rebalanceTimeoutMs();
        m.protocols = List.copyOf(req.protocols());
        m.lastHeartbeatMs = now;
    }

    private void maybeCompleteJoin(Group g, long now, List<Runnable> after) {
        if (g.state != GroupState.PREPARING_REBALANCE) {
            return;
        }
        boolean delayOver = g.joinNotBeforeMs < 0 || now >= g.joinNotBeforeMs;
        if ((g.allJoined() && delayOver) || now >= g.joinDeadlineMs) {
            after.addAll(g.completeJoin());
            log.info("group {} generation {}: {} member(s), protocol {}, leader {}",
                    g.groupId, g.generation, g.members.size(), g.protocolName, g.leaderId);
            if (g.state == GroupState.EMPTY) {
                persist(g);
            }
        }
    }

    public CompletableFuture<SyncResult> sync(String groupId, int generation, String memberId, String groupInstanceId,
                                              Map<String, byte[]> assignments) {
        Group g = groups.get(groupId);
        if (g == null) {
            return CompletableFuture.completedFuture(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
        List<Runnable> after = new ArrayList<>();
        CompletableFuture<SyncResult> result;
        synchronized (g) {
            Member m = g.members.get(memberId);
            if (m == null) {
                result = CompletableFuture.completedFuture(SyncResult.error(
                        groupInstanceId != null && g.staticMembers.containsKey(groupInstanceId)
                                ? Errors.FENCED_INSTANCE_ID : Errors.UNKNOWN_MEMBER_ID));
            } else if (generation != g.generation) {
                result = CompletableFuture.completedFuture(SyncResult.error(Errors.ILLEGAL_GENERATION));
            } else if (g.state == GroupState.PREPARING_REBALANCE) {
                result = CompletableFuture.completedFuture(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
            } else if (g.state == GroupState.STABLE) {
                m.lastHeartbeatMs = clock.getAsLong();
                result = CompletableFuture.completedFuture(new SyncResult(Errors.NONE, g.protocolType, g.protocolName, m.assignment));
            } else {
                m.lastHeartbeatMs = clock.getAsLong();
                CompletableFuture<SyncResult> f = new CompletableFuture<>();
                m.pendingSync = f;
                if (memberId.equals(g.leaderId)) {
                    for (Member x : g.members.values()) {
                        byte[] a = assignments.get(x.memberId);
                        x.assignment = a == null ? new byte[0] : a;
                    }
                    g.state = GroupState.STABLE;
                    // The assignment is handed out only once it is stored (as Kafka writes the group
                    // before answering SyncGroup), so a coordinator that moves or restarts has it.
                    CompletableFuture<Void> stored = persist(g);
                    int gen = g.generation;
                    for (Member x : g.members.values()) {
                        if (x.pendingSync != null) {
                            CompletableFuture<SyncResult> pf = x.pendingSync;
                            SyncResult r = new SyncResult(Errors.NONE, g.protocolType, g.protocolName, x.assignment);
                            x.pendingSync = null;
                            after.add(() -> stored.whenComplete((v, t) -> pf.complete(
                                    t == null ? r : SyncResult.error(Errors.COORDINATOR_NOT_AVAILABLE))));
                        }
                    }
                    after.add(() -> stored.exceptionally(t -> {
                        log.warn("group {} generation {}: assignment not stored, members will rejoin: {}", groupId, gen, t.getMessage());
                        return null;
                    }));
                }
                result = f;
            }
        }
        after.forEach(Runnable::run);
        return result;
    }

    public Errors heartbeat(String groupId, int generation, String memberId, String groupInstanceId) {
        Group g = groups.get(groupId);
        if (g == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        synchronized (g) {
            Member m = g.members.get(memberId);
            if (m == null) {
                return groupInstanceId != null && g.staticMembers.containsKey(groupInstanceId)
                        ? Errors.FENCED_INSTANCE_ID : Errors.UNKNOWN_MEMBER_ID;
            }
            m.lastHeartbeatMs = clock.getAsLong();
            if (g.state == GroupState.PREPARING_REBALANCE) {
                return Errors.REBALANCE_IN_PROGRESS;
            }
            if (generation != g.generation) {
                return Errors.ILLEGAL_GENERATION;
            }
            return Errors.NONE;
        }
    }

    /** LeaveGroup for one member (by member id, or by instance id for static members). */
    public Errors leave(String groupId, String memberId, String groupInstanceId) {
        Group g = groups.get(groupId);
        if (g == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        List<Runnable> after = new ArrayList<>();
        Errors result;
        synchronized (g) {
            String id = memberId;
            if (groupInstanceId != null) {
                String current = g.staticMembers.get(groupInstanceId);
                if (current == null) {
                    return Errors.UNKNOWN_MEMBER_ID;
                }
                if (memberId != null && !memberId.isEmpty() && !memberId.equals(current)) {
                    return Errors.FENCED_INSTANCE_ID;
                }
                id = current;
            }
            Member m = g.members.get(id);
            if (m == null) {
                return g.pendingMemberIds.remove(id) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
            }
            if (m.pendingJoin != null) {
                CompletableFuture<JoinResult> f = m.pendingJoin;
                String mid = id;
                after.add(() -> f.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, mid)));
            }
            g.remove(id);
            log.info("member {} left group {}", id, groupId);
            rebalanceAfterRemoval(g, after);
            result = Errors.NONE;
        }
        after.forEach(Runnable::run);
        return result;
    }

    private void rebalanceAfterRemoval(Group g, List<Runnable> after) {
        long now = clock.getAsLong();
        if (g.members.isEmpty() && g.state != GroupState.PREPARING_REBALANCE) {
            g.state = GroupState.EMPTY;
            g.generation++;
            g.leaderId = null;
            g.protocolName = null;
            persist(g);
            return;
        }
        g.prepareRebalance(now, 0);
        maybeCompleteJoin(g, now, after);
    }

    /** Expires silent members and ends join phases whose time is up. */
    private void sweep() {
        try {
            long now = clock.getAsLong();
            for (Group g : groups.values()) {
                List<Runnable> after = new ArrayList<>();
                synchronized (g) {
                    List<Member> expired = new ArrayList<>();
                    for (Member m : g.members.values()) {
                        boolean waiting = m.pendingJoin != null || m.pendingSync != null;
                        if (!waiting && now - m.lastHeartbeatMs > m.sessionTimeoutMs) {
                            expired.add(m);
                        }
                    }
                    for (Member m : expired) {
                        log.info("member {} of group {} expired after {} ms without a heartbeat", m.memberId, g.groupId, m.sessionTimeoutMs);
                        g.remove(m.memberId);
                    }
                    if (!expired.isEmpty()) {
                        rebalanceAfterRemoval(g, after);
                    }
                    maybeCompleteJoin(g, now, after);
                }
                after.forEach(Runnable::run);
            }
        } catch (RuntimeException e) {
            log.error("group sweep failed", e);
        }
    }

    /** Stores the group after every earlier write of it; the future fails when the MetaStore does. */
    private CompletableFuture<Void> persist(Group g) {
        GroupRecord r = g.toRecord();
        CompletableFuture<Void> stored = writes.submit(r.groupId(), () -> store.saveGroup(r));
        stored.exceptionally(t -> {
            log.warn("could not store group {} generation {}: {}", r.groupId(), r.generation(), t.getMessage());
            return null;
        });
        return stored;
    }

    // ---- offsets ----

    /** Checks that a commit may be made on behalf of this member and generation. */
    public Errors validateCommit(String groupId, int generation, String memberId, String groupInstanceId) {
        Group g = groups.get(groupId);
        if (generation < 0 && (memberId == null || memberId.isEmpty())) {
            // A simple (non-member) commit, as admin tools and manually-assigned consumers make.
            if (g == null) {
                return Errors.NONE;
            }
            synchronized (g) {
                return g.isEmpty() ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
            }
        }
        if (g == null) {
            return Errors.ILLEGAL_GENERATION;
        }
        synchronized (g) {
            Member m = g.members.get(memberId);
            if (m == null) {
                return groupInstanceId != null && g.staticMembers.containsKey(groupInstanceId)
                        ? Errors.FENCED_INSTANCE_ID : Errors.UNKNOWN_MEMBER_ID;
            }
            if (generation != g.generation) {
                return Errors.ILLEGAL_GENERATION;
            }
            if (g.state == GroupState.COMPLETING_REBALANCE) {
                return Errors.REBALANCE_IN_PROGRESS;
            }
            m.lastHeartbeatMs = clock.getAsLong();
            return Errors.NONE;
        }
    }

    /**
     * Commits offsets after every earlier write of the group; the future completes once the
     * MetaStore transaction has committed, failing with {@link GroupStore.StaleGenerationException}
     * when the group moved past {@code generation} meanwhile.
     */
    public CompletableFuture<Void> commitOffsets(String groupId, int generation, Map<PartitionKey, CommittedOffset> offsets) {
        return writes.submit(groupId, () -> store.commitOffsets(groupId, generation, offsets));
    }

    public CompletableFuture<Map<PartitionKey, CommittedOffset>> fetchOffsets(String groupId) {
        return store.fetchOffsets(groupId);
    }

    public CompletableFuture<Void> deleteOffsets(String groupId, Collection<PartitionKey> partitions) {
        return writes.submit(groupId, () -> store.deleteOffsets(groupId, partitions));
    }

    // ---- introspection and deletion ----

    /** A read-only view of a group for DescribeGroups and ListGroups. */
    public record GroupView(String groupId, GroupState state, String protocolType, String protocolName,
                            List<MemberView> members) {
    }

    public record MemberView(String memberId, String groupInstanceId, String clientId, String clientHost,
                             byte[] metadata, byte[] assignment) {
    }

    public Optional<GroupView> describe(String groupId) {
        Group g = groups.get(groupId);
        if (g == null) {
            return store.groupIds().contains(groupId)
                    ? Optional.of(new GroupView(groupId, GroupState.EMPTY, "", "", List.of())) : Optional.empty();
        }
        synchronized (g) {
            List<MemberView> ms = new ArrayList<>();
            for (Member m : g.members.values()) {
                ms.add(new MemberView(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                        g.protocolName == null ? new byte[0] : m.metadataFor(g.protocolName),
                        g.state == GroupState.STABLE ? m.assignment : new byte[0]));
            }
            return Optional.of(new GroupView(g.groupId, g.state, g.protocolType == null ? "" : g.protocolType,
                    g.state == GroupState.STABLE || g.state == GroupState.COMPLETING_REBALANCE ? g.protocolName : "", ms));
        }
    }

    public List<GroupView> list() {
        java.util.TreeSet<String> ids = new java.util.TreeSet<>(groups.keySet());
        ids.addAll(store.groupIds());
        List<GroupView> out = new ArrayList<>();
        for (String id : ids) {
            describe(id).filter(v -> v.state() != GroupState.DEAD).ifPresent(out::add);
        }
        return out;
    }

    /** DeleteGroups for one group: only an empty group may go; its offsets go with it. */
    public CompletableFuture<Errors> delete(String groupId) {
        Group g = groups.get(groupId);
        if (g != null) {
            synchronized (g) {
                if (!g.isEmpty() || g.state == GroupState.PREPARING_REBALANCE) {
                    return CompletableFuture.completedFuture(Errors.NON_EMPTY_GROUP);
                }
                g.state = GroupState.DEAD;
                groups.remove(groupId);
            }
        } else if (!store.groupIds().contains(groupId)) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
        }
        return writes.submit(groupId, () -> store.deleteGroup(groupId)).thenApply(v -> Errors.NONE);
    }

    /** The members' subscribed topics, for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC check. */
    public List<byte[]> memberMetadata(String groupId) {
        Group g = groups.get(groupId);
        if (g == null) {
            return List.of();
        }
        synchronized (g) {
            if (g.isEmpty() || g.protocolName == null || !"consumer".equals(g.protocolType)) {
                return List.of();
            }
            List<byte[]> out = new ArrayList<>();
            for (Member m : g.members.values()) {
                out.add(m.metadataFor(g.protocolName));
            }
            return out;
        }
    }

    @Override
    public void close() {
        // Timers belong to the broker's scheduler; pending joins simply end with the connections.
    }
}
