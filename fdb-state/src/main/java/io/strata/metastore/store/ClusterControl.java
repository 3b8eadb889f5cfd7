package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.Transaction;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The controller's state in the MetaStore, playing the part of KRaft's metadata log:
 *
 * <pre>
 * nodes/"controller"                 → ControllerRecord (JSON): holder, controller epoch, lease
 * placement/topicId/partition        → PartitionPlacement (JSON)
 * </pre>
 *
 * The controller lease decides who acts; the controller epoch decides whose writes count: every
 * placement write runs {@link #checkController} in its own transaction, so a controller that lost
 * its lease (paused, partitioned) cannot write after another took over.
 */
public final class ClusterControl {
    /** The channel every placement change signals: nodes re-read the cluster at once instead of at their next poll. */
    public static final String CHANGES = "strata_cluster";

    private final MetaStore store;
    private final byte[] controllerKey;
    private final byte[] placementVersionKey;
    private final Subspace placement;

    public ClusterControl(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.controllerKey = keyspace.area(Keyspace.Area.NODES).pack(Tuple.from("controller"));
        this.placementVersionKey = keyspace.area(Keyspace.Area.NODES).pack(Tuple.from("placement-version"));
        this.placement = keyspace.area(Keyspace.Area.PLACEMENT);
    }

    /** Calls {@code onChange} soon after any placement or membership change commits (where the store can push). */
    public AutoCloseable watchChanges(Runnable onChange) {
        return store.watch(CHANGES, onChange);
    }

    /** A write by a controller that is no longer the controller. */
    public static final class FencedControllerException extends RuntimeException {
        public FencedControllerException(String message) {
            super(message);
        }
    }

    /**
     * Takes or renews the controller lease for {@code nodeId}: granted when there is no
     * controller, its lease ran out, or it is this node with this broker epoch already. A new
     * holder gets the next controller epoch.
     */
    public Optional<ControllerRecord> tryLead(int nodeId, long brokerEpoch, long nowMs, long leaseMs) {
        return store.run(tx -> {
            byte[] existing = tx.get(controllerKey);
            ControllerRecord current = existing == null ? null : Json.read(existing, ControllerRecord.class);
            boolean mine = current != null && current.nodeId() == nodeId && current.brokerEpoch() == brokerEpoch;
            // A node that restarted may take over from its own previous life at once: that process is gone
            // (its node id was registered again), and the new controller epoch fences anything it left in flight.
            boolean previousLife = current != null && current.nodeId() == nodeId && current.brokerEpoch() < brokerEpoch;
            if (current != null && !mine && !previousLife && current.leaseExpiryMs() > nowMs) {
                return Optional.empty();
            }
            int epoch = current == null ? 1 : mine ? current.controllerEpoch() : current.controllerEpoch() + 1;
            ControllerRecord next = new ControllerRecord(nodeId, brokerEpoch, epoch, nowMs + leaseMs);
            tx.set(controllerKey, Json.write(next));
            return Optional.of(next);
        });
    }

    public Optional<ControllerRecord> controller() {
        return store.run(tx -> Optional.ofNullable(tx.get(controllerKey)).map(b -> Json.read(b, ControllerRecord.class)));
    }

    /** Fails the transaction unless {@code controllerEpoch} is still the current controller epoch. */
    public void checkController(Transaction tx, int controllerEpoch) {
        byte[] existing = tx.get(controllerKey);
        int current = existing == null ? 0 : Json.read(existing, ControllerRecord.class).controllerEpoch();
        if (current != controllerEpoch) {
            throw new FencedControllerException("controller epoch " + controllerEpoch + " is stale; the current one is " + current);
        }
    }

    /**
     * Writes a partition's placement as the controller of {@code controllerEpoch}, if the stored
     * record is still at {@code expectedPartitionEpoch} (-1: none yet). Returns false when it
     * changed meanwhile.
     */
    public boolean place(int controllerEpoch, UUID topicId, int partition, int expectedPartitionEpoch, PartitionPlacement next) {
        return store.run(tx -> {
            checkController(tx, controllerEpoch);
            byte[] key = placement.pack(Tuple.from(topicId.toString(), partition));
            byte[] existing = tx.get(key);
            int stored = existing == null ? -1 : Json.read(existing, PartitionPlacement.class).partitionEpoch();
            if (stored != expectedPartitionEpoch) {
                return false;
            }
            tx.set(key, Json.write(next));
            placementsChanged(tx);
            return true;
        });
    }

    /**
     * A leader's ISR change (Kafka's AlterPartition, with the MetaStore as the controller's log):
     * committed only if the stored placement still names {@code leaderId} as leader in
     * {@code leaderEpoch} at {@code expectedPartitionEpoch}; the partition epoch then moves on.
     * A leader that was replaced, or raced another change, gets empty and must re-read.
     */
    public Optional<PartitionPlacement> alterIsr(UUID topicId, int partition, int leaderId, int leaderEpoch,
                                                 int expectedPartitionEpoch, java.util.List<Integer> isr) {
        return update(topicId, partition, p -> p.leader() != leaderId || p.leaderEpoch() != leaderEpoch
                || p.partitionEpoch() != expectedPartitionEpoch
                ? Optional.empty() : Optional.of(p.with(p.leader(), p.leaderEpoch(), p.partitionEpoch() + 1, isr)));
    }

    /**
     * Reads a partition's placement, asks {@code change} for its successor (empty: leave it) and
     * writes that in the same transaction, signalling watchers. Empty when there is no placement
     * or no change.
     */
    private Optional<PartitionPlacement> update(UUID topicId, int partition,
                                                java.util.function.Function<PartitionPlacement, Optional<PartitionPlacement>> change) {
        return store.run(tx -> {
            byte[] key = placementKey(topicId, partition);
            Optional<PartitionPlacement> next = read(tx, key).flatMap(change);
            next.ifPresent(n -> {
                tx.set(key, Json.write(n));
                placementsChanged(tx);
            });
            return next;
        });
    }

    /** A write by a leader that is no longer the partition's leader in that epoch. */
    public static final class FencedLeaderException extends RuntimeException {
        public FencedLeaderException(String message) {
            super(message);
        }
    }

    /**
     * Fails the transaction unless {@code nodeId} still leads the partition in {@code leaderEpoch}
     * (a placement-less partition, outside any cluster round yet, passes): a paused leader that
     * resumes cannot commit tiered segments after another took over.
     */
    public void checkLeader(Transaction tx, UUID topicId, int partition, int nodeId, int leaderEpoch) {
        byte[] existing = tx.get(placement.pack(Tuple.from(topicId.toString(), partition)));
        if (existing == null) {
            return;
        }
        PartitionPlacement p = Json.read(existing, PartitionPlacement.class);
        if (p.leader() != nodeId || p.leaderEpoch() != leaderEpoch) {
            throw new FencedLeaderException("node " + nodeId + " in leader epoch " + leaderEpoch + " no longer leads "
                    + topicId + "-" + partition + " (leader " + p.leader() + ", epoch " + p.leaderEpoch() + ")");
        }
    }

    /**
     * Starts (or, with {@code target} null, cancels) moving a partition to the replica set
     * {@code target}, as Kafka's AlterPartitionReassignments does: new replicas are added at once
     * (they start following), and the controller completes the move once all of them are in sync.
     * A compare-and-set on the partition epoch, like every placement change. Returns the new
     * placement, or empty when the partition has none.
     */
    public Optional<PartitionPlacement> reassign(UUID topicId, int partition, java.util.List<Integer> target) {
        return update(topicId, partition, p -> {
            java.util.List<Integer> original = p.originalReplicas();
            if (target == null) {
                // Only new replicas in sync: going back would leave the partition without one.
                return Optional.of(moved(p, original, java.util.List.of(), java.util.List.of(),
                        "cannot cancel: no original replica of the partition is in sync any more"));
            }
            java.util.List<Integer> adding = new java.util.ArrayList<>(target);
            adding.removeAll(original);
            java.util.List<Integer> removing = new java.util.ArrayList<>(original);
            removing.removeAll(target);
            java.util.List<Integer> replicas = new java.util.ArrayList<>(target);
            replicas.addAll(removing);
            return Optional.of(moved(p, replicas, adding, removing, "the new target leaves no in-sync replica"));
        });
    }

    /**
     * {@code p} with a new replica set: the ISR kept inside it (a changed target may drop replicas a
     * previous one added), and a new leader, in the next epoch, if the old one left.
     */
    private static PartitionPlacement moved(PartitionPlacement p, java.util.List<Integer> replicas, java.util.List<Integer> adding,
                                            java.util.List<Integer> removing, String noneInSync) {
        java.util.List<Integer> isr = new java.util.ArrayList<>(p.isr());
        isr.retainAll(replicas);
        if (isr.isEmpty()) {
            throw new IllegalArgumentException(noneInSync);
        }
        int leader = replicas.contains(p.leader()) ? p.leader() : isr.get(0);
        return new PartitionPlacement(leader, leader == p.leader() ? p.leaderEpoch() : p.leaderEpoch() + 1, p.partitionEpoch() + 1,
                replicas, isr, adding, removing);
    }

    private byte[] placementKey(UUID topicId, int partition) {
        return placement.pack(Tuple.from(topicId.toString(), partition));
    }

    private static Optional<PartitionPlacement> read(Transaction tx, byte[] key) {
        return Optional.ofNullable(tx.get(key)).map(b -> Json.read(b, PartitionPlacement.class));
    }

    /** Every placement of a topic, by partition. */
    public Map<Integer, PartitionPlacement> placements(UUID topicId) {
        Subspace t = placement.get(topicId.toString());
        return store.run(tx -> {
            Map<Integer, PartitionPlacement> out = new HashMap<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(t))) {
                out.put((int) t.unpack(kv.key()).getLong(0), Json.read(kv.value(), PartitionPlacement.class));
            }
            return out;
        });
    }

    /**
     * Every write of a placement gives the placement version a new random value, in its own
     * transaction, and signals watchers: a node's round reads one key to know whether its copy is
     * current instead of reading and parsing every placement of the cluster. A blind write (no
     * read of the old value), so placement writes do not conflict on it where the store can tell
     * (FoundationDB).
     */
    private void placementsChanged(Transaction tx) {
        long token;
        do {
            token = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        } while (token == -1 || token == 0 || token == Long.MIN_VALUE);
        tx.set(placementVersionKey, Tuple.from(token).pack());
        tx.signal(CHANGES);
    }

    private long placementVersion(Transaction tx) {
        byte[] v = tx.get(placementVersionKey);
        return v == null ? 0 : Tuple.fromBytes(v).getLong(0);
    }

    /** Every placement of the cluster with the placement version (a token: equal or not, no order) they are at. */
    public record Placements(long version, Map<UUID, Map<Integer, PartitionPlacement>> byTopic) {
    }

    /**
     * Every placement of the cluster, unless the placement version is still {@code knownVersion}
     * (empty: the caller's copy is current). One key read when nothing changed.
     */
    public Optional<Placements> allPlacementsIfChanged(long knownVersion) {
        return store.run(tx -> {
            long version = placementVersion(tx);
            if (version == knownVersion) {
                return Optional.empty();
            }
            return Optional.of(new Placements(version, readAll(tx)));
        });
    }

    /** Every placement of the cluster: topic id → partition → placement (one range read). */
    public Map<UUID, Map<Integer, PartitionPlacement>> allPlacements() {
        return store.run(this::readAll);
    }

    /** Read-only: views share it between threads until the next change. */
    private Map<UUID, Map<Integer, PartitionPlacement>> readAll(Transaction tx) {
        Map<UUID, Map<Integer, PartitionPlacement>> out = new HashMap<>();
        for (KeyValue kv : tx.getRange(KeyRange.of(placement))) {
            Tuple k = placement.unpack(kv.key());
            out.computeIfAbsent(UUID.fromString(k.getString(0)), x -> new HashMap<>())
                    .put((int) k.getLong(1), Json.read(kv.value(), PartitionPlacement.class));
        }
        out.replaceAll((id, m) -> java.util.Collections.unmodifiableMap(m));
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Removes a deleted topic's placements. */
    public void deleteTopic(UUID topicId) {
        Subspace t = placement.get(topicId.toString());
        store.run(tx -> {
            KeyRange r = KeyRange.of(t);
            tx.clearRange(r.begin(), r.end());
            placementsChanged(tx);
            return null;
        });
    }
}
