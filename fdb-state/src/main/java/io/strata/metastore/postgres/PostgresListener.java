package io.strata.metastore.postgres;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * PostgreSQL's LISTEN on one dedicated connection (outside the pool: a pooled connection would
 * lose its LISTENs when handed to someone else), on a {@code metastore-listen} thread that waits
 * for notifications and calls the watchers of their channel. A broken connection is reopened
 * after a second; signals sent meanwhile are lost, which watchers tolerate because they poll too.
 */
final class PostgresListener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresListener.class);

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String display;
    private final Map<String, List<Runnable>> watchers = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    /** Channels the current connection listens on; touched only by the listener thread. */
    private final java.util.Set<String> listening = new java.util.HashSet<>();

    PostgresListener(String jdbcUrl, String user, String password, String display) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.display = display;
        this.thread = new Thread(this::run, "metastore-listen");
        thread.setDaemon(true);
        thread.start();
    }

    AutoCloseable add(String channel, Runnable onSignal) {
        watchers.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(onSignal);
        return () -> watchers.getOrDefault(channel, List.of()).remove(onSignal);
    }

    private void run() {
        while (!closed) {
            Properties p = new Properties();
            p.setProperty("user", user);
            if (password != null) {
                p.setProperty("password", password);
            }
            p.setProperty("connectTimeout", "3");
            p.setProperty("tcpKeepAlive", "true");
            try (Connection c = DriverManager.getConnection(jdbcUrl, p)) {
                c.setAutoCommit(true);
                listening.clear();
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    for (String channel : watchers.keySet()) {
                        if (listening.add(channel)) {
                            try (Statement s = c.createStatement()) {
                                s.execute("LISTEN \"" + channel.replace("\"", "") + "\"");
                            }
                        }
                    }
                    PGNotification[] got = pg.getNotifications(500);
                    if (got == null) {
                        continue;
                    }
                    java.util.Set<String> channels = new java.util.HashSet<>();
                    for (PGNotification n : got) {
                        channels.add(n.getName());
                    }
                    for (String channel : channels) {
                        for (Runnable r : watchers.getOrDefault(channel, List.of())) {
                            try {
                                r.run();
                            } catch (RuntimeException e) {
                                log.warn("a watcher of {} failed: {}", channel, e.toString());
                            }
                        }
                    }
                }
            } catch (SQLException e) {
                if (!closed) {
                    log.debug("{}: LISTEN connection lost ({}); reconnecting", display, e.getMessage());
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
