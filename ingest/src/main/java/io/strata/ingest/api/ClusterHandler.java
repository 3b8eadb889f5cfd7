package io.strata.ingest.api;

import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;

/**
 * DescribeCluster (the live nodes and the controller, from this node's cluster view) and
 * FindCoordinator (a group's coordinator is the live node its id hashes to).
 */
final class ClusterHandler {
    private final BrokerIdentity self;
    private final io.strata.ingest.cluster.ClusterNode cluster;

    ClusterHandler(BrokerIdentity self, io.strata.ingest.cluster.ClusterNode cluster) {
        this.self = self;
        this.cluster = cluster;
    }

    DescribeClusterResponseData describeCluster(DescribeClusterRequestData req) {
        io.strata.ingest.cluster.ClusterView view = cluster.view();
        DescribeClusterResponseData resp = new DescribeClusterResponseData()
                .setClusterId(self.clusterId()).setControllerId(view.controller().map(c -> c.nodeId()).orElse(-1));
        for (io.strata.metastore.store.NodeRecord n : view.liveNodes()) {
            resp.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker().setBrokerId(n.nodeId()).setHost(n.host())
                    .setPort(n.port()).setRack(n.rack() == null || n.rack().isEmpty() ? null : n.rack()));
        }
        if (resp.brokers().find(self.nodeId()) == null) {
            resp.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                    .setBrokerId(self.nodeId()).setHost(self.advertisedHost()).setPort(self.advertisedPort()));
        }
        return resp;
    }

    /** The coordinator of {@code key}: its node id, host and port, or -1 when no node is live. */
    private io.strata.metastore.store.NodeRecord coordinator(String key) {
        io.strata.ingest.cluster.ClusterView view = cluster.view();
        int id = view.coordinatorFor(key);
        return view.node(id).orElse(new io.strata.metastore.store.NodeRecord(self.nodeId(), self.advertisedHost(),
                self.advertisedPort(), "", 0, 0));
    }

    FindCoordinatorResponseData findCoordinator(FindCoordinatorRequestData req, short version) {
        FindCoordinatorResponseData resp = new FindCoordinatorResponseData();
        if (version < 4) {
            Errors e = checkType(req.keyType());
            io.strata.metastore.store.NodeRecord c = coordinator(req.key());
            return resp.setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : e.message())
                    .setNodeId(e == Errors.NONE ? c.nodeId() : -1)
                    .setHost(e == Errors.NONE ? c.host() : "")
                    .setPort(e == Errors.NONE ? c.port() : -1);
        }
        for (String key : req.coordinatorKeys()) {
            Errors e = checkType(req.keyType());
            io.strata.metastore.store.NodeRecord c = coordinator(key);
            resp.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key)
                    .setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : e.message())
                    .setNodeId(e == Errors.NONE ? c.nodeId() : -1)
                    .setHost(e == Errors.NONE ? c.host() : "")
                    .setPort(e == Errors.NONE ? c.port() : -1));
        }
        return resp;
    }

    private static Errors checkType(byte keyType) {
        // Transactions are not served yet: saying so beats a client polling for a coordinator forever.
        return keyType == FindCoordinatorRequest.CoordinatorType.GROUP.id() ? Errors.NONE : Errors.UNSUPPORTED_VERSION;
    }
}
