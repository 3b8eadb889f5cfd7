package io.strata.ingest.api;

import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;

/**
 * DescribeCluster (the live nodes and the controller, from this node's cluster view) and
 * FindCoordinator (a group's or transactional id's coordinator is the live node it hashes to).
 */
final class ClusterHandler {
    private final BrokerIdentity self;
    private final io.strata.ingest.cluster.ClusterNode cluster;

    ClusterHandler(BrokerIdentity self, io.strata.ingest.cluster.ClusterNode cluster) {
        this.self = self;
        this.cluster = cluster;
    }

    DescribeClusterResponseData describeCluster(DescribeClusterRequestData req, String listener) {
        io.strata.ingest.cluster.ClusterView view = cluster.view();
        DescribeClusterResponseData resp = new DescribeClusterResponseData()
                .setClusterId(self.clusterId()).setControllerId(view.controller().map(c -> c.nodeId()).orElse(-1));
        boolean selfListed = false;
        for (io.strata.metastore.store.NodeRecord n : view.liveNodes()) {
            selfListed |= n.nodeId() == self.nodeId();
            n.endpoint(listener).ifPresent(at -> resp.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                    .setBrokerId(n.nodeId()).setHost(at.host()).setPort(at.port())
                    .setRack(n.rack() == null || n.rack().isEmpty() ? null : n.rack())));
        }
        if (!selfListed) {
            io.strata.metastore.store.NodeRecord.Endpoint me = self.endpoint(listener);
            resp.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                    .setBrokerId(self.nodeId()).setHost(me.host()).setPort(me.port()));
        }
        return resp;
    }

    /** The coordinator of {@code key} as a client of {@code listener} reaches it; empty when that node has no such listener. */
    private java.util.Optional<Coordinator> coordinator(String key, String listener) {
        io.strata.ingest.cluster.ClusterView view = cluster.view();
        int id = view.coordinatorFor(key);
        java.util.Optional<io.strata.metastore.store.NodeRecord> node = view.node(id);
        if (node.isEmpty()) {
            io.strata.metastore.store.NodeRecord.Endpoint me = self.endpoint(listener);
            return java.util.Optional.of(new Coordinator(self.nodeId(), me.host(), me.port()));
        }
        return node.get().endpoint(listener).map(at -> new Coordinator(id, at.host(), at.port()));
    }

    private record Coordinator(int nodeId, String host, int port) {
    }

    FindCoordinatorResponseData findCoordinator(FindCoordinatorRequestData req, short version, String listener) {
        FindCoordinatorResponseData resp = new FindCoordinatorResponseData();
        java.util.List<String> keys = version < 4 ? java.util.List.of(req.key()) : req.coordinatorKeys();
        for (String key : keys) {
            Errors e = checkType(req.keyType());
            java.util.Optional<Coordinator> c = e == Errors.NONE ? coordinator(key, listener) : java.util.Optional.empty();
            if (e == Errors.NONE && c.isEmpty()) {
                e = Errors.COORDINATOR_NOT_AVAILABLE;
            }
            String message = e == Errors.NONE ? null : e.message();
            int nodeId = c.map(Coordinator::nodeId).orElse(-1);
            String host = c.map(Coordinator::host).orElse("");
            int port = c.map(Coordinator::port).orElse(-1);
            if (version < 4) {
                return resp.setErrorCode(e.code()).setErrorMessage(message).setNodeId(nodeId).setHost(host).setPort(port);
            }
            resp.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key)
                    .setErrorCode(e.code()).setErrorMessage(message).setNodeId(nodeId).setHost(host).setPort(port));
        }
        return resp;
    }

    private static Errors checkType(byte keyType) {
        // Groups and transactional ids are coordinated alike: by the live node the key hashes to.
        return keyType == FindCoordinatorRequest.CoordinatorType.GROUP.id()
                || keyType == FindCoordinatorRequest.CoordinatorType.TRANSACTION.id() ? Errors.NONE : Errors.UNSUPPORTED_VERSION;
    }
}
