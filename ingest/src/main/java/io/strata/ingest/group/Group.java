package io.strata.ingest.group;

import io.strata.metastore.store.GroupRecord;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One consumer group under the classic protocol: Empty → PreparingRebalance →
 * CompletingRebalance → Stable, with the join phase ending when every member has rejoined or
 * the rebalance timeout passes. Pure state: the coordinator supplies time, timers and storage.
 * All methods must be called holding this object's monitor.
 */
final class Group {
    final String groupId;
    GroupState state = GroupState.EMPTY;
    String protocolType;
    String protocolName;
    int generation;
    String leaderId;
    final Map<String, Member> members = new LinkedHashMap<>();
    final Set<String> pendingMemberIds = new java.util.HashSet<>();
    final Map<String, String> staticMembers = new LinkedHashMap<>();
    /** When the join phase must end at the latest; -1 when not rebalancing. */
    long joinDeadlineMs = -1;
    /** The join phase may not end before this (initial rebalance delay of a group that was empty). */
    long joinNotBeforeMs = -1;

    Group(String groupId) {
        this.groupId = groupId;
    }

    static String newMemberId(String clientId) {
        return (clientId == null || clientId.isEmpty() ? "member" : clientId) + "-" + UUID.randomUUID();
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    /** Starts (or restarts) a join phase; members waiting on SyncGroup are told to rejoin. */
    void prepareRebalance(long nowMs, int initialDelayMs) {
        for (Member m : members.values()) {
            if (m.pendingSync != null) {
                m.pendingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                m.pendingSync = null;
            }
        }
        if (state != GroupState.PREPARING_REBALANCE) {
            int maxRebalance = members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
            joinNotBeforeMs = state == GroupState.EMPTY ? nowMs + initialDelayMs : -1;
            joinDeadlineMs = Math.max(nowMs + maxRebalance, joinNotBeforeMs);
            state = GroupState.PREPARING_REBALANCE;
        }
    }

    boolean allJoined() {
        return members.values().stream().allMatch(m -> m.pendingJoin != null);
    }

    /**
     * Ends the join phase: drops members that did not rejoin, starts the next generation and
     * answers every waiting JoinGroup. Returns the futures to complete after leaving the lock.
     */
    List<Runnable> completeJoin() {
        List<Runnable> actions = new ArrayList<>();
        members.values().removeIf(m -> {
            if (m.pendingJoin == null) {
                if (m.groupInstanceId != null) {
                    staticMembers.remove(m.groupInstanceId);
                }
                return true;
            }
            return false;
        });
        joinDeadlineMs = -1;
        joinNotBeforeMs = -1;
        generation++;
        if (members.isEmpty()) {
            state = GroupState.EMPTY;
            protocolName = null;
            leaderId = null;
            return actions;
        }
        protocolName = selectProtocol();
        if (leaderId == null || !members.containsKey(leaderId)) {
            leaderId = members.keySet().iterator().next();
        }
        state = GroupState.COMPLETING_REBALANCE;
        List<JoinResult.JoinedMember> all = new ArrayList<>();
        for (Member m : members.values()) {
            all.add(new JoinResult.JoinedMember(m.memberId, m.groupInstanceId, m.metadataFor(protocolName)));
        }
        for (Member m : members.values()) {
            JoinResult r = new JoinResult(Errors.NONE, generation, protocolType, protocolName, leaderId, m.memberId,
                    m.memberId.equals(leaderId) ? all : List.of());
            CompletableFuture<JoinResult> f = m.pendingJoin;
            m.pendingJoin = null;
            m.assignment = new byte[0];
            actions.add(() -> f.complete(r));
        }
        return actions;
    }

    /** The protocol every member supports that ranks best in the members' own preference order. */
    private String selectProtocol() {
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (Member m : members.values()) {
            for (Protocol p : m.protocols) {
                if (members.values().stream().allMatch(o -> o.supports(p.name()))) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElseGet(() -> members.values().iterator().next().protocols.get(0).name());
    }

    /** Whether a new member with these protocols can join without breaking the group's agreement. */
    boolean acceptsProtocols(String type, List<Protocol> protocols) {
        if (members.isEmpty()) {
            return !protocols.isEmpty();
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        return protocols.stream().anyMatch(p -> members.values().stream().allMatch(m -> m.supports(p.name())));
    }

    void remove(String memberId) {
        Member m = members.remove(memberId);
        if (m != null && m.groupInstanceId != null) {
            staticMembers.remove(m.groupInstanceId);
        }
        if (memberId.equals(leaderId)) {
            leaderId = null;
        }
    }

    GroupRecord toRecord() {
        List<GroupRecord.Member> ms = new ArrayList<>();
        for (Member m : members.values()) {
            ms.add(new GroupRecord.Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    m.sessionTimeoutMs, m.rebalanceTimeoutMs, m.assignment));
        }
        return new GroupRecord(groupId, protocolType, protocolName, generation, leaderId, ms);
    }

    /** Restores a group from its stored record as Stable (or Empty): members keep their assignments. */
    static Group fromRecord(GroupRecord r, long nowMs) {
        Group g = new Group(r.groupId());
        g.protocolType = r.protocolType();
        g.protocolName = r.protocolName();
        g.generation = r.generation();
        g.leaderId = r.leaderId();
        for (GroupRecord.Member rm : r.members()) {
            Member m = new Member(rm.memberId(), rm.groupInstanceId());
            m.clientId = rm.clientId();
            m.clientHost = rm.clientHost();
            m.sessionTimeoutMs = rm.sessionTimeoutMs();
            m.rebalanceTimeoutMs = rm.rebalanceTimeoutMs();
            m.assignment = rm.assignment() == null ? new byte[0] : rm.assignment();
            // The protocol metadata is not stored; the next rebalance asks every member again.
            m.protocols = List.of(new Protocol(r.protocolName() == null ? "" : r.protocolName(), new byte[0]));
            m.lastHeartbeatMs = nowMs;
            g.members.put(m.memberId, m);
            if (m.groupInstanceId != null) {
                g.staticMembers.put(m.groupInstanceId, m.memberId);
            }
        }
        g.state = g.members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE;
        return g;
    }
}
