package io.strata.metastore.sqlite;

import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreContract;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SqliteMetaStoreTest extends MetaStoreContract {
    @TempDir
    Path dir;

    @Override
    protected MetaStore openStore() {
        return SqliteMetaStore.open(dir.resolve("meta.db"));
    }

    @Override
    protected String url() {
        return "sqlite:" + dir.resolve("meta.db");
    }

    @Test
    void committedDataSurvivesReopening() {
        store.run(tx -> {
            tx.set(new byte[] {1, 2}, "kept".getBytes(StandardCharsets.UTF_8));
            return null;
        });
        store.close();
        store = SqliteMetaStore.open(dir.resolve("meta.db"));
        assertThat(read(new byte[] {1, 2})).asString(StandardCharsets.UTF_8).isEqualTo("kept");
    }

    @Test
    void twoHandlesOnOneFileSeeEachOthersCommits() {
        try (MetaStore other = SqliteMetaStore.open(dir.resolve("meta.db"))) {
            other.run(tx -> {
                tx.set(new byte[] {9}, new byte[] {42});
                return null;
            });
            assertThat(read(new byte[] {9})).containsExactly(42);
        }
    }
}
