package io.strata.ingest.cluster;

import io.strata.metastore.store.NodeRecord;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the replicas of a new partition: the least-loaded live nodes, one rack at a time
 * before a rack repeats ({@code broker.rack}), the first of them the preferred leader. Pure:
 * the controller feeds it the live nodes and the current replica counts.
 */
public final class PlacementPolicy {
    private PlacementPolicy() {
    }

    /**
     * @param load replicas each node holds already (updated with this choice)
     * @param seed varies the tie-break between equally loaded nodes (topic and partition)
     */
    public static List<Integer> choose(List<NodeRecord> live, int replicationFactor, Map<Integer, Integer> load, int seed) {
        if (replicationFactor > live.size()) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " is larger than the "
                    + live.size() + " live node(s)");
        }
        List<NodeRecord> candidates = new ArrayList<>(live);
        int n = candidates.size();
        Map<Integer, Integer> order = new HashMap<>();
        for (int i = 0; i < n; i++) {
            order.put(candidates.get(i).nodeId(), Math.floorMod(i - seed, n));
        }
        candidates.sort(Comparator.<NodeRecord>comparingInt(x -> load.getOrDefault(x.nodeId(), 0))
                .thenComparingInt(x -> order.get(x.nodeId())));
        List<Integer> chosen = new ArrayList<>();
        Set<String> racksUsed = new LinkedHashSet<>();
        for (int pass = 0; pass < 2 && chosen.size() < replicationFactor; pass++) {
            for (NodeRecord c : candidates) {
                if (chosen.size() == replicationFactor) {
                    break;
                }
                String rack = c.rack() == null ? "" : c.rack();
                if (chosen.contains(c.nodeId()) || (pass == 0 && !rack.isEmpty() && racksUsed.contains(rack))) {
                    continue;
                }
                chosen.add(c.nodeId());
                racksUsed.add(rack);
            }
        }
        for (int id : chosen) {
            load.merge(id, 1, Integer::sum);
        }
        return chosen;
    }
}
