package io.strata.ingest.api;

import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;

/** DescribeCluster and FindCoordinator: with one node, it is the controller and every coordinator. */
final class ClusterHandler {
    private final BrokerIdentity self;

    ClusterHandler(BrokerIdentity self) {
        this.self = self;
    }

    DescribeClusterResponseData describeCluster(DescribeClusterRequestData req) {
        DescribeClusterResponseData resp = new DescribeClusterResponseData()
                .setClusterId(self.clusterId()).setControllerId(self.nodeId());
        resp.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                .setBrokerId(self.nodeId()).setHost(self.advertisedHost()).setPort(self.advertisedPort()));
        return resp;
    }

    FindCoordinatorResponseData findCoordinator(FindCoordinatorRequestData req, short version) {
        FindCoordinatorResponseData resp = new FindCoordinatorResponseData();
        if (version < 4) {
            Errors e = checkType(req.keyType());
            return resp.setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : e.message())
                    .setNodeId(e == Errors.NONE ? self.nodeId() : -1)
                    .setHost(e == Errors.NONE ? self.advertisedHost() : "")
                    .setPort(e == Errors.NONE ? self.advertisedPort() : -1);
        }
        for (String key : req.coordinatorKeys()) {
            Errors e = checkType(req.keyType());
            resp.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key)
                    .setErrorCode(e.code()).setErrorMessage(e == Errors.NONE ? null : e.message())
                    .setNodeId(e == Errors.NONE ? self.nodeId() : -1)
                    .setHost(e == Errors.NONE ? self.advertisedHost() : "")
                    .setPort(e == Errors.NONE ? self.advertisedPort() : -1));
        }
        return resp;
    }

    private static Errors checkType(byte keyType) {
        // Transactions are not served yet: saying so beats a client polling for a coordinator forever.
        return keyType == FindCoordinatorRequest.CoordinatorType.GROUP.id() ? Errors.NONE : Errors.UNSUPPORTED_VERSION;
    }
}
