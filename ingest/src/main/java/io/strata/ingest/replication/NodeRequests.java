package io.strata.ingest.replication;

import io.strata.ingest.cluster.ClusterNode;
import io.strata.metastore.store.NodeRecord;
import org.apache.kafka.common.protocol.ApiMessage;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests from this node to another one over its inter-broker listener (TLS and SASL as the
 * replica fetchers use them): one connection per node, one request at a time on it, reopened
 * after an error. Used by the transaction coordinator to write markers to partition leaders.
 */
public final class NodeRequests implements AutoCloseable {
    private static final int TIMEOUT_MS = 30_000;
    private final ReplicationManager manager;
    private final ClusterNode cluster;
    private final Map<Integer, Connection> connections = new ConcurrentHashMap<>();

    public NodeRequests(ReplicationManager manager, ClusterNode cluster) {
        this.manager = manager;
        this.cluster = cluster;
    }

    private static final class Connection {
        WireClient client;
        String host;
        int port;
    }

    /** Sends {@code request} in {@code version} to node {@code nodeId} and returns its response. */
    public ApiMessage send(int nodeId, ApiMessage request, short version) throws IOException {
        NodeRecord node = cluster.view().node(nodeId).orElseThrow(() -> new IOException("node " + nodeId + " is not registered"));
        Connection c = connections.computeIfAbsent(nodeId, id -> new Connection());
        synchronized (c) {
            if (c.client != null && (!node.host().equals(c.host) || node.port() != c.port)) {
                c.client.close();
                c.client = null;
            }
            if (c.client == null) {
                WireClient w = new WireClient(manager.connector(), node.host(), node.port(), "strata-node-" + cluster.nodeId(), TIMEOUT_MS);
                try {
                    SaslLogin login = manager.login();
                    if (login != null) {
                        login.authenticate(w, node.host());
                    }
                } catch (IOException | RuntimeException e) {
                    w.close();
                    throw e;
                }
                c.client = w;
                c.host = node.host();
                c.port = node.port();
            }
            try {
                return c.client.send(request, version);
            } catch (IOException | RuntimeException e) {
                c.client.close();
                c.client = null;
                throw e;
            }
        }
    }

    @Override
    public void close() {
        for (Connection c : connections.values()) {
            synchronized (c) {
                if (c.client != null) {
                    c.client.close();
                    c.client = null;
                }
            }
        }
    }
}
