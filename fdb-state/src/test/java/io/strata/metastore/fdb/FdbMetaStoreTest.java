package io.strata.metastore.fdb;

import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreContract;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The contract suite against FoundationDB. Runs where {@code FDB_CLUSTER_FILE} names a cluster
 * (and libfdb_c is installed); reported as skipped elsewhere. See the README for running a
 * local fdbserver.
 */
@EnabledIfEnvironmentVariable(named = "FDB_CLUSTER_FILE", matches = ".+",
        disabledReason = "FDB_CLUSTER_FILE is not set: no FoundationDB cluster to test against")
class FdbMetaStoreTest extends MetaStoreContract {
    @Override
    protected MetaStore openStore() {
        return FdbMetaStore.open(url());
    }

    @Override
    protected String url() {
        return "fdb:" + System.getenv("FDB_CLUSTER_FILE");
    }
}
