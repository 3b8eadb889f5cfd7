package io.strata.ingest.cluster;

import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.store.ClusterControl;
import io.strata.metastore.store.ControllerRecord;
import io.strata.metastore.store.NodeRecord;
import io.strata.metastore.store.NodeRegistry;
import io.strata.metastore.store.PartitionPlacement;
import io.strata.metastore.store.TopicCatalog;
import io.strata.metastore.store.TopicRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * This node's membership of the cluster, and the controller's work when it holds the lease.
 *
 * <p>At start the node registers in the MetaStore (a new broker epoch) and then, on its
 * {@code cluster-control} thread, every {@link #TICK_MS}: renews its lease every
 * {@code broker.heartbeat.interval.ms}; takes or keeps the controller lease (valid for
 * {@code broker.session.timeout.ms}); as controller, gives every partition without a placement
 * its replicas and leader, and drops placements of deleted topics — each write checked against
 * the controller epoch in its own transaction; and reads a fresh {@link ClusterView}, which the
 * request handlers consult (who leads a partition, who coordinates a group, which nodes are live).
 *
 * <p>A node whose registration was replaced (the same node.id registered by a newer process) is
 * fenced: it leads nothing from then on.
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    static final long TICK_MS = 200;

    private final NodeRegistry registry;
    private final ClusterControl control;
    private final TopicCatalog catalog;
    private final int nodeId;
    private final String host;
    private final int port;
    private java.util.Map<String, io.strata.metastore.store.NodeRecord.Endpoint> listeners = java.util.Map.of();
    private final String rack;
    private final long sessionMs;
    private final long heartbeatMs;
    private final LongSupplier clock;
    private final ScheduledExecutorService loop = io.strata.ingest.util.NamedThreads.scheduled("cluster-control");
    private volatile NodeRecord self;
    private volatile ClusterView view = ClusterView.EMPTY;
    private volatile boolean fenced;
    private volatile boolean storeDown;
    private volatile boolean uncleanElection;
    private final java.util.List<java.util.function.Consumer<ClusterView>> viewListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    // touched only on the cluster-control thread
    private long lastRenewMs;
    private Optional<ControllerRecord> controllerLease = Optional.empty();
    // When this node last wrote its controller lease.
    private long leadRenewedMs;

    /** The address of each named client listener, registered with the node (call before {@link #start}). */
    public void setListeners(java.util.Map<String, io.strata.metastore.store.NodeRecord.Endpoint> listeners) {
        this.listeners = java.util.Map.copyOf(listeners);
    }

    public ClusterNode(NodeRegistry registry, ClusterControl control, TopicCatalog catalog, int nodeId, String host, int port,
                       String rack, long sessionMs, long heartbeatMs, LongSupplier clock) {
        this.registry = registry;
        this.control = control;
        this.catalog = catalog;
        this.nodeId = nodeId;
        this.host = host;
        this.port = port;
        this.rack = rack;
        this.sessionMs = sessionMs;
        this.heartbeatMs = heartbeatMs;
        this.clock = clock;
    }

    /**
     * Registers and runs the first round synchronously (so a single node serves its partitions
     * from the first request), then keeps ticking in the background.
     *
     * @throws NodeRegistry.NodeIdInUseException when another live process has this node.id
     */
    public void start() {
        long now = clock.getAsLong();
        self = registry.register(nodeId, host, port, listeners, rack, now, sessionMs);
        lastRenewMs = now;
        log.info("node {} registered with broker epoch {} at {}:{}{}", nodeId, self.brokerEpoch(), host, port,
                rack.isEmpty() ? "" : " (rack " + rack + ")");
        runOnLoop();
        loop.scheduleWithFixedDelay(this::tickGuarded, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        // PostgreSQL NOTIFY / FoundationDB watch: a change elsewhere starts a round now rather than at the next tick.
        changes = control.watchChanges(() -> {
            if (wakePending.compareAndSet(false, true)) {
                try {
                    loop.execute(() -> {
                        wakePending.set(false);
                        tickGuarded();
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    wakePending.set(false);
                }
            }
        });
    }

    /** Whether this node's own record said rejoining at the last refresh (cluster-control thread only). */
    private boolean selfRejoining = true;
    private final java.util.concurrent.atomic.AtomicBoolean wakePending = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile AutoCloseable changes = () -> { };

    /** Runs a round now on the cluster-control thread and waits for it. */
    public void runOnLoop() {
        try {
            loop.submit(this::tickGuarded).get(sessionMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("cluster round failed: {}", e.getMessage());
        }
    }

    private void tickGuarded() {
        try {
            tick();
            if (storeDown) {
                storeDown = false;
                log.info("cluster state is readable again");
            }
        } catch (MetaStoreUnavailableException e) {
            if (!storeDown) {
                storeDown = true;
                log.warn("cannot reach the metastore for cluster state: {}", e.getMessage());
            }
            if (!leaseLost && clock.getAsLong() - lastRenewMs > sessionMs) {
                // The others count this node gone and elect new leaders: stop acting as one before anyone must fence us.
                leaseLost = true;
                log.warn("node {} could not renew its lease for {} ms: it stops leading until it can", nodeId, sessionMs);
                notifyListeners(view);
            }
        } catch (RuntimeException e) {
            log.error("cluster round failed", e);
        }
    }

    private void tick() {
        long now = clock.getAsLong();
        if (fenced) {
            return;
        }
        if (due(now, lastRenewMs, heartbeatMs)) {
            try {
                self = registry.renew(nodeId, self.brokerEpoch(), now, sessionMs);
                lastRenewMs = now;
                if (leaseLost) {
                    leaseLost = false;
                    log.info("node {} renewed its lease again", nodeId);
                }
            } catch (NodeRegistry.FencedNodeException e) {
                fenced = true;
                // Its lease as controller belonged to the replaced registration too.
                controllerLease = Optional.empty();
                log.error("node {} is fenced and stops leading: {}", nodeId, e.getMessage());
                // No round runs after this one: the listeners apply the fence now (replication stops leading).
                notifyListeners(view);
                return;
            }
        }
        ClusterView before = view;
        boolean wasController = controllerLease.isPresent();
        if (!wasController || due(now, leadRenewedMs, leadRenewalMs())) {
            controllerLease = control.tryLead(nodeId, self.brokerEpoch(), now, sessionMs);
            if (controllerLease.isPresent()) {
                leadRenewedMs = now;
            }
        }
        if (controllerLease.isPresent() && !wasController) {
            // A new controller first waits a full interval before moving leaders back (as Kafka's does).
            lastRebalanceMs = now;
            log.info("node {} is the controller (controller epoch {})", nodeId, controllerLease.get().controllerEpoch());
        } else if (controllerLease.isEmpty() && wasController) {
            log.info("node {} is no longer the controller", nodeId);
        }
        refreshView(now, before);
        if (controllerLease.isPresent() && !view.controller().map(c -> sameLease(c, controllerLease.get())).orElse(false)) {
            // Between renewals the lease is taken on trust; the record just read says whether it still holds.
            log.info("node {} is no longer the controller", nodeId);
            controllerLease = Optional.empty();
        }
        if (controllerLease.isPresent()) {
            try {
                reconcile(controllerLease.get());
            } catch (ClusterControl.FencedControllerException e) {
                log.warn("node {} lost the controller role mid-round: {}", nodeId, e.getMessage());
                controllerLease = Optional.empty();
            }
            refreshView(now, view);
        }
    }

    /**
     * How often the controller writes its lease: every heartbeat, as a node renews its own, and at
     * least three times a lease. Every round would be a durable MetaStore write (an fsync with the
     * embedded store) five times a second on a node that has nothing else to do.
     */
    private long leadRenewalMs() {
        return Math.max(TICK_MS, Math.min(heartbeatMs, sessionMs / 3));
    }

    /** Whether a lease written at {@code lastMs} is due again; a wall clock that went back renews at once, not when it has caught up. */
    private static boolean due(long now, long lastMs, long intervalMs) {
        return now - lastMs >= intervalMs || now < lastMs;
    }

    private static boolean sameLease(ControllerRecord stored, ControllerRecord held) {
        return stored.nodeId() == held.nodeId() && stored.brokerEpoch() == held.brokerEpoch()
                && stored.controllerEpoch() == held.controllerEpoch();
    }

    private void refreshView(long now, ClusterView before) {
        List<NodeRecord> nodes = registry.all();
        Optional<ControllerRecord> controller = control.controller();
        Map<UUID, Map<Integer, PartitionPlacement>> placements = placements(now);
        ClusterView next = new ClusterView(now, nodes, controller, placements, before.membershipVersion());
        Set<Integer> was = ids(before);
        Set<Integer> is = ids(next);
        if (!was.equals(is)) {
            next = new ClusterView(now, nodes, controller, placements, before.membershipVersion() + 1);
            log.info("live nodes now {}", is);
        }
        boolean rejoining = next.node(nodeId).map(NodeRecord::rejoining).orElse(false);
        if (selfRejoining && !rejoining) {
            log.info("node {} may lead again", nodeId);
        }
        selfRejoining = rejoining;
        view = next;
        notifyListeners(next);
    }

    /** Full reads of the placements at least this often, whatever the version says. */
    private static final long PLACEMENTS_FULL_READ_MS = 30_000;
    private ClusterControl.Placements placements = new ClusterControl.Placements(-1, Map.of());
    private long placementsReadAt;

    /**
     * The cluster's placements: re-read whole only when their version moved (one key read a
     * round otherwise; thousands of partitions made every round parse them all), and every 30 s.
     */
    private Map<UUID, Map<Integer, PartitionPlacement>> placements(long now) {
        boolean stale = now - placementsReadAt >= PLACEMENTS_FULL_READ_MS;
        Optional<ClusterControl.Placements> fresh = control.allPlacementsIfChanged(stale ? Long.MIN_VALUE : placements.version());
        if (fresh.isPresent()) {
            placements = fresh.get();
            placementsReadAt = now;
        }
        return placements.byTopic();
    }

    private void notifyListeners(ClusterView next) {
        for (java.util.function.Consumer<ClusterView> l : viewListeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.error("applying the cluster view failed", e);
            }
        }
    }

    /** Called on the cluster-control thread with every fresh view (replication applies roles from it). */
    public void addViewListener(java.util.function.Consumer<ClusterView> listener) {
        viewListeners.add(listener);
    }

    /**
     * Kafka's auto.leader.rebalance.enable: every {@code intervalMs} the controller gives each
     * partition back to its preferred replica (the first) when that one is live and in sync, so
     * leadership spreads out again after failovers and restarts. 0 turns it off.
     */
    public void setPreferredLeaderRebalance(long intervalMs) {
        this.rebalanceEveryMs = intervalMs;
    }

    private volatile long rebalanceEveryMs;
    /** Whether every placement write of this controller round succeeded (touched only on the cluster-control thread). */
    private boolean placementsSettled;
    private long lastRebalanceMs;

    /** Whether leaders may be elected from outside the ISR (unclean.leader.election.enable). */
    public void setUncleanLeaderElection(boolean enabled) {
        this.uncleanElection = enabled;
    }

    /** Replaced by a newer registration, or unable to renew the lease: this node must lead nothing. */
    public boolean isFenced() {
        return fenced || leaseLost;
    }

    private volatile boolean leaseLost;

    private static Set<Integer> ids(ClusterView v) {
        Set<Integer> out = new TreeSet<>();
        v.liveNodes().forEach(n -> out.add(n.nodeId()));
        return out;
    }

    /** The controller's round: every partition has a placement; deleted topics have none. */
    private void reconcile(ControllerRecord lease) {
        List<NodeRecord> live = view.liveNodes();
        if (live.isEmpty()) {
            return;
        }
        Map<UUID, Map<Integer, PartitionPlacement>> current = view.placements();
        Map<Integer, Integer> load = new HashMap<>();
        current.values().forEach(ps -> ps.values().forEach(p -> p.replicas().forEach(r -> load.merge(r, 1, Integer::sum))));
        Set<UUID> liveTopics = new java.util.HashSet<>();
        placementsSettled = true;
        for (TopicRecord t : catalog.list()) {
            liveTopics.add(t.id());
            Map<Integer, PartitionPlacement> placed = current.getOrDefault(t.id(), Map.of());
            int rf = Math.max(1, t.replicationFactor());
            for (int p = 0; p < t.partitions(); p++) {
                if (placed.containsKey(p)) {
                    if (!maybeCompleteReassignment(lease, t, p, placed.get(p))) {
                        maybeElect(lease, t, p, placed.get(p));
                    }
                    continue;
                }
                if (rf > live.size()) {
                    log.warn("{}-{} needs {} replicas but only {} node(s) are live; not placed yet", t.name(), p, rf, live.size());
                    continue;
                }
                List<Integer> replicas = PlacementPolicy.choose(live, rf, load, t.name().hashCode() + p);
                PartitionPlacement first = new PartitionPlacement(replicas.get(0), 0, 0, replicas, replicas);
                if (control.place(lease.controllerEpoch(), t.id(), p, -1, first)) {
                    log.info("placed {}-{} on {} (leader {}, leader epoch 0)", t.name(), p, replicas, replicas.get(0));
                }
            }
        }
        if (placementsSettled) {
            // Every placement this round saw has been fenced against restarted nodes: they may lead again.
            for (NodeRecord n : live) {
                if (n.rejoining()) {
                    registry.rejoined(n.nodeId(), n.brokerEpoch(), control, lease.controllerEpoch());
                    log.info("node {} (broker epoch {}) rejoined: its partitions are in new leader epochs", n.nodeId(), n.brokerEpoch());
                }
            }
        }
        long now = clock.getAsLong();
        if (rebalanceEveryMs > 0 && now - lastRebalanceMs >= rebalanceEveryMs) {
            lastRebalanceMs = now;
            rebalancePreferredLeaders(lease);
        }
        for (UUID placedTopic : current.keySet()) {
            if (!liveTopics.contains(placedTopic)) {
                control.deleteTopic(placedTopic);
            }
        }
    }

    /**
     * Ends a reassignment once every target replica is in sync: the replicas become the target,
     * removed ones leave the ISR, and if the leader was removed the first in-sync target replica
     * leads in the next epoch. Returns whether it wrote.
     */
    private boolean maybeCompleteReassignment(ControllerRecord lease, TopicRecord t, int partition, PartitionPlacement p) {
        if (!p.reassigning()) {
            return false;
        }
        List<Integer> target = p.targetReplicas();
        long now = view.readAtMs();
        if (!p.isr().containsAll(target) || !target.stream().allMatch(id -> view.node(id).map(n -> n.isEligible(now)).orElse(false))) {
            return false;
        }
        List<Integer> isr = p.isr().stream().filter(target::contains).toList();
        int leader = target.contains(p.leader()) ? p.leader() : target.stream().filter(isr::contains).findFirst().orElse(-1);
        PartitionPlacement next = new PartitionPlacement(leader, leader == p.leader() ? p.leaderEpoch() : p.leaderEpoch() + 1,
                p.partitionEpoch() + 1, target, isr);
        if (control.place(lease.controllerEpoch(), t.id(), partition, p.partitionEpoch(), next)) {
            log.info("{}-{}: reassignment done: replicas {} -> {}, leader {} (epoch {})", t.name(), partition, p.originalReplicas(),
                    target, leader, next.leaderEpoch());
            return true;
        }
        return false;
    }

    /**
     * Starts (target given) or cancels (null) a reassignment of one partition: Kafka's
     * AlterPartitionReassignments. The controller completes it once the new replicas are in sync.
     */
    public Optional<PartitionPlacement> reassign(java.util.UUID topicId, int partition, List<Integer> target) {
        Optional<PartitionPlacement> p = control.reassign(topicId, partition, target);
        runOnLoop();
        return p;
    }

    /**
     * The controller's part in failover (KRaft's, with the MetaStore as its log): a partition
     * whose leader's lease ran out or that is shutting down gets a new leader from the live
     * members of its ISR (the preferred replica first), with the next leader epoch; replicas that
     * are gone leave the ISR. With no live ISR member the partition has no leader (-1) until one
     * returns, unless unclean.leader.election.enable lets any live replica lead. Every write is a
     * compare-and-set on the partition epoch, checked against the controller epoch.
     */
    private void maybeElect(ControllerRecord lease, TopicRecord t, int partition, PartitionPlacement p) {
        long now = view.readAtMs();
        java.util.function.IntPredicate eligible = id -> view.node(id).map(n -> n.isEligible(now)).orElse(false);
        List<Integer> isr = p.isr().stream().filter(eligible::test).toList();
        boolean leaderOk = p.leader() >= 0 && eligible.test(p.leader());
        PartitionPlacement next = null;
        if (leaderOk) {
            if (!isr.equals(p.isr()) && !isr.isEmpty()) {
                next = p.with(p.leader(), p.leaderEpoch(), p.partitionEpoch() + 1, isr);
            }
        } else {
            List<Integer> candidates = p.replicas().stream().filter(isr::contains).toList();
            boolean unclean = false;
            if (candidates.isEmpty() && uncleanElection) {
                candidates = p.replicas().stream().filter(eligible::test).toList();
                unclean = !candidates.isEmpty();
            }
            if (!candidates.isEmpty()) {
                int leader = candidates.get(0);
                List<Integer> newIsr = unclean ? List.of(leader) : isr;
                next = p.with(leader, p.leaderEpoch() + 1, p.partitionEpoch() + 1, newIsr);
                if (unclean) {
                    log.warn("{}-{}: unclean election of node {} (no in-sync replica is live); records only the old ISR held are lost",
                            t.name(), partition, leader);
                }
            } else if (p.leader() >= 0 && view.node(p.leader()).map(n -> n.isLive(now) && n.rejoining()).orElse(false)) {
                // A restarted leader with nobody in sync to hand over to stays leader, in a new epoch: its
                // followers then reconcile with what its log holds now, which a restart may have shortened.
                next = p.with(p.leader(), p.leaderEpoch() + 1, p.partitionEpoch() + 1, p.isr());
            } else if (p.leader() >= 0 && !view.isLive(p.leader())) {
                // (A leader shutting down with nobody to hand off to keeps leading until it stops.)
                // Nobody in sync is live: no leader until one returns. The ISR keeps its members so that
                // one of them, with every committed record, leads next.
                next = p.with(-1, p.leaderEpoch() + 1, p.partitionEpoch() + 1, p.isr());
            }
        }
        if (next != null && !control.place(lease.controllerEpoch(), t.id(), partition, p.partitionEpoch(), next)) {
            placementsSettled = false;
        } else if (next != null) {
            if (next.leader() != p.leader()) {
                log.info("{}-{}: leader {} -> {} in epoch {} (isr {})", t.name(), partition, p.leader(), next.leader(),
                        next.leaderEpoch(), next.isr());
            } else {
                log.info("{}-{}: isr {} -> {} (node gone or shutting down)", t.name(), partition, p.isr(), next.isr());
            }
        }
    }

    private void rebalancePreferredLeaders(ControllerRecord lease) {
        long now = view.readAtMs();
        for (TopicRecord t : catalog.list()) {
            for (Map.Entry<Integer, PartitionPlacement> e : view.placements().getOrDefault(t.id(), Map.of()).entrySet()) {
                PartitionPlacement p = e.getValue();
                int preferred = p.replicas().get(0);
                if (p.reassigning() || p.leader() == preferred || p.leader() < 0 || !p.isr().contains(preferred)
                        || !view.node(preferred).map(n -> n.isEligible(now)).orElse(false)) {
                    continue;
                }
                PartitionPlacement next = p.with(preferred, p.leaderEpoch() + 1, p.partitionEpoch() + 1, p.isr());
                if (control.place(lease.controllerEpoch(), t.id(), e.getKey(), p.partitionEpoch(), next)) {
                    log.info("{}-{}: leadership back to preferred replica {} (epoch {})", t.name(), e.getKey(), preferred, next.leaderEpoch());
                }
            }
        }
    }

    /**
     * Waits (bounded) until every partition of {@code t} has a placement in this node's view,
     * driving rounds meanwhile: CreateTopics answers once clients can find the leaders.
     */
    public boolean awaitPlaced(TopicRecord t, long timeoutMs) {
        long deadline = clock.getAsLong() + timeoutMs;
        while (true) {
            Map<Integer, PartitionPlacement> placed = view.placements().getOrDefault(t.id(), Map.of());
            if (placed.size() >= t.partitions()) {
                return true;
            }
            if (clock.getAsLong() >= deadline) {
                return false;
            }
            runOnLoop();
        }
    }

    public ClusterView view() {
        return view;
    }

    /**
     * Whether node {@code id} is registered, reading the MetaStore when this node's view (refreshed
     * each heartbeat) does not know it yet: a node that has just started is registered before any
     * other node's next refresh, and a reassignment naming it must not be refused meanwhile.
     */
    public boolean isRegistered(int id) {
        return view.node(id).isPresent() || registry.all().stream().anyMatch(n -> n.nodeId() == id);
    }

    /** Whether this node held the controller lease at its last round (read on the cluster-control thread only; for tests). */
    boolean isController() {
        try {
            return loop.submit(() -> controllerLease.isPresent()).get(sessionMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public int nodeId() {
        return nodeId;
    }


    public boolean coordinates(String groupId) {
        return !isFenced() && view.coordinatorFor(groupId) == nodeId;
    }


    /**
     * Kafka's controlled shutdown: asks the controller to move this node's leaderships away and
     * waits (at most {@code timeoutMs}) until no partition names it as leader, so that producers
     * move to the new leaders with nothing in flight lost.
     */
    public void handOff(long timeoutMs) {
        if (self == null || fenced) {
            return;
        }
        try {
            registry.requestShutdown(nodeId, self.brokerEpoch());
        } catch (RuntimeException e) {
            log.warn("could not ask for a controlled shutdown: {}", e.getMessage());
            return;
        }
        long deadline = clock.getAsLong() + timeoutMs;
        while (clock.getAsLong() < deadline) {
            runOnLoop();
            long now = clock.getAsLong();
            boolean leadsAny = view.placements().values().stream().anyMatch(ps -> ps.values().stream().anyMatch(p -> p.leader() == nodeId
                    && p.isr().stream().anyMatch(r -> r != nodeId && view.node(r).map(n -> n.isEligible(now)).orElse(false))));
            if (!leadsAny) {
                log.info("node {} handed off its leaderships", nodeId);
                return;
            }
            try {
                Thread.sleep(TICK_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.warn("node {} still leads partitions after {} ms; shutting down anyway", nodeId, timeoutMs);
    }

    /** Stops ticking and ends the lease at once, so others see this node gone without waiting it out. */
    @Override
    public void close() {
        try {
            changes.close();
        } catch (Exception e) {
            log.debug("stopping the change watch: {}", e.toString());
        }
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (self != null && !fenced) {
            try {
                registry.deregister(nodeId, self.brokerEpoch());
            } catch (RuntimeException e) {
                log.warn("could not end node {}'s lease: {}", nodeId, e.getMessage());
            }
        }
    }
}
