package io.strata.metastore;

import io.strata.metastore.fdb.FdbMetaStore;
import io.strata.metastore.postgres.PostgresMetaStore;
import io.strata.metastore.sqlite.SqliteMetaStore;

import java.nio.file.Path;

/**
 * Opens a MetaStore from its URL: {@code sqlite:/path/to/file.db},
 * {@code postgresql://user@host:port/db} (or {@code postgres://}), {@code fdb:} or
 * {@code fdb:/path/to/fdb.cluster}.
 */
public final class MetaStores {
    private MetaStores() {
    }

    public static MetaStore open(String url) {
        return open(url, StartupWait.none());
    }

    /**
     * As {@link #open(String)}; a PostgreSQL or FoundationDB store that cannot be reached is tried
     * again as {@code wait} says (an embedded SQLite file is never unreachable: it opens or fails).
     */
    public static MetaStore open(String url, StartupWait wait) {
        if (url.startsWith("sqlite:")) {
            return SqliteMetaStore.open(Path.of(url.substring("sqlite:".length())));
        }
        if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
            return PostgresMetaStore.open(url, wait);
        }
        if (url.equals("fdb:") || url.startsWith("fdb:")) {
            return FdbMetaStore.open(url, wait);
        }
        throw new IllegalArgumentException("unsupported metastore URL '" + url
                + "': expected sqlite:/path/to/file.db, postgresql://user@host:port/db or fdb:[/path/to/fdb.cluster]");
    }
}
