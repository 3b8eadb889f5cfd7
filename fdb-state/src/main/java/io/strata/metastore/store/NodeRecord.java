package io.strata.metastore.store;

/**
 * A registered node: where clients reach it, its rack, the broker epoch it got when it last
 * registered (from a monotonic counter, so a restarted node is told apart from its previous
 * life) and until when its lease holds.
 */
public record NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs) {
    public boolean isLive(long nowMs) {
        return leaseExpiryMs > nowMs;
    }
}
