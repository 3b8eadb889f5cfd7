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
        if (url.startsWith("sqlite:")) {
            return SqliteMetaStore.open(Path.of(url.substring("sqlite:".length())));
        }
        if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
            return PostgresMetaStore.open(url);
        }
        if (url.equals("fdb:") || url.startsWith("fdb:")) {
            return FdbMetaStore.open(url);
        }
        throw new IllegalArgumentException("unsupported metastore URL '" + url
                + "': expected sqlite:/path/to/file.db, postgresql://user@host:port/db or fdb:[/path/to/fdb.cluster]");
    }
}
