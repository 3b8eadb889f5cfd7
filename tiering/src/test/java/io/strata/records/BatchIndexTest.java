package io.strata.records;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The sparse offset and time indexes both tiers keep: spacing, lookups, and the object layout's round trip. */
class BatchIndexTest {
    /** Batches of 10 offsets and 60 bytes from offset 1000, timestamps rising 100 per batch except where noted. */
    private static BatchIndex tenBatches(int intervalBytes, int timeIntervalBytes) {
        BatchIndex index = new BatchIndex(1000, intervalBytes, timeIntervalBytes);
        for (int b = 0; b < 10; b++) {
            // Batch 5 goes back in time: it raises nothing and gets no time entry.
            long ts = b == 5 ? 50 : 100L * (b + 1);
            index.add(1000 + 10L * b, ts, 60L * b, 60);
        }
        return index;
    }

    @Test
    void offsetEntriesAreOneForTheFirstBatchAndThenOnePerIntervalOfBytes() {
        BatchIndex index = tenBatches(100, 100);
        // Entries at batches 0, 2, 4, 6 and 8 (after 120 bytes each): 8-byte entries in the object layout.
        assertThat(index.offsetEntries().remaining()).isEqualTo(5 * 8);
        assertThat(index.positionFloor(1000)).isZero();
        assertThat(index.positionFloor(1019)).isZero();
        assertThat(index.positionFloor(1020)).isEqualTo(120);
        assertThat(index.positionFloor(1039)).isEqualTo(120);
        assertThat(index.positionFloor(1099)).isEqualTo(480);
        assertThat(index.positionFloor(999)).as("below the base: scan from the start").isZero();
    }

    @Test
    void aTimestampScanStartsAtTheEntryBeforeTheFirstThatReachesIt() {
        BatchIndex index = tenBatches(100, 100);
        // Time entries at batches 0 (100), 2 (300), 4 (500), 6 (700: batch 5 raised nothing) and 8 (900); batch 9 (1000) has none.
        assertThat(index.timeEntries().remaining()).isEqualTo(5 * 12);
        assertThat(index.scanStartForTimestamp(0)).isEqualTo(1000);
        assertThat(index.scanStartForTimestamp(100)).isEqualTo(1000);
        assertThat(index.scanStartForTimestamp(250)).as("batch 1 (200) may already reach it").isEqualTo(1000);
        assertThat(index.scanStartForTimestamp(600)).as("from batch 4, the entry before batch 6's").isEqualTo(1040);
        assertThat(index.scanStartForTimestamp(1000)).as("past the last entry: from it").isEqualTo(1080);
        assertThat(index.scanStartForTimestamp(1001)).as("nothing reaches it").isEqualTo(-1);
    }

    @Test
    void aBatchPastTheLastTimeEntryIsFoundFromThatEntry() {
        BatchIndex index = new BatchIndex(0, 1 << 20, 1 << 20);
        index.add(0, 100, 0, 60);
        index.add(10, 200, 60, 60); // no entry: the interval has not passed
        assertThat(index.scanStartForTimestamp(150)).isZero();
        assertThat(index.scanStartForTimestamp(201)).isEqualTo(-1);
    }

    @Test
    void anObjectsIndexRegionReadsBackToTheSameAnswers() {
        BatchIndex built = tenBatches(100, 0);
        BatchIndex read = BatchIndex.read(1000, built.offsetEntries(), built.timeEntries());
        for (long offset = 990; offset < 1110; offset++) {
            assertThat(read.positionFloor(offset)).as("offset " + offset).isEqualTo(built.positionFloor(offset));
        }
        for (long ts = 0; ts < 1100; ts += 25) {
            assertThat(read.scanStartForTimestamp(ts)).as("timestamp " + ts).isEqualTo(built.scanStartForTimestamp(ts));
        }
    }

    @Test
    void clearForgetsEveryEntry() {
        BatchIndex index = tenBatches(100, 100);
        index.clear();
        assertThat(index.offsetEntries().remaining()).isZero();
        assertThat(index.scanStartForTimestamp(0)).isEqualTo(-1);
        index.add(1000, 7, 0, 60);
        assertThat(index.scanStartForTimestamp(7)).isEqualTo(1000);
    }
}
