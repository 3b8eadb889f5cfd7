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
        BatchIndex index = new BatchIndex(1000, 100, 100);
        index.add(1000, 100, 0, 60);   // entry (100, 0)
        index.add(1010, 150, 60, 60);  // none: 60 bytes since the last
        index.add(1020, 200, 120, 60); // entry (200, 20)
        index.add(1030, 300, 180, 60); // none: the largest timestamp, 300, is past the last entry
        assertThat(index.scanStartForTimestamp(250)).as("from the last entry, not the base").isEqualTo(1020);
        assertThat(index.scanStartForTimestamp(301)).isEqualTo(-1);
    }

    @Test
    void theObjectLayoutIsBigEndianIntIntAndLongInt() {
        BatchIndex index = new BatchIndex(100, 100, 0);
        index.add(100, 5, 0, 60);
        index.add(110, 7, 60, 60);
        index.add(120, 6, 120, 60);
        // Objects already in buckets hold exactly these bytes: the layout may not move.
        assertThat(hex(index.offsetEntries())).isEqualTo("00000000" + "00000000" + "00000014" + "00000078");
        assertThat(hex(index.timeEntries())).isEqualTo("0000000000000005" + "00000000" + "0000000000000007" + "0000000a");
        BatchIndex read = BatchIndex.read(100, java.nio.ByteBuffer.wrap(unhex("00000000" + "00000000" + "00000014" + "00000078")),
                java.nio.ByteBuffer.wrap(unhex("0000000000000005" + "00000000" + "0000000000000007" + "0000000a")));
        assertThat(read.positionFloor(125)).isEqualTo(120);
        assertThat(read.positionFloor(119)).isZero();
        assertThat(read.scanStartForTimestamp(6)).isEqualTo(100);
        assertThat(read.scanStartForTimestamp(8)).isEqualTo(-1);
    }

    private static String hex(java.nio.ByteBuffer b) {
        StringBuilder out = new StringBuilder();
        while (b.hasRemaining()) {
            out.append(String.format("%02x", b.get()));
        }
        return out.toString();
    }

    private static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
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
