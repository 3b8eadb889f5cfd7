package io.strata.metastore;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StartupWaitTest {
    @Test
    void anUnreachableStoreIsTriedAgainUntilItAnswers() {
        AtomicInteger attempts = new AtomicInteger();
        String answer = new StartupWait(10_000, () -> false).attempt(() -> {
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
        assertThatThrownBy(() -> new StartupWait(10_000, () -> false).attempt(() -> {
            attempts.incrementAndGet();
            throw new MetaStoreException("pg has schema version 9, newer than this Strata understands", null);
        })).isExactlyInstanceOf(MetaStoreException.class).hasMessageContaining("schema version 9");
        assertThat(attempts).hasValue(1);
    }

    @Test
    void pastTheTimeoutTheLastFailureIsThrownNamingTheSetting() {
        AtomicInteger attempts = new AtomicInteger();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new StartupWait(500, () -> false).attempt(() -> {
            attempts.incrementAndGet();
            throw new MetaStoreUnavailableException("pg is unreachable", null);
        })).isInstanceOf(MetaStoreUnavailableException.class)
                .hasMessage("pg is unreachable (waited metastore.startup.timeout.ms = 500 ms)");
        assertThat(attempts.get()).isGreaterThanOrEqualTo(2);
        // It waits out the whole timeout, not less: the last sleep is cut to the time left.
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(500L, 5_000L);
    }

    @Test
    void aStopAskedForEndsTheWaitWithinItsSleep() throws Exception {
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicInteger attempts = new AtomicInteger();
        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            stopping.set(true);
        });
        stopper.start();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> new StartupWait(60_000, stopping::get).attempt(() -> {
            attempts.incrementAndGet();
            throw new MetaStoreUnavailableException("pg is unreachable", null);
        })).isInstanceOf(StartupStoppedException.class).hasMessageStartingWith("start-up stopped while waiting for the metastore");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000L);
        stopper.join();
    }

    @Test
    void noWaitThrowsTheFirstFailureAsItIs() {
        MetaStoreUnavailableException down = new MetaStoreUnavailableException("pg is unreachable", null);
        assertThatThrownBy(() -> StartupWait.none().attempt(() -> {
            throw down;
        })).isSameAs(down);
    }

    @Test
    void aTimeoutTooLongToCountInNanosecondsWaitsRatherThanFailingAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        String answer = new StartupWait(Long.MAX_VALUE, () -> false).attempt(() -> {
            if (attempts.incrementAndGet() < 2) {
                throw new MetaStoreUnavailableException("pg is unreachable", null);
            }
            return "up";
        });
        assertThat(answer).isEqualTo("up");
    }
}
