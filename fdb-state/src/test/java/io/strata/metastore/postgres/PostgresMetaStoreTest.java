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
    void nodesStartingTogetherOnAFreshDatabaseAllCreateOrFindTheSchema() throws Exception {
        // Three nodes of a new cluster start at once: CREATE TABLE IF NOT EXISTS alone is not safe
        // against itself in PostgreSQL (both pass the check, one fails on the catalog's unique index).
        for (int round = 0; round < 5; round++) {
            String db = server.newDatabase("together");
            int nodes = 6;
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(nodes);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(nodes);
            try {
                java.util.List<java.util.concurrent.Future<MetaStore>> opened = new java.util.ArrayList<>();
                for (int i = 0; i < nodes; i++) {
                    opened.add(pool.submit(() -> {
                        start.await();
                        return PostgresMetaStore.open(db);
                    }));
                }
                for (java.util.concurrent.Future<MetaStore> f : opened) {
                    try (MetaStore store = f.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                        byte[] none = store.run(tx -> tx.get(new byte[] {9}));
                        assertThat(none).isNull();
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
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
