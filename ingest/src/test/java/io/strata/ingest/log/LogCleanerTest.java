package io.strata.ingest.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The log cleaner (cleanup.policy=compact) on real partition logs: the latest record of each key
 * stays at its original offset, nothing else changes, tombstones go a pass after
 * delete.retention.ms, records without keys are refused, a crash mid-swap is finished at open,
 * and a follower copying a cleaned leader keeps its gaps.
 */
class LogCleanerTest {
    @TempDir
    Path dir;
    long now = 1_000_000_000L;

    private static LogConfig compacted(int segmentBytes, long deleteRetentionMs) {
        LogConfig d = LogConfig.defaults();
        return new LogConfig(segmentBytes, d.segmentMs(), d.retentionMs(), d.retentionBytes(), 1_000_000, 256, false)
                .withCompaction(new LogConfig.Compaction(true, false, deleteRetentionMs, 0.0, 0, Long.MAX_VALUE));
    }

    private ByteBuffer keyed(String key, String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(now, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8))).buffer();
    }

    /** offset -> key=value (value "null" for a tombstone), everything below the high watermark. */
    private static Map<Long, String> contents(PartitionLog log) {
        Map<Long, String> out = new TreeMap<>();
        long offset = log.logStartOffset();
        while (offset < log.highWatermark()) {
            ByteBuffer bytes = log.read(offset, 1 << 20).records();
            if (!bytes.hasRemaining()) {
                break;
            }
            for (RecordBatch b : MemoryRecords.readableRecords(bytes).batches()) {
                for (Record r : b) {
                    if (r.offset() >= offset) {
                        out.put(r.offset(), text(r.key()) + "=" + (r.hasValue() ? text(r.value()) : "null"));
                    }
                }
                offset = b.lastOffset() + 1;
            }
        }
        return out;
    }

    private static String text(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    private static Map<String, Long> newestByKey(Map<Long, String> contents) {
        Map<String, Long> out = new HashMap<>();
        contents.forEach((o, kv) -> out.merge(kv.substring(0, kv.indexOf('=')), o, Math::max));
        return out;
    }

    private PartitionLog open(Path d, LogConfig config) {
        return PartitionLog.open(d, "compacted-0", config, now);
    }

    @Test
    void keepsTheNewestRecordOfEachKeyAtItsOffsetAndTombstonesUntilTheirHorizon() {
        PartitionLog log = open(dir.resolve("p"), compacted(400, 60_000));
        for (int i = 0; i < 60; i++) {
            assertThat(log.append(keyed("k" + (i % 5), "v" + i), now).ok()).isTrue();
        }
        log.append(keyed("k4", null), now);
        for (int i = 0; i < 12; i++) {
            log.append(keyed("k" + (i % 4), "w" + i), now);
        }
        Map<Long, String> before = contents(log);
        long end = log.logEndOffset();

        LogCleaner.Result r = LogCleaner.cleanIfDue(log, now).orElseThrow();
        Map<Long, String> after = contents(log);
        assertThat(r.segmentsRewritten()).isPositive();
        assertThat(r.recordsRemoved()).isPositive();
        assertThat(after.size()).isLessThan(before.size());
        after.forEach((offset, kv) -> assertThat(before.get(offset)).as("offset %d is what was written there", offset).isEqualTo(kv));
        assertThat(newestByKey(after)).as("the newest record of every key stays").isEqualTo(newestByKey(before));
        Map<String, Integer> cleanedCopies = new HashMap<>();
        after.forEach((offset, kv) -> {
            if (offset < r.cleanedTo()) {
                cleanedCopies.merge(kv.substring(0, kv.indexOf('=')), 1, Integer::sum);
            }
        });
        assertThat(cleanedCopies.values()).as("one record per key in the cleaned part").allMatch(n -> n == 1);
        assertThat(after).as("the tombstone stays readable for delete.retention.ms").containsValue("k4=null");
        assertThat(log.logEndOffset()).isEqualTo(end);

        // More writes make the log dirty again; a pass after the tombstone's horizon drops it.
        for (int i = 0; i < 12; i++) {
            log.append(keyed("k" + (i % 4), "x" + i), now);
        }
        LogCleaner.cleanIfDue(log, now + 61_000).orElseThrow();
        Map<Long, String> later = contents(log);
        assertThat(later).doesNotContainValue("k4=null").noneSatisfy((o, kv) -> assertThat(kv).startsWith("k4="));
        log.close();

        PartitionLog reopened = open(dir.resolve("p"), compacted(400, 60_000));
        assertThat(contents(reopened)).as("after a restart").isEqualTo(later);
        assertThat(reopened.append(keyed("k0", "after-restart"), now).baseOffset()).isEqualTo(reopened.logEndOffset() - 1);
        reopened.close();
    }

    @Test
    void recordsWithoutAKeyAreRefusedAndTheLogIsUntouched() {
        PartitionLog log = open(dir.resolve("p"), compacted(400, 60_000));
        log.append(keyed("k", "v"), now);
        AppendResult r = log.append(keyed(null, "no key"), now);
        assertThat(r.error()).isEqualTo(Errors.INVALID_RECORD);
        assertThat(r.message()).contains("Compacted topic cannot accept message without key");
        assertThat(log.logEndOffset()).isEqualTo(1);
        log.close();
    }

    @Test
    void aSwapInterruptedByACrashIsFinishedAtOpen() throws Exception {
        Path d = dir.resolve("p");
        PartitionLog log = open(d, compacted(400, 60_000));
        for (int i = 0; i < 30; i++) {
            log.append(keyed("k" + (i % 3), "v" + i), now);
        }
        Map<Long, String> before = contents(log);
        log.close();
        // The crash came after the original was renamed away and before the rewrite took its name.
        Path original = d.resolve(LogSegment.fileName(0, ".log"));
        Files.copy(original, d.resolve(LogSegment.fileName(0, PartitionLog.CLEANED_SUFFIX)));
        Files.move(original, d.resolve(LogSegment.fileName(0, ".log" + LogSegment.DELETED_SUFFIX)));
        PartitionLog reopened = open(d, compacted(400, 60_000));
        assertThat(contents(reopened)).isEqualTo(before);
        reopened.close();
        // A rewrite left before its swap began is dropped; the original stays.
        Files.writeString(d.resolve(LogSegment.fileName(0, PartitionLog.CLEANED_SUFFIX)), "half written");
        PartitionLog again = open(d, compacted(400, 60_000));
        assertThat(contents(again)).isEqualTo(before);
        assertThat(d.resolve(LogSegment.fileName(0, PartitionLog.CLEANED_SUFFIX))).doesNotExist();
        again.close();
    }

    @Test
    void aFollowerCopyingACleanedLeaderKeepsItsGaps() {
        PartitionLog leader = open(dir.resolve("leader"), compacted(400, 60_000));
        for (int i = 0; i < 60; i++) {
            leader.append(keyed("k" + (i % 3), "v" + i), now);
        }
        LogCleaner.cleanIfDue(leader, now).orElseThrow();
        PartitionLog follower = open(dir.resolve("follower"), compacted(400, 60_000));
        follower.becomeFollower(0);
        long offset = 0;
        while (offset < leader.logEndOffset()) {
            ByteBuffer bytes = leader.readForReplica(offset, 1000).records();
            offset = follower.appendAsFollower(bytes, now, -1);
        }
        assertThat(follower.logEndOffset()).isEqualTo(leader.logEndOffset());
        assertThat(contents(follower)).isEqualTo(contents(leader));
        leader.close();
        follower.close();
    }

    @Test
    void abortedRecordsNeverReplaceACommittedValueAndOpenTransactionsAreNotCleaned() {
        PartitionLog log = open(dir.resolve("tx-0"), compacted(300, 0));
        log.append(keyed("k", "committed"), now);                                                         // 0
        log.append(MemoryRecords.withTransactionalRecords(Compression.NONE, 7, (short) 0, 0,
                new SimpleRecord(now, "k".getBytes(StandardCharsets.UTF_8), "aborted".getBytes(StandardCharsets.UTF_8))).buffer(), now); // 1
        log.appendTxnMarker(7, (short) 0, new io.strata.records.TxnMarker(false, 0), now);                 // 2
        log.append(MemoryRecords.withTransactionalRecords(Compression.NONE, 8, (short) 0, 0,
                new SimpleRecord(now, "j".getBytes(StandardCharsets.UTF_8), "open".getBytes(StandardCharsets.UTF_8))).buffer(), now);    // 3
        for (int i = 0; i < 20; i++) {
            log.append(keyed("filler-" + (i % 3), "f" + i), now);
        }
        assertThat(log.lastStableOffset()).isEqualTo(3);
        LogCleaner.cleanIfDue(log, now + 1).orElseThrow();
        Map<Long, String> after = contents(log);
        // The aborted value is gone and the committed one, which it would have replaced, stays.
        assertThat(after).containsEntry(0L, "k=committed").doesNotContainKey(1L);
        // The open transaction's segment (and all after it) is not cleaned yet.
        assertThat(after).containsEntry(3L, "j=open");
        assertThat(log.abortedTransactions(0, 3)).hasSize(1);
    }
}
