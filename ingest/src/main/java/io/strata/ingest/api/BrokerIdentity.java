package io.strata.ingest.api;

/** What this node tells clients about itself. */
public record BrokerIdentity(int nodeId, String clusterId, String advertisedHost, int advertisedPort) {
}
