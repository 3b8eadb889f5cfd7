package io.strata.metastore.postgres;

import io.strata.metastore.jdbc.JdbcTransaction;
import io.strata.metastore.jdbc.SqlFailure;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.strata.metastore.ConflictException;
import io.strata.metastore.KeyValue;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreException;
import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.Transaction;
import io.strata.metastore.TransactionRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The shared MetaStore that runs anywhere: one ordered table {@code strata_kv(k bytea, v bytea)}
 * (bytea compares byte by byte, FoundationDB's order) in SERIALIZABLE transactions through a
 * HikariCP pool. Serialization failures (40001), deadlocks (40P01) and lock waits cut short (55P03:
 * a transaction stalled elsewhere holds the row; the server ends such transactions after 2 s idle)
 * are retried with backoff;
 * a server that cannot be reached fails fast with {@link MetaStoreUnavailableException}.
 * The schema is created, or migrated, at start-up; {@code strata_schema} records its version.
 */
public final class PostgresMetaStore implements MetaStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresMetaStore.class);
    static final int SCHEMA_VERSION = 1;
    /** Any constant shared by every Strata version: the key of the advisory lock migrations take turns under. */
    private static final long MIGRATION_LOCK = 0x5374726174614d4cL; // "StrataML"

    private final HikariDataSource pool;
    private final String display;
    private final TransactionRunner runner = new TransactionRunner(100, 500);
    private final ExecutorService executor;

    private final String jdbcUrl;
    private final String user;
    private final String password;

    private PostgresMetaStore(HikariDataSource pool, String display, String jdbcUrl, String user, String password) {
        this.pool = pool;
        this.display = display;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "metastore-postgres-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public static PostgresMetaStore open(String url) {
        return open(url, io.strata.metastore.StartupWait.none());
    }

    /** As {@link #open(String)}, its schema check tried again as {@code wait} says while the server cannot be reached. */
    public static PostgresMetaStore open(String url, io.strata.metastore.StartupWait wait) {
        PostgresUrl u = PostgresUrl.parse(url, System.getenv());
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(u.jdbcUrl());
        cfg.setUsername(u.user());
        if (u.password() != null) {
            cfg.setPassword(u.password());
        }
        cfg.setMaximumPoolSize(8);
        cfg.setMinimumIdle(1);
        cfg.setConnectionTimeout(3000);
        cfg.setValidationTimeout(2000);
        // Start even when the server is down (an outage at boot is the same as one later).
        cfg.setInitializationFailTimeout(-1);
        cfg.setAutoCommit(false);
        cfg.setTransactionIsolation("TRANSACTION_SERIALIZABLE");
        cfg.setPoolName("strata-metastore");
        cfg.addDataSourceProperty("connectTimeout", "3");
        cfg.addDataSourceProperty("socketTimeout", "10");
        cfg.addDataSourceProperty("tcpKeepAlive", "true");
        // A node paused or cut off inside a transaction must not hold its row locks for the others until its
        // socket times out: the server ends a transaction idle for 2 s, and a lock wait gives up after 2 s
        // (FoundationDB's transactions cannot outlive 5 s at all).
        cfg.addDataSourceProperty("options", "-c idle_in_transaction_session_timeout=2000 -c lock_timeout=2000");
        HikariDataSource pool = new HikariDataSource(cfg);
        PostgresMetaStore store = new PostgresMetaStore(pool, u.display(), u.jdbcUrl(), u.user(), u.password());
        try {
            // One pool for every attempt: it was built to start with the server down.
            wait.attempt(() -> {
                store.migrate();
                return null;
            });
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    private void migrate() {
        runner.run(display, () -> withConnection(c -> {
            try (Statement s = c.createStatement()) {
                // Nodes of a new cluster start together: CREATE TABLE IF NOT EXISTS is not safe against
                // itself (both see no table, one fails on the catalog's unique index), so migrations
                // take turns under a lock that ends with this transaction.
                s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
                s.execute("CREATE TABLE IF NOT EXISTS strata_schema (version integer NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS strata_kv (k bytea PRIMARY KEY, v bytea NOT NULL)");
                try (ResultSet rs = s.executeQuery("SELECT max(version) FROM strata_schema")) {
                    rs.next();
                    int current = rs.getInt(1);
                    if (current > SCHEMA_VERSION) {
                        throw new MetaStoreException(display + " has schema version " + current
                                + ", newer than this Strata understands (" + SCHEMA_VERSION + ")");
                    }
                    if (current < SCHEMA_VERSION) {
                        s.execute("INSERT INTO strata_schema (version) VALUES (" + SCHEMA_VERSION + ")");
                        log.info("{}: schema at version {}", display, SCHEMA_VERSION);
                    }
                }
            }
            return null;
        }));
    }

    @Override
    public <T> T run(Function<Transaction, T> work) {
        return runner.run(display, () -> withConnection(c -> work.apply(new JdbcTransaction(c, "strata_kv", true))));
    }

    @Override
    public <T> CompletableFuture<T> runAsync(Function<Transaction, T> work) {
        return CompletableFuture.supplyAsync(() -> run(work), executor);
    }

    @Override
    public AutoCloseable watch(String channel, Runnable onSignal) {
        return listener().add(channel, onSignal);
    }

    private PostgresListener listener;

    private synchronized PostgresListener listener() {
        if (listener == null) {
            listener = new PostgresListener(jdbcUrl, user, password, display);
        }
        return listener;
    }

    private interface SqlWork<T> {
        T apply(Connection c) throws SQLException;
    }

    private <T> T withConnection(SqlWork<T> work) {
        Connection c;
        try {
            c = pool.getConnection();
        } catch (SQLException e) {
            throw noConnection(e);
        }
        try (c) {
            boolean committed = false;
            try {
                T result = work.apply(c);
                c.commit();
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    rollbackQuietly(c);
                }
            }
        } catch (SqlFailure e) {
            throw translate(e.getCause());
        } catch (SQLException e) {
            throw translate(e);
        }
    }

    /**
     * Why the pool had no connection to give: the server refused this node (its credentials, its
     * database: SQLSTATE class 28 and 3D000, which the pool's timeout carries from its last attempt;
     * 08004, the driver's for a password asked and not given, or TLS the server lacks), which no
     * retry mends; else the server is out of reach.
     */
    private RuntimeException noConnection(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
        if (state.startsWith("28") || state.equals("3D000") || state.equals("08004")) {
            return new MetaStoreException(display + " refused the connection: " + why, e);
        }
        return new MetaStoreUnavailableException(display + " is unreachable: " + e.getMessage(), e);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; the pool discards it.
        }
    }

    private RuntimeException translate(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("40001") || state.equals("40P01")) {
            return new ConflictException("serialization conflict", e);
        }
        if (state.equals("55P03") || state.equals("25P03")) {
            // A lock held by a stalled client's transaction, or our own transaction stalled too long: retried.
            return new ConflictException("lock wait ended: " + e.getMessage(), e);
        }
        if (state.startsWith("08") || state.startsWith("57P") || e instanceof SQLTransientConnectionException) {
            return new MetaStoreUnavailableException(display + " is unreachable: " + e.getMessage(), e);
        }
        return new MetaStoreException(display + ": " + e.getMessage(), e);
    }

    @Override
    public long conflicts() {
        return runner.conflicts();
    }

    @Override
    public String describe() {
        return display;
    }

    @Override
    public void close() {
        executor.shutdown();
        synchronized (this) {
            if (listener != null) {
                listener.close();
            }
        }
        pool.close();
    }
}
