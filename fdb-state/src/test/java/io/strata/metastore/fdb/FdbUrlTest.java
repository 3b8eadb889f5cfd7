package io.strata.metastore.fdb;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FdbUrlTest {
    @Test
    void clusterFileAndTlsOptions() {
        assertThat(FdbUrl.parse("fdb:")).isEqualTo(new FdbUrl(null, Map.of()));
        assertThat(FdbUrl.parse("fdb:/etc/foundationdb/fdb.cluster").clusterFile()).isEqualTo("/etc/foundationdb/fdb.cluster");
        FdbUrl tls = FdbUrl.parse("fdb:/etc/foundationdb/fdb.cluster?tls_cert_path=/etc/strata/fdb.pem&tls_key_path=/etc/strata/fdb.key"
                + "&tls_ca_path=/etc/strata/ca.pem&tls_verify_peers=Check.Valid%3D1");
        assertThat(tls.clusterFile()).isEqualTo("/etc/foundationdb/fdb.cluster");
        assertThat(tls.tls()).containsEntry("tls_cert_path", "/etc/strata/fdb.pem").containsEntry("tls_verify_peers", "Check.Valid=1");
        assertThat(tls.display()).isEqualTo("fdb:/etc/foundationdb/fdb.cluster (TLS)");
        assertThatThrownBy(() -> FdbUrl.parse("fdb:/x?tls_cert=/a")).hasMessageContaining("tls_cert_path");
    }
}
