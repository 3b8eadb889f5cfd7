package io.strata.metastore;

import io.strata.metastore.sqlite.SqliteMetaStore;

import java.nio.file.Path;

/** Opens a MetaStore from its URL: {@code sqlite:/path/to/file.db}. */
public final class MetaStores {
    private MetaStores() {
    }

    public static MetaStore open(String url) {
        if (url.startsWith("sqlite:")) {
            return SqliteMetaStore.open(Path.of(url.substring("sqlite:".length())));
        }
        throw new IllegalArgumentException("unsupported metastore URL '" + url
                + "': expected sqlite:/path/to/file.db");
    }
}
