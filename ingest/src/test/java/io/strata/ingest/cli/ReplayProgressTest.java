package io.strata.ingest.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplayProgressTest {
    @Test
    void showsABarThePercentageTheCountsThroughputAndTimeLeft() {
        String line = ReplayProgress.render(250_000, 1_000_000, 50_000_000, 10, 20);
        assertThat(line).startsWith("[#####...............]  25%")
                .contains("250,000 of 1,000,000 records").contains("5.0 MB/s").contains("ETA 30s");
    }

    @Test
    void longEtasReadAsMinutesAndHoursAndTheEndIsFull() {
        assertThat(ReplayProgress.render(1, 10_000, 0, 1, 10)).contains("ETA 2h46m");
        assertThat(ReplayProgress.render(100, 10_000, 0, 1, 10)).contains("ETA 1m39s");
        assertThat(ReplayProgress.render(10, 10, 100, 1, 10)).startsWith("[##########] 100%").contains("ETA 0s");
        assertThat(ReplayProgress.render(0, 0, 0, 0, 4)).as("an empty range is complete").startsWith("[####] 100%");
        assertThat(ReplayProgress.render(0, 50, 0, 1, 4)).startsWith("[....]   0%").contains("ETA ?");
    }
}
