package io.strata.it;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The failover scenarios with the nodes on FoundationDB (the {@code fdb-metastore-failover}
 * execution sets {@code strata.it.cluster.metastore=fdb}). No FoundationDB server can run on this
 * machine: the class is skipped unless {@code FDB_CLUSTER_FILE} names a cluster.
 */
@EnabledIfEnvironmentVariable(named = "FDB_CLUSTER_FILE", matches = ".+")
class FailoverOnFoundationDbIT extends FailoverIT {
}
