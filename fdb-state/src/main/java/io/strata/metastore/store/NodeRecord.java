package io.strata.metastore.store;

/**
 * A registered node: where clients reach it, its rack, the broker epoch it got when it last
 * registered (from a monotonic counter, so a restarted node is told apart from its previous
 * life), until when its lease holds, and whether it asked for a controlled shutdown (the
 * controller then moves its leaderships away and drops it from ISRs before it stops).
 */
public record NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs, boolean shuttingDown) {
    public NodeRecord(int nodeId, String host, int port, String rack, long brokerEpoch, long leaseExpiryMs) {
        this(nodeId, host, port, rack, brokerEpoch, leaseExpiryMs, false);
    }

    /** Live and not handing its work off (a controlled shutdown): may lead and stay in ISRs. */
    public boolean isEligible(long nowMs) {
        return isLive(nowMs) && !shuttingDown;
    }

    public boolean isLive(long nowMs) {
        return leaseExpiryMs > nowMs;
    }
}
