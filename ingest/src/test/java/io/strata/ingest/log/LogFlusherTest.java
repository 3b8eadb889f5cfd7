package io.strata.ingest.log;

import io.strata.tiering.service.RemoteRange;

import io.strata.ingest.log.fs.SimulatedDisk;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** flush.ms: records nobody waited for (acks=0 and acks=1) reach the disk once the log's flush.ms has passed, and survive a power cut. */
class LogFlusherTest {
    final SimulatedDisk disk = new SimulatedDisk(7);

    private PartitionLog open(String name, long flushMs) {
        return PartitionLog.open(disk, Path.of("/sim/logs/" + name), name, LogConfig.defaults().withFlush(new LogConfig.Flush(Long.MAX_VALUE, flushMs)),
                1_000_000, RemoteRange.NONE);
    }

    private static void append(PartitionLog log, int records) {
        for (int i = 0; i < records; i++) {
            log.append(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1_000_000, null, ("v" + i).getBytes())).buffer(), 1_000_000);
        }
    }

    private static void awaitFlushed(PartitionLog log, long offset) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log.flushedOffset() < offset && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void aLogPastItsFlushMsIsFsyncedAndItsRecordsSurviveAPowerCut() throws Exception {
        PartitionLog due = open("due-0", 0);
        PartitionLog notDue = open("later-0", TimeUnit.HOURS.toMillis(1));
        append(due, 3);
        append(notDue, 3);
        try (GroupCommit commit = new GroupCommit()) {
            LogFlusher flusher = new LogFlusher(commit);
            assertThat(flusher.flushDue(List.of(due, notDue))).as("fsyncs started").isEqualTo(1);
            awaitFlushed(due, 3);
            assertThat(due.flushedOffset()).isEqualTo(3);
            assertThat(notDue.flushedOffset()).as("within its flush.ms: left to the kernel").isZero();
            // Nothing unsynced is left: no second fsync.
            assertThat(flusher.flushDue(List.of(due))).isZero();
            assertThat(commit.fsyncs()).isEqualTo(1);
        }
        disk.powerCut(false);
        assertThat(open("due-0", 0).logEndOffset()).isEqualTo(3);
        assertThat(open("later-0", 0).logEndOffset()).as("a power cut takes what was never fsynced").isZero();
    }

    @Test
    void theFlusherKeepsHalfTheFsyncThreadsAndStartsTheNextDueLogAsEachFsyncReturns() throws Exception {
        List<PartitionLog> logs = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            PartitionLog l = open("many-" + i, 0);
            append(l, 1);
            logs.add(l);
        }
        java.util.concurrent.CompletableFuture<Void> release = new java.util.concurrent.CompletableFuture<>();
        disk.stallNextForce(p -> p.toString().contains("many-"), release);
        try (GroupCommit commit = new GroupCommit(4)) {
            LogFlusher flusher = new LogFlusher(commit);
            assertThat(flusher.maxInFlight()).isEqualTo(2);
            assertThat(flusher.flushDue(logs)).as("started by the look itself").isEqualTo(2);
            // One fsync stalls; the other slot takes the due logs one after another, with no further look.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (logs.stream().filter(l -> l.flushedOffset() == 1).count() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(logs.stream().filter(l -> l.flushedOffset() == 1).count()).isEqualTo(5);
            assertThat(logs.stream().filter(l -> l.flushedOffset() == 0).count()).as("the stalled one").isEqualTo(1);
            release.complete(null);
            for (PartitionLog l : logs) {
                awaitFlushed(l, 1);
                assertThat(l.flushedOffset()).isEqualTo(1);
            }
        }
    }

    @Test
    void flushMsCountsFromTheLastFsync() throws Exception {
        PartitionLog log = open("recent-0", 300);
        try (GroupCommit commit = new GroupCommit()) {
            LogFlusher flusher = new LogFlusher(commit);
            append(log, 1);
            commit.awaitDurable(log, 0).get(5, TimeUnit.SECONDS);
            append(log, 1);
            assertThat(flusher.flushDue(List.of(log))).as("fsynced a moment ago").isZero();
            Thread.sleep(350);
            assertThat(flusher.flushDue(List.of(log))).isEqualTo(1);
            awaitFlushed(log, 2);
            assertThat(log.flushedOffset()).isEqualTo(2);
        }
    }
}
