package io.strata.tiering.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalObjectStoreTest extends ObjectStoreContract {
    @TempDir
    Path root;

    @Override
    protected ObjectStore open() {
        return ObjectStores.open("file:" + root);
    }

    @Test
    void keysCannotEscapeTheRoot() {
        assertThatThrownBy(() -> store.put("../outside", new byte[1]).get()).hasCauseInstanceOf(IllegalArgumentException.class);
    }
}
