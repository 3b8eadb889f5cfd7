package io.strata.metastore;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StartupWaitTest {
    @Test
    void anUnreachableStoreIsTriedAgainUntilItAnswers() {
        AtomicInteger attempts = new AtomicInteger();
        String answer = new StartupWait(10_000).attempt(() -> {
            if (attempts.incrementAndGet() < 3) {
                throw new MetaStoreUnavailableException("pg is unreachable", null);
            }
            return "cluster-id";
        });
        assertThat(answer).isEqualTo("cluster-id");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void anyOtherFailureEndsStartUpAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> new StartupWait(10_000).attempt(() -> {
            attempts.incrementAndGet();
            throw new MetaStoreException("pg has schema version 9, newer than this Strata understands", null);
        })).isExactlyInstanceOf(MetaStoreException.class).hasMessageContaining("schema version 9");
        assertThat(attempts).hasValue(1);
    }

    @Test
    void pastTheTimeoutTheLastFailureIsThrownNamingTheSetting() {
        AtomicInteger attempts = new AtomicInteger();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new StartupWait(500).attempt(() -> {
            attempts.incrementAndGet();
            throw new MetaStoreUnavailableException("pg is unreachable", null);
        })).isInstanceOf(MetaStoreUnavailableException.class)
                .hasMessage("pg is unreachable (waited metastore.startup.timeout.ms = 500 ms)");
        assertThat(attempts.get()).isGreaterThan(1);
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(250L, 5_000L);
    }
}
