package io.strata.tiering.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What every ObjectStore backend must do; each backend's test supplies a fresh store. */
public abstract class ObjectStoreContract {
    protected ObjectStore store;
    protected String prefix;
    @TempDir
    Path tmp;

    protected abstract ObjectStore open() throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        store = open();
        prefix = "contract-" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putGetHeadAndDelete() throws Exception {
        byte[] data = random(1000, 1);
        store.put(prefix + "a", data).get();
        assertThat(store.get(prefix + "a").get()).isEqualTo(data);
        assertThat(store.head(prefix + "a").get()).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(1000));
        store.delete(prefix + "a").get();
        assertThat(store.head(prefix + "a").get()).isEmpty();
        store.delete(prefix + "a").get();
    }

    @Test
    void rangedReadsReturnExactlyTheRange() throws Exception {
        byte[] data = random(10_000, 2);
        store.put(prefix + "r", data).get();
        byte[] mid = store.getRange(prefix + "r", 1234, 100).get();
        assertThat(mid).isEqualTo(java.util.Arrays.copyOfRange(data, 1234, 1334));
        byte[] tail = store.getRange(prefix + "r", 9_990, 100).get();
        assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(data, 9_990, 10_000));
    }

    @Test
    void aLargeFileUploadsWhole() throws Exception {
        byte[] data = random(20 * 1024 * 1024 + 17, 3);
        Path f = tmp.resolve("big");
        Files.write(f, data);
        store.put(prefix + "big", f).get();
        assertThat(store.head(prefix + "big").get().orElseThrow().size()).isEqualTo(data.length);
        assertThat(store.getRange(prefix + "big", 20 * 1024 * 1024, 17).get())
                .isEqualTo(java.util.Arrays.copyOfRange(data, 20 * 1024 * 1024, data.length));
    }

    @Test
    void listingIsByPrefixInKeyOrder() throws Exception {
        for (String k : List.of("b/2", "a/1", "b/1", "c")) {
            store.put(prefix + k, new byte[] {1}).get();
        }
        assertThat(store.list(prefix + "b/").get()).extracting(ObjectInfo::key).containsExactly(prefix + "b/1", prefix + "b/2");
        assertThat(store.list(prefix).get()).hasSize(4);
    }

    @Test
    void aMissingObjectIsReportedAsSuch() {
        assertThatThrownBy(() -> store.get(prefix + "missing").get())
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ObjectNotFoundException.class);
    }
}
