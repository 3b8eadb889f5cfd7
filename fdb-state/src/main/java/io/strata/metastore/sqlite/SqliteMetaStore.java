package io.strata.metastore.sqlite;

import io.strata.metastore.jdbc.JdbcTransaction;
import io.strata.metastore.jdbc.SqlFailure;

import io.strata.metastore.ConflictException;
import io.strata.metastore.KeyValue;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreException;
import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.Transaction;
import io.strata.metastore.TransactionRunner;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The embedded single-node MetaStore: one SQLite file holding one ordered table
 * {@code kv(k BLOB PRIMARY KEY, v BLOB)}. SQLite compares BLOBs with memcmp, which is the
 * unsigned byte order FoundationDB uses, so range reads match the other backends.
 *
 * <p>Each transaction is {@code BEGIN IMMEDIATE}: it takes the database write lock up front,
 * which makes every transaction serializable. Within this process a lock serialises
 * transactions on the one connection; another process holding the file lock shows up as
 * {@code SQLITE_BUSY}, which is retried as a conflict. WAL journal with
 * {@code synchronous=FULL}: a committed transaction survives power loss.
 */
public final class SqliteMetaStore implements MetaStore {
    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private final TransactionRunner runner = new TransactionRunner(50, 200);
    private final ExecutorService executor;

    private SqliteMetaStore(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metastore-sqlite");
            t.setDaemon(true);
            return t;
        });
    }

    public static SqliteMetaStore open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
                c.setAutoCommit(true);
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            return new SqliteMetaStore(file, c);
        } catch (SQLException | IOException e) {
            throw new MetaStoreUnavailableException("cannot open SQLite metastore at " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T run(Function<Transaction, T> work) {
        return runner.run(describe(), () -> attempt(work));
    }

    @Override
    public <T> CompletableFuture<T> runAsync(Function<Transaction, T> work) {
        return CompletableFuture.supplyAsync(() -> run(work), executor);
    }

    private <T> T attempt(Function<Transaction, T> work) {
        lock.lock();
        try {
            exec("BEGIN IMMEDIATE");
            boolean committed = false;
            try {
                T result = work.apply(new JdbcTransaction(connection, "kv"));
                exec("COMMIT");
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    rollbackQuietly();
                }
            }
        } catch (SqlFailure e) {
            throw translate(e.getCause());
        } finally {
            lock.unlock();
        }
    }

    private RuntimeException translate(SQLException e) {
        if (e instanceof SQLiteException se) {
            SQLiteErrorCode code = se.getResultCode();
            if (code == SQLiteErrorCode.SQLITE_BUSY || code == SQLiteErrorCode.SQLITE_LOCKED
                    || code == SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT) {
                return new ConflictException("database is busy", e);
            }
            if (code == SQLiteErrorCode.SQLITE_CANTOPEN || code == SQLiteErrorCode.SQLITE_IOERR
                    || code == SQLiteErrorCode.SQLITE_FULL) {
                return new MetaStoreUnavailableException(describe() + ": " + e.getMessage(), e);
            }
        }
        return new MetaStoreException(describe() + ": " + e.getMessage(), e);
    }

    private void exec(String sql) {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }

    private void rollbackQuietly() {
        try (Statement s = connection.createStatement()) {
            s.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // No transaction open (BEGIN itself failed): nothing to undo.
        }
    }

    @Override
    public long conflicts() {
        return runner.conflicts();
    }

    @Override
    public String describe() {
        return "sqlite:" + file;
    }

    @Override
    public void close() {
        executor.shutdown();
        lock.lock();
        try {
            connection.close();
        } catch (SQLException e) {
            throw new MetaStoreException("closing " + describe(), e);
        } finally {
            lock.unlock();
        }
    }
}
