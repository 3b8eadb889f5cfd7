package io.strata.metastore.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a partition lives: its replicas, the in-sync ones, the leader (-1: none), the leader
 * epoch (bumped at every leader change; batches carry it), the partition epoch (bumped at every
 * change of this record; the compare-and-set token for ISR changes) and, while a reassignment
 * runs, Kafka's adding and removing replicas: the replicas are then the old set plus the new
 * ones, so new replicas catch up as followers before old ones leave.
 */
public record PartitionPlacement(int leader, int leaderEpoch, int partitionEpoch, List<Integer> replicas, List<Integer> isr,
                                 List<Integer> addingReplicas, List<Integer> removingReplicas) {
    public PartitionPlacement {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        addingReplicas = addingReplicas == null ? List.of() : List.copyOf(addingReplicas);
        removingReplicas = removingReplicas == null ? List.of() : List.copyOf(removingReplicas);
    }

    public PartitionPlacement(int leader, int leaderEpoch, int partitionEpoch, List<Integer> replicas, List<Integer> isr) {
        this(leader, leaderEpoch, partitionEpoch, replicas, isr, List.of(), List.of());
    }

    /** The same placement with another leader, epochs and ISR; a reassignment in progress stays. */
    public PartitionPlacement with(int newLeader, int newLeaderEpoch, int newPartitionEpoch, List<Integer> newIsr) {
        return new PartitionPlacement(newLeader, newLeaderEpoch, newPartitionEpoch, replicas, newIsr, addingReplicas, removingReplicas);
    }

    public boolean reassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }

    /** The replica set a reassignment moves to (the replicas themselves when none runs). */
    public List<Integer> targetReplicas() {
        List<Integer> out = new ArrayList<>(replicas);
        out.removeAll(removingReplicas);
        return out;
    }

    /** The replica set before the reassignment began. */
    public List<Integer> originalReplicas() {
        List<Integer> out = new ArrayList<>(replicas);
        out.removeAll(addingReplicas);
        return out;
    }
}
