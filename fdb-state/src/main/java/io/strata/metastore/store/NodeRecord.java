package io.strata.metastore.store;

/**
 * A registered node: where clients reach it, its rack, the broker epoch it got when it last
 * registered (from a monotonic counter, so a restarted node is told apart from its previous
 * life), until when its lease holds, whether it asked for a controlled shutdown (the controller
 * then moves its leaderships away and drops it from ISRs before it stops), and whether it has
 * just registered (rejoining): until the controller has given its partitions new leader epochs
 * and dropped it from ISRs, it may neither lead nor count as in sync, because a restart may have
 * cost it the unsynced tail of its logs (Kafka fences a new broker incarnation the same way).
 */
public record NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs, boolean shuttingDown,
                         boolean rejoining) {
    public NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs) {
        this(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, false, false);
    }

    public boolean isLive(long nowMs) {
        return leaseExpiryMs > nowMs;
    }

    /** Live, not handing its work off and not rejoining: may lead and stay in ISRs. */
    public boolean isEligible(long nowMs) {
        return isLive(nowMs) && !shuttingDown && !rejoining;
    }

    NodeRecord withLease(long expiryMs) {
        return new NodeRecord(nodeId, host, port, rack, brokerEpoch, expiryMs, shuttingDown, rejoining);
    }

    NodeRecord asShuttingDown() {
        return new NodeRecord(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, true, rejoining);
    }

    NodeRecord rejoined() {
        return new NodeRecord(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, shuttingDown, false);
    }
}
