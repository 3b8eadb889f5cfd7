package io.strata.metastore.store;

/** Who controls the cluster: the holder's node id and broker epoch, the controller epoch, the lease. */
public record ControllerRecord(int nodeId, long brokerEpoch, int controllerEpoch, long leaseExpiryMs) {
}
