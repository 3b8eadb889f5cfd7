package io.strata.metastore;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;

/**
 * The key tree of one cluster, built with FoundationDB's Tuple encoding so that every backend
 * orders keys identically:
 *
 * <pre>
 * ("strata", clusterName)
 *   ├─ "cluster"                              → cluster id
 *   ├─ "topics",    name                      → TopicRecord (JSON)
 *   ├─ "groups",    group                     → GroupRecord (JSON)
 *   ├─ "offsets",   group, topic, partition   → (offset, leaderEpoch, metadata, commitTimestamp)
 *   ├─ "placement", topicId, partition        → PartitionPlacement (JSON): leader, epochs, replicas, ISR
 *   ├─ "segments",  topicId, partition, base  → segment manifest entry
 *   ├─ "nodes",     "node", nodeId            → NodeRecord (JSON): address, rack, broker epoch, lease
 *   │               "epoch"                   → last broker epoch handed out
 *   │               "controller"              → ControllerRecord (JSON): holder, controller epoch, lease
 *   ├─ "producers"                            → producer id allocation
 *   ├─ "transactions", transactionalId        → TransactionRecord (JSON): producer, epoch, state, partitions, coordinator epoch
 *   ├─ "txnoffsets", group, producerId, topic, partition → an offset a transaction committed, applied when it commits
 *   └─ "retired",  objectKey                 → when a compaction replaced that segment object (deleted after the grace period)
 * </pre>
 */
public final class Keyspace {

    /** The fixed first-level subspaces. */
    public enum Area {
        CLUSTER("cluster"), TOPICS("topics"), GROUPS("groups"), OFFSETS("offsets"),
        PLACEMENT("placement"), SEGMENTS("segments"), NODES("nodes"), PRODUCERS("producers"), USERS("users"), ACLS("acls"),
        TRANSACTIONS("transactions"), TXN_OFFSETS("txnoffsets"), RETIRED_OBJECTS("retired");

        private final String label;

        Area(String label) {
            this.label = label;
        }
    }

    private final Subspace root;

    public Keyspace(String clusterName) {
        this.root = new Subspace(Tuple.from("strata", clusterName));
    }

    public Subspace area(Area area) {
        return root.get(area.label);
    }
}
