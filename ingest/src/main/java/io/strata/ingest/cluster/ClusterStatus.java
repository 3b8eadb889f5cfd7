package io.strata.ingest.cluster;

import io.strata.metastore.store.ControllerRecord;
import io.strata.metastore.store.NodeRecord;
import io.strata.metastore.store.PartitionPlacement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The cluster as operators read it ({@code /api/cluster}, {@code ./strata cluster}): the nodes
 * with their broker epochs, leases and state, the controller with its epoch and lease, and a
 * partition's leader, leader epoch, partition epoch, replicas and ISR. JSON-ready maps.
 */
public final class ClusterStatus {
    private ClusterStatus() {
    }

    public static Map<String, Object> of(ClusterView view, long nowMs) {
        Map<String, Object> out = new LinkedHashMap<>();
        Optional<ControllerRecord> c = view.controller();
        if (c.isPresent()) {
            Map<String, Object> ctl = new LinkedHashMap<>();
            ctl.put("nodeId", c.get().nodeId());
            ctl.put("controllerEpoch", c.get().controllerEpoch());
            ctl.put("leaseRemainingMs", Math.max(0, c.get().leaseExpiryMs() - nowMs));
            out.put("controller", ctl);
        } else {
            out.put("controller", null);
        }
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (NodeRecord n : view.nodes().stream().sorted(java.util.Comparator.comparingInt(NodeRecord::nodeId)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("nodeId", n.nodeId());
            m.put("host", n.host());
            m.put("port", n.port());
            m.put("rack", n.rack());
            m.put("brokerEpoch", n.brokerEpoch());
            m.put("state", !n.isLive(nowMs) ? "gone" : n.shuttingDown() ? "shutting-down" : "live");
            m.put("leaseRemainingMs", Math.max(0, n.leaseExpiryMs() - nowMs));
            m.put("leaderships", view.placements().values().stream()
                    .mapToLong(ps -> ps.values().stream().filter(p -> p.leader() == n.nodeId()).count()).sum());
            m.put("replicas", view.placements().values().stream()
                    .mapToLong(ps -> ps.values().stream().filter(p -> p.replicas().contains(n.nodeId())).count()).sum());
            nodes.add(m);
        }
        out.put("nodes", nodes);
        return out;
    }

    /** One partition's placement, or an empty map when it has none yet. */
    public static Map<String, Object> partition(ClusterView view, UUID topicId, int partition) {
        Map<String, Object> out = new LinkedHashMap<>();
        Optional<PartitionPlacement> p = view.placement(topicId, partition);
        p.ifPresent(pp -> {
            out.put("leader", pp.leader());
            out.put("leaderEpoch", pp.leaderEpoch());
            out.put("partitionEpoch", pp.partitionEpoch());
            out.put("replicas", pp.replicas());
            out.put("isr", pp.isr());
        });
        return out;
    }
}
