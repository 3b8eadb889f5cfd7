package io.strata.ingest.log;

import io.strata.tiering.service.RemoteRange;

import io.strata.ingest.log.fs.SimulatedDisk;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A segment roll on the append path only seals the segment and opens the next; the sealed
 * segment's fsync, the directory's and the producer snapshot run on the roll executor. These
 * tests hold that executor back to look at the state in between.
 */
class SegmentRollTest {
    private static final Path DIR = Path.of("/sim/logs/r-0");
    private final SimulatedDisk disk = new SimulatedDisk(7);
    private final long now = 1_000_000;

    /** An executor that runs what it was given only when told. */
    private static final class Held implements java.util.concurrent.Executor {
        final ArrayDeque<Runnable> queued = new ArrayDeque<>();

        @Override
        public void execute(Runnable task) {
            queued.add(task);
        }

        void runAll() {
            while (!queued.isEmpty()) {
                queued.poll().run();
            }
        }

        void runNewest() {
            queued.pollLast().run();
        }
    }

    private static LogConfig config() {
        LogConfig d = LogConfig.defaults();
        return new LogConfig(400, d.segmentMs(), d.retentionMs(), d.retentionBytes(), 1_000_000, 256, false);
    }

    private PartitionLog open() {
        return PartitionLog.open(disk, DIR, "r-0", config(), now, RemoteRange.NONE);
    }

    private AppendResult append(PartitionLog log, long pid, int seq) {
        ByteBuffer b = MemoryRecords.withIdempotentRecords(Compression.NONE, pid, (short) 0, seq,
                new SimpleRecord(now, null, ("value-" + seq + "-" + "x".repeat(100)).getBytes())).buffer();
        AppendResult r = log.append(b, now);
        assertThat(r.error()).isEqualTo(Errors.NONE);
        return r;
    }

    private boolean snapshotAt(long offset) {
        return disk.exists(DIR.resolve(LogSegment.fileName(offset, ProducerSnapshots.SUFFIX)));
    }

    /** A log whose rolls finish only when {@code roller} is told to run them. */
    private PartitionLog open(Held roller) {
        PartitionLog log = open();
        log.setRollExecutor(roller);
        return log;
    }

    /** Appends until the log has rolled once; returns the sealed segment's end. */
    private long appendUntilRolled(PartitionLog log, long pid) {
        int seq = 0;
        while (log.segmentCount() < 2) {
            append(log, pid, seq++);
        }
        return log.logEndOffset() - 1;
    }

    @Test
    void anAppendThatRollsWaitsForNoFsyncAndTheRollFinishesOnTheRollExecutor() {
        Held roller = new Held();
        PartitionLog log = open(roller);
        long forcesBefore = disk.forces();
        long sealedEnd = appendUntilRolled(log, 1);

        assertThat(disk.forces()).as("fsyncs on the appending thread").isEqualTo(forcesBefore);
        assertThat(log.sealedSegments()).as("a segment whose roll has not finished is not offered to tiering").isEmpty();
        assertThat(log.flushedOffset()).isLessThan(sealedEnd);
        assertThat(snapshotAt(sealedEnd)).isFalse();

        roller.runAll();

        assertThat(disk.forces()).as("the sealed segment's fsync and the snapshot's").isGreaterThanOrEqualTo(forcesBefore + 2);
        assertThat(log.sealedSegments()).hasSize(1);
        assertThat(log.sealedSegments().get(0).nextOffset()).isEqualTo(sealedEnd);
        assertThat(log.flushedOffset()).isGreaterThanOrEqualTo(sealedEnd);
        assertThat(snapshotAt(sealedEnd)).isTrue();
    }

    @Test
    void rollsOfOneLogFinishingOutOfOrderPublishNothingPastTheOneStillRunning() {
        Held roller = new Held();
        PartitionLog log = open(roller);
        long firstEnd = appendUntilRolled(log, 1);
        int seq = (int) log.logEndOffset();
        while (log.segmentCount() < 3) {
            append(log, 1, seq++);
        }
        long secondEnd = log.logEndOffset() - 1;
        assertThat(roller.queued).hasSize(2);

        // The second roll's task first, as a pool may run it: it fsyncs the first segment too, but the first roll's
        // snapshot is not written yet.
        roller.runNewest();
        assertThat(snapshotAt(secondEnd)).isTrue();
        assertThat(snapshotAt(firstEnd)).isFalse();
        assertThat(log.sealedSegments()).isEmpty();
        assertThat(log.flushedOffset()).isLessThan(firstEnd);

        roller.runAll();
        assertThat(log.sealedSegments()).hasSize(2);
        assertThat(log.flushedOffset()).isGreaterThanOrEqualTo(secondEnd);
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void appendsGoOnWhileARolledSegmentsFsyncIsStalled() throws Exception {
        PartitionLog log = open();
        ExecutorService roller = Executors.newSingleThreadExecutor();
        try {
            log.setRollExecutor(roller);
            CompletableFuture<Void> release = new CompletableFuture<>();
            disk.stallNextForce(p -> p.getFileName().toString().endsWith(".log"), release);
            long sealedEnd = appendUntilRolled(log, 1);
            // The roll's fsync is stuck on the device; the partition keeps taking appends, and rolling.
            for (int seq = 0; seq < 10; seq++) {
                append(log, 2, seq);
            }
            assertThat(log.logEndOffset()).isEqualTo(sealedEnd + 11);
            assertThat(log.segmentCount()).isGreaterThan(2);
            assertThat(log.sealedSegments()).isEmpty();
            release.complete(null);
            roller.submit(() -> { }).get(10, TimeUnit.SECONDS);
            assertThat(log.sealedSegments()).hasSize(log.segmentCount() - 1);
            assertThat(log.flushedOffset()).isGreaterThanOrEqualTo(log.sealedSegments().get(log.segmentCount() - 2).nextOffset());
        } finally {
            roller.shutdownNow();
        }
    }

    @Test
    void aFlushMakesARolledSegmentDurableBeforeItsRollFinishes() {
        PartitionLog log = open(new Held());
        appendUntilRolled(log, 1);
        append(log, 1, (int) log.logEndOffset());
        long end = log.logEndOffset();
        assertThat(log.flush()).isEqualTo(end);

        disk.powerCut(false);
        PartitionLog reopened = open();
        assertThat(reopened.logEndOffset()).as("every flushed record survives the cut").isEqualTo(end);
        assertThat(reopened.segmentCount()).isEqualTo(2);
    }

    @Test
    void aCutBeforeTheRollFinishesKeepsTheProducersSequences() {
        PartitionLog log = open(new Held());
        appendUntilRolled(log, 1);
        long end = log.flush();
        assertThat(end).isEqualTo(log.logEndOffset());
        // More appends, never fsynced, then the power goes: the unsynced tail goes, what stays is contiguous.
        for (int i = 0; i < 3; i++) {
            append(log, 1, (int) log.logEndOffset());
        }
        disk.powerCut(true);
        PartitionLog reopened = open();
        long survived = reopened.logEndOffset();
        assertThat(survived).isBetween(end, end + 3);
        // The producer's state is what survived: its next sequence after the log end is taken (append() checks), at the end.
        assertThat(append(reopened, 1, (int) survived).baseOffset()).isEqualTo(survived);
    }

    @Test
    void aRolledSegmentTheCleanerShortenedAfterAnUncleanRestartKeepsEverythingAfterIt() {
        LogConfig compacted = config().withCompaction(new LogConfig.Compaction(true, false, 0, 0.0, 0, Long.MAX_VALUE));
        PartitionLog log = PartitionLog.open(disk, DIR, "r-0", compacted, now, RemoteRange.NONE);
        log.setRollExecutor(new Held());
        for (int i = 0; log.segmentCount() < 4; i++) {
            // Three keys over and over: the last record of every segment is replaced in the next one.
            ByteBuffer b = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(now, ("k" + i % 3).getBytes(),
                    ("v" + i + "-" + "x".repeat(100)).getBytes())).buffer();
            assertThat(log.append(b, now).error()).isEqualTo(Errors.NONE);
        }
        long end = log.flush();
        int segments = log.segmentCount();
        // The process dies with the rolls unfinished (flushed, but without their snapshots); the next open recovers them.
        PartitionLog recovered = PartitionLog.open(disk, DIR, "r-0", compacted, now, RemoteRange.NONE);
        assertThat(recovered.logEndOffset()).isEqualTo(end);
        assertThat(LogCleaner.cleanIfDue(recovered, now)).isPresent();
        assertThat(recovered.sealedSegments().get(0).nextOffset()).as("the cleaner shortened the first segment")
                .isLessThan(recovered.sealedSegments().get(1).baseOffset());

        // Another unclean shutdown: the shortened segment is durable and must not read as one that lost its tail.
        PartitionLog again = PartitionLog.open(disk, DIR, "r-0", compacted, now, RemoteRange.NONE);
        assertThat(again.logEndOffset()).isEqualTo(end);
        assertThat(again.segmentCount()).isEqualTo(segments);
    }

    @Test
    void aTruncationBelowAnUnfinishedRollKeepsItsSnapshotFromBeingWritten() {
        Held roller = new Held();
        PartitionLog log = open(roller);
        long sealedEnd = appendUntilRolled(log, 1);
        log.becomeFollower(1);
        log.truncateTo(sealedEnd - 2);

        roller.runAll();

        assertThat(snapshotAt(sealedEnd))
                .as("a snapshot past the cut would describe records the log no longer has").isFalse();
        assertThat(log.logEndOffset()).isEqualTo(sealedEnd - 2);
        log.close();
        assertThat(open().logEndOffset()).isEqualTo(sealedEnd - 2);
    }

    @Test
    void aFailedFsyncOfARolledSegmentTakesThePartitionOfflineAndNothingAfterItIsAcknowledged() {
        Held roller = new Held();
        PartitionLog log = open(roller);
        long sealedEnd = appendUntilRolled(log, 1);
        disk.failNextForce(p -> p.getFileName().toString().equals(LogSegment.fileName(0, ".log")));

        roller.runAll();

        assertThat(log.isOffline()).isTrue();
        assertThat(log.flushedOffset()).as("nothing past the failed fsync counts as durable").isLessThan(sealedEnd);
        ByteBuffer b = MemoryRecords.withIdempotentRecords(Compression.NONE, 1, (short) 0, (int) log.logEndOffset(),
                new SimpleRecord(now, null, "after".getBytes())).buffer();
        assertThat(log.append(b, now).error()).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
        assertThat(snapshotAt(sealedEnd))
                .as("no snapshot vouches for a segment whose fsync failed").isFalse();
    }
}
