package io.strata.ingest.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leader epochs in the log: batches stamped with the epoch of the replica that appended them,
 * the epoch cache rebuilt from the log, OffsetForLeaderEpoch answers, and the truncation that
 * makes a diverged replica identical to its new leader (KIP-101/KIP-279).
 */
class LeaderEpochTest {
    @TempDir
    Path dir;
    long now = 1_000_000;

    private static LogConfig config() {
        LogConfig d = LogConfig.defaults();
        return new LogConfig(4096, d.segmentMs(), d.retentionMs(), d.retentionBytes(), 1_000_000, 256, false);
    }

    private PartitionLog open(String name) {
        return PartitionLog.open(dir.resolve(name), name, config(), now);
    }

    private ByteBuffer batch(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(now, null, value.getBytes())).buffer();
    }

    private ByteBuffer idempotent(long pid, int seq, String value) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, pid, (short) 0, seq, new SimpleRecord(now, null, value.getBytes())).buffer();
    }

    /** What a follower's replica fetch does: copy the leader's batches from the follower's log end. */
    private void replicate(PartitionLog leader, PartitionLog follower) {
        while (follower.logEndOffset() < leader.logEndOffset()) {
            follower.appendAsFollower(leader.readForReplica(follower.logEndOffset(), 1 << 20).records(), now);
        }
    }

    /** OffsetForLeaderEpoch rounds as a follower runs them, then the cut. */
    private static void truncateAgainst(PartitionLog follower, PartitionLog leader) {
        int asked = follower.latestEpoch();
        for (int round = 0; round < 10; round++) {
            LeaderEpochCache.EpochEnd theirs = leader.endOffsetForEpoch(asked);
            LeaderEpochCache.EpochEnd mine = follower.endOffsetForEpoch(theirs.epoch());
            if (theirs.epoch() == mine.epoch() || theirs.epoch() < 0) {
                follower.truncateTo(theirs.epoch() < 0 ? follower.highWatermark() : Math.min(theirs.endOffset(), mine.endOffset()));
                return;
            }
            asked = mine.epoch();
        }
    }

    private static List<Integer> epochsOfBatches(PartitionLog log) {
        List<Integer> out = new ArrayList<>();
        ByteBuffer all = log.readForReplica(log.logStartOffset(), 1 << 24).records();
        for (RecordBatch b : MemoryRecords.readableRecords(all).batches()) {
            out.add(b.partitionLeaderEpoch());
        }
        return out;
    }

    private static byte[] bytes(PartitionLog log) {
        ByteBuffer all = log.readForReplica(log.logStartOffset(), 1 << 24).records();
        byte[] out = new byte[all.remaining()];
        all.get(out);
        return out;
    }

    @Test
    void theCacheAnswersAsKafkasDoes() {
        LeaderEpochCache c = new LeaderEpochCache();
        assertThat(c.endOffsetFor(0, 10)).isEqualTo(new LeaderEpochCache.EpochEnd(-1, -1));
        c.assign(1, 0);
        c.assign(3, 10);
        c.assign(3, 12); // the same epoch again: no new entry
        c.assign(2, 11); // older than the newest: ignored
        c.assign(5, 20);
        assertThat(c.entries()).extracting(LeaderEpochCache.Entry::epoch).containsExactly(1, 3, 5);
        assertThat(c.endOffsetFor(5, 30)).isEqualTo(new LeaderEpochCache.EpochEnd(5, 30));
        assertThat(c.endOffsetFor(3, 30)).isEqualTo(new LeaderEpochCache.EpochEnd(3, 20));
        assertThat(c.endOffsetFor(4, 30)).as("an epoch this log never had: the largest below it").isEqualTo(new LeaderEpochCache.EpochEnd(3, 20));
        assertThat(c.endOffsetFor(0, 30)).as("older than every epoch: where the first starts").isEqualTo(new LeaderEpochCache.EpochEnd(0, 0));
        assertThat(c.endOffsetFor(6, 30)).isEqualTo(new LeaderEpochCache.EpochEnd(-1, -1));
        c.truncateFromEnd(20);
        assertThat(c.latestEpoch()).isEqualTo(3);
        c.truncateFromStart(15);
        assertThat(c.entries()).containsExactly(new LeaderEpochCache.Entry(3, 15));
    }

    @Test
    void batchesCarryTheLeadersEpochAndTheCacheIsRebuiltFromTheLog() {
        PartitionLog log = open("a");
        log.append(batch("e0"), now);
        log.becomeLeader(4);
        log.append(batch("e4-a"), now);
        log.append(batch("e4-b"), now);
        log.becomeLeader(7);
        log.append(batch("e7"), now);
        assertThat(epochsOfBatches(log)).containsExactly(0, 4, 4, 7);
        log.close();
        PartitionLog reopened = open("a");
        assertThat(reopened.epochEntries()).containsExactly(new LeaderEpochCache.Entry(0, 0), new LeaderEpochCache.Entry(4, 1),
                new LeaderEpochCache.Entry(7, 3));
        assertThat(reopened.endOffsetForEpoch(4)).isEqualTo(new LeaderEpochCache.EpochEnd(4, 3));
        reopened.close();
    }

    @Test
    void aFollowerRefusesClientAppendsAndReadsBetweenWatermarkAndEndAreEmpty() {
        PartitionLog log = open("a");
        log.setReplicated(true);
        log.append(batch("x"), now);
        assertThat(log.highWatermark()).isZero();
        assertThat(log.read(1, 1 << 20).records().remaining()).as("past the watermark, inside the log: nothing yet, not out of range").isZero();
        log.becomeFollower(3);
        AppendResult r = log.append(batch("y"), now);
        assertThat(r.error()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
        assertThat(log.logEndOffset()).isEqualTo(1);
        log.close();
    }

    @Test
    void aDivergedReplicaTruncatesToWhereItsNewLeaderDiffersAndThenMatchesItByteForByte() throws Exception {
        PartitionLog a = open("a");
        PartitionLog b = open("b");
        b.becomeFollower(0);
        for (int i = 0; i < 5; i++) {
            a.append(idempotent(9, i, "shared-" + i), now);
        }
        replicate(a, b);
        // a (epoch 0) writes five more that never reach b; then b leads in epoch 1.
        for (int i = 5; i < 10; i++) {
            a.append(idempotent(9, i, "lost-" + i), now);
        }
        b.becomeLeader(1);
        for (int i = 5; i < 8; i++) {
            b.append(idempotent(9, i, "new-" + i), now);
        }
        // a returns as a follower in epoch 1 and finds the fork through the epochs.
        a.becomeFollower(1);
        assertThat(b.endOffsetForEpoch(0)).isEqualTo(new LeaderEpochCache.EpochEnd(0, 5));
        truncateAgainst(a, b);
        assertThat(a.logEndOffset()).isEqualTo(5);
        replicate(b, a);
        assertThat(bytes(a)).isEqualTo(bytes(b));
        assertThat(a.epochEntries()).isEqualTo(b.epochEntries());

        // Producer state followed the cut: sequence 8 is the next one, on both.
        b.becomeFollower(2);
        a.becomeLeader(2);
        AppendResult dup = a.append(idempotent(9, 7, "new-7"), now);
        assertThat(dup.baseOffset()).as("a retry of b's last batch is a duplicate on a").isEqualTo(7);
        assertThat(a.append(idempotent(9, 8, "next"), now).error()).isEqualTo(Errors.NONE);
        a.close();
        b.close();
    }

    @Test
    void fastSuccessiveFailoversConvergeThroughSeveralRounds() {
        // a: epochs 0 then 2 (never replicated); b: epochs 0, 1, 3. The fork is at the end of epoch 0 on both.
        PartitionLog a = open("a");
        PartitionLog b = open("b");
        b.becomeFollower(0);
        a.append(batch("shared"), now);
        replicate(a, b);
        b.becomeLeader(1);
        b.append(batch("b1"), now);
        a.becomeLeader(2);
        a.append(batch("a2-x"), now);
        a.append(batch("a2-y"), now);
        b.becomeLeader(3);
        b.append(batch("b3"), now);
        a.becomeFollower(3);
        truncateAgainst(a, b);
        assertThat(a.logEndOffset()).isEqualTo(1);
        replicate(b, a);
        assertThat(bytes(a)).isEqualTo(bytes(b));
        a.close();
        b.close();
    }

    @Test
    void truncationDropsWholeSegmentsAndSurvivesAReopen() throws Exception {
        PartitionLog a = open("a");
        for (int i = 0; i < 200; i++) {
            a.append(batch("record-" + i), now);
        }
        assertThat(a.segmentCount()).isGreaterThan(2);
        a.truncateTo(37);
        assertThat(a.logEndOffset()).isEqualTo(37);
        a.append(batch("after"), now);
        a.close();
        PartitionLog again = open("a");
        assertThat(again.logEndOffset()).isEqualTo(38);
        try (var files = Files.list(dir.resolve("a"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".log")).count()).isEqualTo(again.segmentCount());
        }
        again.close();
    }
}
