package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Nodes and their leases: {@code nodes/<id>} → {@link NodeRecord} (JSON) and
 * {@code nodes/"epoch"} → the last broker epoch handed out. A node registers once per process
 * life (a new broker epoch) and keeps its lease alive with {@link #renew}; a renewal with an
 * epoch that is no longer the registered one fails, so a node that was replaced (same id,
 * re-registered elsewhere) learns it is fenced. A lease is for liveness only; safety comes from
 * the epochs checked in the same transactions as the writes they guard.
 */
public final class NodeRegistry {
    private final MetaStore store;
    private final Subspace nodes;
    private final byte[] epochCounter;

    public NodeRegistry(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.nodes = keyspace.area(Keyspace.Area.NODES).get("node");
        this.epochCounter = keyspace.area(Keyspace.Area.NODES).pack(Tuple.from("epoch"));
    }

    /** The node's id is taken by another live process. */
    public static final class NodeIdInUseException extends RuntimeException {
        public NodeIdInUseException(String message) {
            super(message);
        }
    }

    /** This node's registration was replaced: it must stop acting as that node. */
    public static final class FencedNodeException extends RuntimeException {
        public FencedNodeException(String message) {
            super(message);
        }
    }

    /**
     * Registers {@code nodeId} with a new broker epoch. Refused while another address holds the
     * id with a live lease (two processes configured with one node.id); the same address may
     * re-register at once (a restart after a crash).
     */
    public NodeRecord register(int nodeId, String host, int port, String rack, long nowMs, long leaseMs) {
        return register(nodeId, host, port, java.util.Map.of(), rack, nowMs, leaseMs);
    }

    /** As above, with the endpoint of each named client listener ({@code host:port} is the inter-broker one). */
    public NodeRecord register(int nodeId, String host, int port, java.util.Map<String, NodeRecord.Endpoint> listeners, String rack,
                               long nowMs, long leaseMs) {
        return store.run(tx -> {
            byte[] existing = tx.get(key(nodeId));
            if (existing != null) {
                NodeRecord prev = Json.read(existing, NodeRecord.class);
                if (prev.isLive(nowMs) && !(prev.host().equals(host) && prev.port() == port)) {
                    throw new NodeIdInUseException("node.id " + nodeId + " is registered by " + prev.host() + ":" + prev.port()
                            + " whose lease runs for another " + (prev.leaseExpiryMs() - nowMs) + " ms; give this node another node.id");
                }
            }
            byte[] counter = tx.get(epochCounter);
            long epoch = (counter == null ? 0 : Tuple.fromBytes(counter).getLong(0)) + 1;
            tx.set(epochCounter, Tuple.from(epoch).pack());
            NodeRecord mine = new NodeRecord(nodeId, host, port, rack, epoch, nowMs + leaseMs, false, true, listeners);
            tx.set(key(nodeId), Json.write(mine));
            tx.signal(ClusterControl.CHANGES);
            return mine;
        });
    }

    /**
     * Extends the lease of {@code nodeId} registered with {@code brokerEpoch}.
     *
     * @throws FencedNodeException when the node was registered again (by a newer process) or removed
     */
    public NodeRecord renew(int nodeId, long brokerEpoch, long nowMs, long leaseMs) {
        return store.run(tx -> {
            byte[] existing = tx.get(key(nodeId));
            NodeRecord prev = existing == null ? null : Json.read(existing, NodeRecord.class);
            if (prev == null || prev.brokerEpoch() != brokerEpoch) {
                throw new FencedNodeException("node " + nodeId + " with broker epoch " + brokerEpoch + " was replaced"
                        + (prev == null ? "" : " by broker epoch " + prev.brokerEpoch()));
            }
            NodeRecord renewed = prev.withLease(nowMs + leaseMs);
            tx.set(key(nodeId), Json.write(renewed));
            return renewed;
        });
    }

    /**
     * Marks the node as shutting down (Kafka's ControlledShutdown request): it stays live, but the
     * controller elects other leaders for its partitions and drops it from ISRs.
     */
    public void requestShutdown(int nodeId, long brokerEpoch) {
        store.run(tx -> {
            byte[] existing = tx.get(key(nodeId));
            if (existing != null) {
                NodeRecord prev = Json.read(existing, NodeRecord.class);
                if (prev.brokerEpoch() == brokerEpoch) {
                    tx.set(key(nodeId), Json.write(prev.asShuttingDown()));
                    tx.signal(ClusterControl.CHANGES);
                }
            }
            return null;
        });
    }

    /**
     * The controller has fenced what a restarted node led or held in sync (new leader epochs, ISRs
     * without it): it may lead and rejoin ISRs again. Only for this registration.
     *
     * @throws ClusterControl.FencedControllerException when {@code controllerEpoch} is no longer the controller's
     */
    public void rejoined(int nodeId, long brokerEpoch, ClusterControl control, int controllerEpoch) {
        store.run(tx -> {
            // Written by the controller of controllerEpoch only while it still is one, as every controller write is.
            control.checkController(tx, controllerEpoch);
            byte[] existing = tx.get(key(nodeId));
            if (existing != null) {
                NodeRecord prev = Json.read(existing, NodeRecord.class);
                if (prev.brokerEpoch() == brokerEpoch && prev.rejoining()) {
                    tx.set(key(nodeId), Json.write(prev.rejoined()));
                    tx.signal(ClusterControl.CHANGES);
                }
            }
            return null;
        });
    }

    /** Ends the lease at once (clean shutdown), if the registration is still this one. */
    public void deregister(int nodeId, long brokerEpoch) {
        store.run(tx -> {
            byte[] existing = tx.get(key(nodeId));
            if (existing != null && Json.read(existing, NodeRecord.class).brokerEpoch() == brokerEpoch) {
                NodeRecord prev = Json.read(existing, NodeRecord.class);
                tx.set(key(nodeId), Json.write(prev.withLease(0)));
                tx.signal(ClusterControl.CHANGES);
            }
            return null;
        });
    }

    /** Every registered node, live or not, by id. */
    public List<NodeRecord> all() {
        return store.run(tx -> {
            List<NodeRecord> out = new ArrayList<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(nodes))) {
                out.add(Json.read(kv.value(), NodeRecord.class));
            }
            return out;
        });
    }

    public Optional<NodeRecord> get(int nodeId) {
        return store.run(tx -> Optional.ofNullable(tx.get(key(nodeId))).map(b -> Json.read(b, NodeRecord.class)));
    }

    private byte[] key(int nodeId) {
        return nodes.pack(Tuple.from(nodeId));
    }
}
