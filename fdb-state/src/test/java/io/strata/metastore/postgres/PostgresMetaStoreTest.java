package io.strata.metastore.postgres;

import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreContract;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract suite against a real PostgreSQL started from the machine's binaries. */
class PostgresMetaStoreTest extends MetaStoreContract {
    static PostgresServer server;
    static String url;

    @BeforeAll
    static void startServer0() throws Exception {
        server = PostgresServer.shared();
        url = server.newDatabase("contract");
    }

    @Override
    protected MetaStore openStore() {
        return PostgresMetaStore.open(url);
    }

    @Override
    protected String url() {
        return url;
    }

    @Override
    protected boolean stopServer() throws Exception {
        server.stopProcess();
        return true;
    }

    @Override
    protected void startServer() throws Exception {
        server.startProcess();
    }

    @Test
    void urlsInLibpqFormAreUnderstood() {
        PostgresUrl u = PostgresUrl.parse("postgresql://strata:s%40cret@db.internal:6543/meta?sslmode=require", Map.of());
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/meta?sslmode=require");
        assertThat(u.user()).isEqualTo("strata");
        assertThat(u.password()).isEqualTo("s@cret");
        assertThat(u.display()).doesNotContain("cret");
        PostgresUrl env = PostgresUrl.parse("postgres://app@localhost/meta", Map.of("PGPASSWORD", "fromenv"));
        assertThat(env.password()).isEqualTo("fromenv");
        assertThat(env.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/meta");
        assertThatThrownBy(() -> PostgresUrl.parse("postgresql://host-only", Map.of())).hasMessageContaining("postgresql://user@host:port/database");
    }

    @Test
    void aSignalledCommitWakesWatchersInOtherStoresAndAnUnsignalledOneDoesNot() throws Exception {
        String db = server.newDatabase("signals");
        try (MetaStore writer = PostgresMetaStore.open(db); MetaStore watcher = PostgresMetaStore.open(db)) {
            java.util.concurrent.LinkedBlockingQueue<String> woken = new java.util.concurrent.LinkedBlockingQueue<>();
            try (AutoCloseable w = watcher.watch("strata_cluster", () -> woken.add("cluster"))) {
                Thread.sleep(700); // the listener connects and LISTENs
                writer.run(tx -> {
                    tx.set(new byte[] {1}, new byte[] {1});
                    return null;
                });
                assertThat(woken.poll(1, java.util.concurrent.TimeUnit.SECONDS)).as("no signal, no wake-up").isNull();
                writer.run(tx -> {
                    tx.set(new byte[] {1}, new byte[] {2});
                    tx.signal("strata_cluster");
                    return null;
                });
                assertThat(woken.poll(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("cluster");
            }
        }
    }
}
