package io.strata.metastore.jdbc;

import io.strata.metastore.KeyValue;
import io.strata.metastore.Transaction;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A transaction over one ordered key-value table {@code (k, v)} on a JDBC connection whose
 * transaction the backend opened. Both SQL backends store keys as binary (SQLite BLOB,
 * PostgreSQL bytea), which compare byte by byte: FoundationDB's order. Not thread-safe.
 */
public final class JdbcTransaction implements Transaction {
    private final Connection c;
    private final String table;
    private final boolean notify;

    public JdbcTransaction(Connection c, String table) {
        this(c, table, false);
    }

    /** With {@code notify}, {@link #signal} is PostgreSQL's NOTIFY (delivered at commit). */
    public JdbcTransaction(Connection c, String table, boolean notify) {
        this.c = c;
        this.table = table;
        this.notify = notify;
    }

    @Override
    public void signal(String channel) {
        if (!notify) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
            ps.setString(1, channel);
            ps.execute();
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }

    @Override
    public byte[] get(byte[] key) {
        try (PreparedStatement ps = c.prepareStatement("SELECT v FROM " + table + " WHERE k = ?")) {
            ps.setBytes(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }

    @Override
    public void set(byte[] key, byte[] value) {
        update("INSERT INTO " + table + " (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", key, value);
    }

    @Override
    public void clear(byte[] key) {
        update("DELETE FROM " + table + " WHERE k = ?", key);
    }

    @Override
    public void clearRange(byte[] begin, byte[] end) {
        update("DELETE FROM " + table + " WHERE k >= ? AND k < ?", begin, end);
    }

    @Override
    public List<KeyValue> getRange(byte[] begin, byte[] end, int limit, boolean reverse) {
        String sql = "SELECT k, v FROM " + table + " WHERE k >= ? AND k < ? ORDER BY k " + (reverse ? "DESC" : "ASC")
                + (limit > 0 ? " LIMIT " + limit : "");
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBytes(1, begin);
            ps.setBytes(2, end);
            List<KeyValue> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new KeyValue(rs.getBytes(1), rs.getBytes(2)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }

    private void update(String sql, byte[]... params) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setBytes(i + 1, params[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new SqlFailure(e);
        }
    }
}
