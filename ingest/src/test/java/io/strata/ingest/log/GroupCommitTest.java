package io.strata.ingest.log;

import io.strata.tiering.service.RemoteRange;

import io.strata.ingest.log.fs.SimulatedDisk;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Waiters of several logs, each completed only once its bytes are durable (how many share an fsync is timing, not asserted). */
class GroupCommitTest {
    final SimulatedDisk disk = new SimulatedDisk(3);

    private PartitionLog open(String name) {
        return PartitionLog.open(disk, Path.of("/sim/logs/" + name), name, LogConfig.defaults(), 1_000_000, RemoteRange.NONE);
    }

    private static void append(PartitionLog log, String v) {
        log.append(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1_000_000, null, v.getBytes())).buffer(), 1_000_000);
    }

    @Test
    void waitersCompleteOnlyAfterTheirBytesAreSynced() throws Exception {
        PartitionLog a = open("a-0");
        PartitionLog b = open("b-0");
        List<String> completed = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        try (GroupCommit commit = new GroupCommit()) {
            for (int i = 0; i < 200; i++) {
                PartitionLog log = i % 2 == 0 ? a : b;
                append(log, "v" + i);
                long offset = log.logEndOffset() - 1;
                String label = (i % 2 == 0 ? "a" : "b") + offset;
                all.add(commit.awaitDurable(log, offset).thenRun(() -> {
                    completed.add(label);
                    assertThat(log.flushedOffset()).isGreaterThan(offset);
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            // Each byte counted once, by the fsync that made it durable; at most one fsync per waiter.
            assertThat(commit.fsyncBytes()).isEqualTo(a.sizeInBytes() + b.sizeInBytes());
            assertThat(commit.fsyncs()).isBetween(2L, 200L);
            assertThat(commit.fsyncSeconds()).isPositive();
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            expected.add((i % 2 == 0 ? "a" : "b") + (i / 2));
        }
        // A waiter already durable when it asks completes at once (responses stay in request order per
        // connection anyway); every other one on the commit thread, each only once its bytes are synced.
        assertThat(completed).containsExactlyInAnyOrderElementsOf(expected);
        disk.powerCut(false);
        assertThat(open("a-0").logEndOffset()).isEqualTo(100);
        assertThat(open("b-0").logEndOffset()).isEqualTo(100);
    }

    @Test
    void aSlowFsyncOfOneLogDoesNotHoldBackAnotherLogsAcknowledgements() throws Exception {
        PartitionLog slow = open("slow-0");
        PartitionLog fast = open("fast-0");
        CompletableFuture<Void> release = new CompletableFuture<>();
        disk.stallNextForce(p -> p.toString().contains("slow-0"), release);
        try (GroupCommit commit = new GroupCommit()) {
            append(slow, "s");
            CompletableFuture<Void> slowDurable = commit.awaitDurable(slow, slow.logEndOffset() - 1);
            // The slow log's fsync has begun (and stalls) before the other log's produce arrives.
            Thread.sleep(100);
            for (int i = 0; i < 3; i++) {
                append(fast, "f" + i);
                commit.awaitDurable(fast, fast.logEndOffset() - 1).get(5, TimeUnit.SECONDS);
                assertThat(fast.flushedOffset()).isEqualTo(i + 1);
            }
            assertThat(slowDurable).as("its own fsync has not returned").isNotDone();
            release.complete(null);
            slowDurable.get(5, TimeUnit.SECONDS);
            assertThat(slow.flushedOffset()).isEqualTo(1);
        }
    }

    @Test
    void aFlushThatRacedATruncationDoesNotCallTheRecordsAppendedAfterItDurable() throws Exception {
        PartitionLog log = open("raced-0");
        for (int i = 0; i < 10; i++) {
            append(log, "old" + i);
        }
        CompletableFuture<Void> synced = new CompletableFuture<>();
        CompletableFuture<Void> release = new CompletableFuture<>();
        // The flush reads the end (10) and fsyncs; before it publishes that end, a truncation (a follower diverged from its
        // leader) cuts the log to 5.
        CompletableFuture<Long> flush = CompletableFuture.supplyAsync(() -> log.flush(bytes -> {
            synced.complete(null);
            release.join();
        }));
        synced.get(5, TimeUnit.SECONDS);
        log.truncateTo(5);
        release.complete(null);
        flush.get(5, TimeUnit.SECONDS);
        assertThat(log.logEndOffset()).isEqualTo(5);
        assertThat(log.flushedOffset()).as("the flush's end is stale: not published").isLessThanOrEqualTo(5);
        for (int i = 0; i < 5; i++) {
            append(log, "new" + i);
        }
        try (GroupCommit commit = new GroupCommit()) {
            // Offsets 5..9 are new records: waiting for them must run an fsync, not find them "durable" already.
            commit.awaitDurable(log, 9).get(5, TimeUnit.SECONDS);
            assertThat(commit.fsyncs()).isEqualTo(1);
        }
        disk.powerCut(false);
        assertThat(open("raced-0").logEndOffset()).as("the new records were fsynced").isEqualTo(10);
    }
}
