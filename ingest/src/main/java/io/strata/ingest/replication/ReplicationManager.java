package io.strata.ingest.replication;

import io.strata.ingest.cluster.ClusterNode;
import io.strata.ingest.cluster.ClusterView;
import io.strata.ingest.log.LogOfflineException;
import io.strata.ingest.log.FollowerLog;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.ClusterControl;
import io.strata.metastore.store.PartitionPlacement;
import io.strata.metastore.store.TopicRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Replication the Kafka way. This node's role for every local partition follows the placements
 * in the cluster view ({@link #apply}, on the cluster-control thread after each refresh):
 *
 * <ul>
 * <li><b>Leader</b> in leader epoch E: the log takes client appends stamped with E; a
 * {@link LeaderReplicas} tracks the followers' fetches, the high watermark and the acks=all
 * waiters; the {@code isr-check} job shrinks the ISR of followers lagging more than
 * {@code replica.lag.time.max.ms} and expands it with caught-up ones, each change a
 * compare-and-set on the partition epoch in the MetaStore (Kafka's AlterPartition).</li>
 * <li><b>Follower</b>: a {@link LeaderFetcher} per leader node first finds where its log and the
 * leader's part (OffsetForLeaderEpoch) and truncates there, then fetches with Kafka's Fetch
 * (replica id, current leader epoch) and appends the leader's batches verbatim.</li>
 * </ul>
 *
 * A leader that learns of a newer epoch stops taking appends at once and fails its waiting
 * acks=all produces with NOT_LEADER_OR_FOLLOWER, so producers retry at the new leader.
 */
public final class ReplicationManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicationManager.class);

    private final TopicManager topics;
    private final ClusterNode cluster;
    private final ClusterControl control;
    private final LongSupplier clock;
    private final long maxLagMs;
    private volatile NodeConnector connector = NodeConnector.PLAIN;
    private final Map<TopicPartition, LeaderReplicas> leaders = new ConcurrentHashMap<>();
    private final Map<TopicPartition, FollowerState> followers = new ConcurrentHashMap<>();
    private final Map<Integer, LeaderFetcher> fetchers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timeouts = io.strata.ingest.util.NamedThreads.scheduled("replica-purgatory");
    private final ScheduledExecutorService isrCheck = io.strata.ingest.util.NamedThreads.scheduled("isr-check");

    /** Whether this node re-registered and the controller has not yet moved its leaderships to new epochs. */
    private static boolean rejoining(ClusterView view, int me) {
        return view.node(me).map(io.strata.metastore.store.NodeRecord::rejoining).orElse(false);
    }
    private volatile boolean closed;

    /** How followers reach leaders: TLS when the inter-broker listener uses SSL (set before {@link #start}). */
    public void setConnector(NodeConnector connector) {
        this.connector = connector;
    }

    NodeConnector connector() {
        return connector;
    }

    private volatile SaslLogin login;

    /** How followers log in when the inter-broker listener uses SASL (set before {@link #start}); null: they do not. */
    public void setLogin(SaslLogin login) {
        this.login = login;
    }

    SaslLogin login() {
        return login;
    }

    public ReplicationManager(TopicManager topics, ClusterNode cluster, ClusterControl control, LongSupplier clock, long maxLagMs) {
        this.topics = topics;
        this.cluster = cluster;
        this.control = control;
        this.clock = clock;
        this.maxLagMs = maxLagMs;
    }

    public void start() {
        apply(cluster.view());
        // Roles change within the cluster round that read the view, so that a CreateTopics answered
        // after its placement finds the leader already leading.
        cluster.addViewListener(this::apply);
        long every = Math.max(100, Math.min(1000, maxLagMs / 2));
        isrCheck.scheduleWithFixedDelay(this::checkIsrs, every, every, TimeUnit.MILLISECONDS);
    }

    /** What this node follows for one partition: whom, in which epoch, and whether its log was reconciled with that leader yet. */
    static final class FollowerState {
        final TopicPartition tp;
        final FollowerLog log;
        final int leaderId;
        final int leaderEpoch;
        /** Set once the log was truncated to where it agrees with this leader; fetching starts then. */
        volatile boolean reconciled;
        /** The epoch to ask the leader about next (KIP-279: lower it while the answers name an epoch this log lacks). */
        volatile int askEpoch;

        FollowerState(TopicPartition tp, FollowerLog log, int leaderId, int leaderEpoch) {
            this.tp = tp;
            this.log = log;
            this.leaderId = leaderId;
            this.leaderEpoch = leaderEpoch;
            this.askEpoch = log.latestEpoch();
        }
    }

    /** Brings every local partition's role in line with {@code view}. */
    public synchronized void apply(ClusterView view) {
        if (closed) {
            return;
        }
        int me = cluster.nodeId();
        long now = clock.getAsLong();
        boolean fencedAtStart = cluster.isFenced();
        Set<Integer> leadersFollowed = new HashSet<>();
        int changed = 0;
        for (Map.Entry<TopicPartition, PartitionLog> e : topics.logs().entrySet()) {
            TopicPartition tp = e.getKey();
            PartitionLog pl = e.getValue();
            Optional<TopicRecord> t = topics.topic(tp.topic());
            Optional<PartitionPlacement> placed = t.flatMap(x -> view.placement(x.id(), tp.partition()));
            if (placed.isEmpty() || cluster.isFenced() || rejoining(view, me)) {
                // Fenced, lease lost, or just restarted and not yet cleared by the controller: take no appends.
                if (leaders.containsKey(tp)) {
                    changed++;
                }
                stopLeading(tp);
                followers.remove(tp);
                pl.becomeFollower(placed.map(PartitionPlacement::leaderEpoch).orElse(pl.leaderEpoch()));
                continue;
            }
            PartitionPlacement p = placed.get();
            pl.setReplicated(p.replicas().size() > 1);
            if (p.leader() == me) {
                followers.remove(tp);
                LeaderReplicas current = leaders.get(tp);
                if (current == null || current.leaderEpoch() != p.leaderEpoch()) {
                    stopLeading(tp);
                    pl.becomeLeader(p.leaderEpoch());
                    changed++;
                    leaders.put(tp, new LeaderReplicas(pl, me, p.leaderEpoch(), p.partitionEpoch(), p.replicas(), p.isr(), now));
                    if (p.leaderEpoch() > 0 || p.replicas().size() > 1) {
                        log.info("{}: leader in epoch {} (replicas {}, isr {}) from offset {}", tp, p.leaderEpoch(), p.replicas(), p.isr(),
                                pl.logEndOffset());
                    }
                } else {
                    current.placementChanged(p.partitionEpoch(), p.replicas(), p.isr(), now);
                }
                continue;
            }
            stopLeading(tp);
            FollowerState f = followers.get(tp);
            if (f == null || f.leaderEpoch != p.leaderEpoch() || f.leaderId != p.leader()) {
                if (pl.isLeading() || pl.leaderEpoch() != p.leaderEpoch()) {
                    changed++;
                }
                pl.becomeFollower(p.leaderEpoch());
                if (p.replicas().contains(me) && p.leader() >= 0) {
                    followers.put(tp, new FollowerState(tp, pl, p.leader(), p.leaderEpoch()));
                    log.info("{}: follower of node {} in epoch {}", tp, p.leader(), p.leaderEpoch());
                } else {
                    followers.remove(tp);
                }
            }
            if (p.leader() >= 0 && p.replicas().contains(me)) {
                leadersFollowed.add(p.leader());
            }
        }
        if (changed > 0) {
            log.info("{} partition role change(s): leading {}, following {}{}", changed, leaders.size(), followers.size(),
                    cluster.isFenced() ? " (fenced)" : rejoining(view, me) ? " (rejoining)" : "");
        }
        // Once per partition each cluster round: a copy of all logs each time made thousands of
        // partitions cost megabytes of garbage a round.
        leaders.keySet().removeIf(tp -> {
            if (!topics.hosts(tp)) {
                leaders.get(tp).close();
                return true;
            }
            return false;
        });
        followers.keySet().removeIf(tp -> !topics.hosts(tp));
        for (int leader : leadersFollowed) {
            view.node(leader).ifPresent(n -> fetchers.computeIfAbsent(leader, id -> new LeaderFetcher(id, this, cluster.nodeId())).start());
        }
        for (LeaderFetcher f : fetchers.values()) {
            f.updateAddress(view);
        }
        lastApplied = new Applied(view, fencedAtStart || cluster.isFenced());
    }

    private void stopLeading(TopicPartition tp) {
        LeaderReplicas r = leaders.remove(tp);
        if (r != null) {
            r.close();
        }
    }

    /** The partitions this node follows from {@code leaderId} right now. */
    List<FollowerState> followedFrom(int leaderId) {
        return followers.values().stream().filter(f -> f.leaderId == leaderId && followers.get(f.tp) == f).toList();
    }

    boolean isCurrent(FollowerState f) {
        return followers.get(f.tp) == f && !closed;
    }

    long now() {
        return clock.getAsLong();
    }

    // ---- the leader side ----

    /** The leader epoch this node leads {@code tp} in, or -1 when it does not lead it. */
    public int leaderEpochIfLeading(TopicPartition tp) {
        LeaderReplicas r = leaders.get(tp);
        return r == null ? -1 : r.leaderEpoch();
    }

    public boolean leads(TopicPartition tp) {
        return leaders.containsKey(tp);
    }

    /**
     * The epoch this node leads {@code tp} in once the roles of the view it holds are applied, or
     * -1: what client requests are checked against. The cluster loop publishes a view a moment
     * before it applies its roles, and CreateTopics answers as soon as the view places the topic,
     * so a fetch or ListOffsets sent right after it must not be told this node does not lead.
     */
    public int leaderEpochOnceApplied(TopicPartition tp) {
        int epoch = leaderEpochIfLeading(tp);
        if (epoch < 0 && leadsOrBecomesLeader(tp)) {
            epoch = leaderEpochIfLeading(tp);
        }
        return epoch;
    }

    /**
     * Whether this node leads {@code tp} once the roles of the view it holds are applied: a
     * request that arrives between the view naming this node leader (and clients learning it
     * through Metadata) and the cluster round applying the role is served, not refused. A refusal
     * there would be dangerous for idempotent producers: their first batch refused, the next one
     * taken, the first could never follow it in sequence.
     */
    private boolean leadsOrBecomesLeader(TopicPartition tp) {
        if (leaders.containsKey(tp)) {
            return true;
        }
        // Lock-free for a partition the view leaves to another node, the common miss (a client with old metadata).
        ClusterView view = cluster.view();
        if (appliedWhileFenced(view) || !namesThisNodeLeader(view, tp)) {
            return false;
        }
        return applyHeldView(tp);
    }

    private synchronized boolean applyHeldView(TopicPartition tp) {
        if (leaders.containsKey(tp)) {
            return true;
        }
        // Read under the lock apply() takes: the cluster loop applies each view it publishes before it reads the
        // next, so a view read here is never older than one already applied (an older one would undo a failover).
        ClusterView view = cluster.view();
        if (appliedWhileFenced(view) || !namesThisNodeLeader(view, tp) || cluster.isFenced() || rejoining(view, cluster.nodeId())
                || topics.partition(tp).isEmpty()) {
            return false;
        }
        apply(view);
        return leaders.containsKey(tp);
    }

    private boolean namesThisNodeLeader(ClusterView view, TopicPartition tp) {
        int me = cluster.nodeId();
        return topics.topic(tp.topic()).flatMap(t -> view.placement(t.id(), tp.partition())).map(p -> p.leader() == me).orElse(false);
    }

    /**
     * Whether {@code view} is the one applied last, and this node was fenced or without its lease
     * then: once the lease is back, that view is older than the controller's decisions since (its
     * partitions may have moved), and only the next round's fresh view may make this node lead.
     */
    private boolean appliedWhileFenced(ClusterView view) {
        Applied a = lastApplied;
        return a != null && a.view() == view && a.fenced();
    }

    /** The view whose roles were applied last (by identity: every round publishes a new one), and whether fenced then. */
    private record Applied(ClusterView view, boolean fenced) {
    }

    private volatile Applied lastApplied;

    /** The committed ISR's size (what min.insync.replicas counts), or 0 when not leading. */
    public int isrSize(TopicPartition tp) {
        LeaderReplicas r = leaders.get(tp);
        return r == null ? 0 : r.isr().size();
    }

    /** The leader side of a follower's Fetch in the current epoch: it holds everything below {@code fetchOffset}. */
    public void replicaFetched(TopicPartition tp, int followerId, long fetchOffset) {
        LeaderReplicas r = leaders.get(tp);
        if (r != null) {
            r.followerFetched(followerId, fetchOffset, clock.getAsLong());
        }
    }

    /** Called after every leader append: moves the watermark when no follower holds it back. */
    public void leaderAppended(TopicPartition tp) {
        LeaderReplicas r = leaders.get(tp);
        if (r != null) {
            r.leaderAppended();
        }
    }

    /**
     * Completes when every in-sync replica holds {@code lastOffset} (at once for a partition with
     * one replica); fails with a timeout after {@code timeoutMs}, or with NOT_LEADER_OR_FOLLOWER
     * when leadership moves first.
     */
    public CompletableFuture<Void> awaitReplicated(TopicPartition tp, PartitionLog pl, long lastOffset, long timeoutMs, int appendedInEpoch) {
        LeaderReplicas r = leaders.get(tp);
        if (r == null || r.leaderEpoch() != appendedInEpoch) {
            return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.NotLeaderOrFollowerException(
                    tp + ": this node stopped leading before the record was replicated"));
        }
        if (!pl.isReplicated()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = r.awaitReplicated(lastOffset);
        if (!f.isDone()) {
            timeouts.schedule(() -> f.completeExceptionally(new TimeoutException(
                    tp + ": not all in-sync replicas hold offset " + lastOffset + " after " + timeoutMs + " ms")), timeoutMs, TimeUnit.MILLISECONDS);
        }
        return f;
    }

    /** Shrinks and expands the ISRs this node leads, each change a compare-and-set in the MetaStore. */
    private void checkIsrs() {
        try {
            long now = clock.getAsLong();
            for (Map.Entry<TopicPartition, LeaderReplicas> e : leaders.entrySet()) {
                LeaderReplicas r = e.getValue();
                ClusterView view = cluster.view();
                List<Integer> next = r.proposedIsr(now, maxLagMs, id -> view.node(id).map(n -> n.isEligible(now)).orElse(false));
                if (next == null) {
                    continue;
                }
                Optional<TopicRecord> t = topics.topic(e.getKey().topic());
                if (t.isEmpty()) {
                    continue;
                }
                List<Integer> before = r.isr();
                r.beginChange(next);
                Optional<PartitionPlacement> committed = Optional.empty();
                try {
                    committed = control.alterIsr(t.get().id(), e.getKey().partition(), cluster.nodeId(), r.leaderEpoch(),
                            r.partitionEpoch(), next);
                } finally {
                    r.endChange(committed.map(PartitionPlacement::partitionEpoch).orElse(null), committed.map(PartitionPlacement::isr).orElse(null));
                }
                if (committed.isPresent()) {
                    log.info("{}: ISR {} -> {} (partition epoch {})", e.getKey(), before, next, committed.get().partitionEpoch());
                } else {
                    log.debug("{}: ISR change to {} lost a race; the next view decides", e.getKey(), next);
                }
            }
        } catch (RuntimeException e) {
            log.warn("ISR check failed: {}", e.toString());
        }
    }

    /** A follower's log could not take what its leader sent (a disk error took it offline). */
    void followerFailed(FollowerState f, RuntimeException e) {
        if (e instanceof LogOfflineException) {
            log.error("{}: stops following node {}: {}", f.tp, f.leaderId, e.getMessage());
        } else {
            log.warn("{}: replica fetch from node {} failed: {}", f.tp, f.leaderId, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        isrCheck.shutdownNow();
        fetchers.values().forEach(LeaderFetcher::close);
        leaders.values().forEach(LeaderReplicas::close);
        leaders.clear();
        timeouts.shutdownNow();
    }
}
