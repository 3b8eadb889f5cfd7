package io.strata.ingest.api;

import io.strata.metastore.store.NodeRecord.Endpoint;

import java.util.Map;

/**
 * What this node tells clients about itself: its id, the cluster's, its inter-broker address
 * and the address it advertises on each listener.
 */
public record BrokerIdentity(int nodeId, String clusterId, String advertisedHost, int advertisedPort, Map<String, Endpoint> listeners) {
    public BrokerIdentity {
        listeners = Map.copyOf(listeners);
    }

    public BrokerIdentity(int nodeId, String clusterId, String advertisedHost, int advertisedPort) {
        this(nodeId, clusterId, advertisedHost, advertisedPort, Map.of());
    }

    /** Where clients of {@code listener} reach this node. */
    public Endpoint endpoint(String listener) {
        return listeners.getOrDefault(listener, new Endpoint(advertisedHost, advertisedPort));
    }
}
