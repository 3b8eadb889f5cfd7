package io.strata.ingest.cluster;

import io.strata.metastore.store.ControllerRecord;
import io.strata.metastore.store.NodeRecord;
import io.strata.metastore.store.PartitionPlacement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One node's picture of the cluster, read from the MetaStore in one go and replaced whole: the
 * registered nodes with their leases, the controller, and every partition's placement. Immutable;
 * {@code version} grows with every refresh that changed the set of live nodes.
 */
public record ClusterView(long readAtMs, List<NodeRecord> nodes, Optional<ControllerRecord> controller,
                          Map<UUID, Map<Integer, PartitionPlacement>> placements, long membershipVersion) {

    public static final ClusterView EMPTY = new ClusterView(0, List.of(), Optional.empty(), Map.of(), 0);

    /** Live nodes, by id. */
    public List<NodeRecord> liveNodes() {
        List<NodeRecord> out = new ArrayList<>();
        for (NodeRecord n : nodes) {
            if (n.isLive(readAtMs)) {
                out.add(n);
            }
        }
        out.sort(Comparator.comparingInt(NodeRecord::nodeId));
        return out;
    }

    public boolean isLive(int nodeId) {
        return nodes.stream().anyMatch(n -> n.nodeId() == nodeId && n.isLive(readAtMs));
    }

    public Optional<NodeRecord> node(int nodeId) {
        // A loop, not a stream: asked for every partition in every cluster round.
        for (NodeRecord n : nodes) {
            if (n.nodeId() == nodeId) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    public Optional<PartitionPlacement> placement(UUID topicId, int partition) {
        Map<Integer, PartitionPlacement> t = placements.get(topicId);
        return t == null ? Optional.empty() : Optional.ofNullable(t.get(partition));
    }

    /**
     * The node that coordinates {@code groupId}: a stable hash over the live nodes (Kafka maps a
     * group to a partition of {@code __consumer_offsets} and that to its leader; here the live
     * set plays the partitions' part). -1 when no node is live.
     */
    public int coordinatorFor(String groupId) {
        List<NodeRecord> live = liveNodes();
        if (live.isEmpty()) {
            return -1;
        }
        return live.get(Math.floorMod(groupId.hashCode(), live.size())).nodeId();
    }
}
