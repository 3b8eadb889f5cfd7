package io.strata.metastore.store;

import java.util.Map;
import java.util.Optional;

/**
 * A registered node: where other nodes reach it ({@code host:port}, its inter-broker listener),
 * where clients of each named listener reach it, its rack, the broker epoch it got when it last
 * registered (from a monotonic counter, so a restarted node is told apart from its previous
 * life), until when its lease holds, whether it asked for a controlled shutdown (the controller
 * then moves its leaderships away and drops it from ISRs before it stops), and whether it has
 * just registered (rejoining): until the controller has given its partitions new leader epochs
 * and dropped it from ISRs, it may neither lead nor count as in sync, because a restart may have
 * cost it the unsynced tail of its logs (Kafka fences a new broker incarnation the same way).
 */
public record NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs, boolean shuttingDown,
                         boolean rejoining, Map<String, Endpoint> listeners) {

    /** Where a listener of a node is reached. */
    public record Endpoint(String host, int port) {
    }

    public NodeRecord {
        // Registered by a node of an older version: its one listener is the inter-broker one.
        listeners = listeners == null ? Map.of() : Map.copyOf(listeners);
    }

    public NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs) {
        this(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, false, false, Map.of());
    }

    /**
     * Where clients of {@code listener} reach this node; empty when the node has no such listener
     * (Kafka leaves such a broker out of the metadata a client of that listener gets). A node
     * that registered no listener names serves every client on {@code host:port}.
     */
    public Optional<Endpoint> endpoint(String listener) {
        if (listeners.isEmpty()) {
            return Optional.of(new Endpoint(host, port));
        }
        return Optional.ofNullable(listeners.get(listener));
    }

    public boolean isLive(long nowMs) {
        return leaseExpiryMs > nowMs;
    }

    /** Live, not handing its work off and not rejoining: may lead and stay in ISRs. */
    public boolean isEligible(long nowMs) {
        return isLive(nowMs) && !shuttingDown && !rejoining;
    }

    NodeRecord withLease(long expiryMs) {
        return new NodeRecord(nodeId, host, port, rack, brokerEpoch, expiryMs, shuttingDown, rejoining, listeners);
    }

    NodeRecord asShuttingDown() {
        return new NodeRecord(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, true, rejoining, listeners);
    }

    NodeRecord rejoined() {
        return new NodeRecord(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, shuttingDown, false, listeners);
    }
}
