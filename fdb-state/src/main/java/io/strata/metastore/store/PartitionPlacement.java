package io.strata.metastore.store;

import java.util.List;

/**
 * Where a partition lives: its replicas, the in-sync ones, the leader (-1: none), the leader
 * epoch (bumped at every leader change; batches carry it) and the partition epoch (bumped at
 * every change of this record; the compare-and-set token for ISR changes).
 */
public record PartitionPlacement(int leader, int leaderEpoch, int partitionEpoch, List<Integer> replicas, List<Integer> isr) {
    public PartitionPlacement {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }
}
