package io.strata.ingest.log;

import io.strata.tiering.service.RemoteRange;

import io.strata.ingest.log.fs.SimulatedDisk;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Disk errors on a {@link SimulatedDisk}: a failed fsync, a full disk and a torn write each take
 * the partition offline with {@code KAFKA_STORAGE_ERROR} (never "success" for bytes that are not
 * there), leave other partitions serving, and are recovered by a restart.
 */
class DiskFaultTest {
    static final long NOW = 1_000_000;
    final SimulatedDisk disk = new SimulatedDisk(7);
    final Path dirA = Path.of("/sim/logs/a-0");
    final Path dirB = Path.of("/sim/logs/b-0");

    private PartitionLog open(Path dir) {
        return PartitionLog.open(disk, dir, dir.getFileName().toString(), LogConfig.defaults(), NOW, RemoteRange.NONE);
    }

    private static ByteBuffer batch(long pid, int seq, String value) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, pid, (short) 0, seq,
                new SimpleRecord(NOW, null, value.getBytes(StandardCharsets.UTF_8))).buffer();
    }

    private static List<String> values(PartitionLog log) {
        List<String> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.highWatermark()) {
            for (RecordBatch b : MemoryRecords.readableRecords(log.read(offset, 1 << 20).records()).batches()) {
                for (Record r : b) {
                    byte[] v = new byte[r.valueSize()];
                    r.value().get(v);
                    out.add(r.offset() + ":" + new String(v, StandardCharsets.UTF_8));
                }
                offset = b.lastOffset() + 1;
            }
        }
        return out;
    }

    @Test
    void aFailedFsyncTakesThePartitionOfflineSoALaterFsyncCannotAcknowledgeLostBytes() {
        PartitionLog a = open(dirA);
        PartitionLog b = open(dirB);
        assertThat(a.append(batch(1, 0, "acked"), NOW).error()).isEqualTo(Errors.NONE);
        a.flush();
        assertThat(a.append(batch(1, 1, "in-the-failed-fsync"), NOW).error()).isEqualTo(Errors.NONE);
        disk.failNextForce(p -> p.startsWith(dirA));
        assertThatThrownBy(a::flush).isInstanceOf(LogOfflineException.class);

        // Linux would let the next fsync succeed without the dropped pages: the log must not get that far.
        AppendResult after = a.append(batch(1, 2, "after"), NOW);
        assertThat(after.error()).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
        assertThatThrownBy(a::flush).isInstanceOf(LogOfflineException.class);
        assertThatThrownBy(() -> a.read(0, 1000)).isInstanceOf(LogOfflineException.class);
        assertThat(a.isOffline()).isTrue();

        assertThat(b.append(batch(2, 0, "other partition"), NOW).error()).as("other partitions keep serving").isEqualTo(Errors.NONE);
        b.flush();

        a.close();
        disk.powerCut(false);
        PartitionLog recovered = open(dirA);
        assertThat(values(recovered)).as("the acknowledged record survives; the lost bytes are cut").containsExactly("0:acked");
        assertThat(recovered.append(batch(1, 1, "retried"), NOW).baseOffset()).as("appends continue after recovery").isEqualTo(1);
        assertThat(values(open(dirB))).containsExactly("0:other partition");
    }

    @Test
    void aRestartWithoutARebootAfterAFailedFsyncDoesNotTrustThePageCache() {
        PartitionLog a = open(dirA);
        a.append(batch(1, 0, "acked"), NOW);
        a.flush();
        a.append(batch(1, 1, "lost-by-the-disk"), NOW);
        disk.failNextForce(p -> p.startsWith(dirA));
        assertThatThrownBy(a::flush).isInstanceOf(LogOfflineException.class);
        a.close();
        // The process restarts; the machine does not: the page cache is still there.
        PartitionLog restarted = open(dirA);
        AppendResult next = restarted.append(batch(1, 1, "appended-after-restart"), NOW);
        assertThat(next.error()).isEqualTo(Errors.NONE);
        restarted.flush();
        disk.powerCut(false);
        assertThat(values(open(dirA))).as("everything acknowledged after the restart survives a later power cut")
                .containsExactly("0:acked", next.baseOffset() + ":appended-after-restart");
    }

    @Test
    void aFullDiskIsAStorageErrorAndARestartRecoversToTheLastWholeBatch() {
        PartitionLog a = open(dirA);
        assertThat(a.append(batch(1, 0, "first"), NOW).error()).isEqualTo(Errors.NONE);
        a.flush();
        disk.setFreeBytes(20);
        AppendResult full = a.append(batch(1, 1, "does not fit on the disk"), NOW);
        assertThat(full.error()).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
        assertThat(full.message()).contains("No space left on device");
        assertThat(a.append(batch(1, 1, "does not fit on the disk"), NOW).error())
                .as("the producer's retry is not taken for a duplicate of bytes that were never written")
                .isEqualTo(Errors.KAFKA_STORAGE_ERROR);

        disk.setFreeBytes(Long.MAX_VALUE);
        a.close();
        PartitionLog recovered = open(dirA);
        assertThat(values(recovered)).containsExactly("0:first");
        AppendResult retry = recovered.append(batch(1, 1, "does not fit on the disk"), NOW);
        assertThat(retry.error()).isEqualTo(Errors.NONE);
        assertThat(retry.baseOffset()).isEqualTo(1);
        assertThat(values(recovered)).containsExactly("0:first", "1:does not fit on the disk");
    }

    @Test
    void aTornWriteIsNeverAnsweredAsADuplicateAndRecoveryCutsItsBytes() {
        PartitionLog a = open(dirA);
        assertThat(a.append(batch(1, 0, "first"), NOW).error()).isEqualTo(Errors.NONE);
        disk.tearNextWrite(p -> p.startsWith(dirA));
        assertThat(a.append(batch(1, 1, "torn"), NOW).error()).isEqualTo(Errors.KAFKA_STORAGE_ERROR);
        AppendResult retry = a.append(batch(1, 1, "torn"), NOW);
        assertThat(retry.error()).as("a retry must not be answered from producer state recorded for a failed write")
                .isEqualTo(Errors.KAFKA_STORAGE_ERROR);
        a.close();

        PartitionLog recovered = open(dirA);
        assertThat(values(recovered)).containsExactly("0:first");
        AppendResult again = recovered.append(batch(1, 1, "torn"), NOW);
        assertThat(again.error()).isEqualTo(Errors.NONE);
        assertThat(again.baseOffset()).isEqualTo(1);
        assertThat(values(recovered)).containsExactly("0:first", "1:torn");
    }

    @Test
    void groupCommitFailsWaitersOfAnOfflineLogAndServesTheOthers() throws Exception {
        PartitionLog a = open(dirA);
        PartitionLog b = open(dirB);
        try (GroupCommit commit = new GroupCommit()) {
            a.append(batch(1, 0, "x"), NOW);
            b.append(batch(2, 0, "y"), NOW);
            disk.failNextForce(p -> p.startsWith(dirA));
            CompletableFuture<Void> fa = commit.awaitDurable(a, 0);
            CompletableFuture<Void> fb = commit.awaitDurable(b, 0);
            assertThatThrownBy(() -> fa.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(LogOfflineException.class);
            fb.get(10, TimeUnit.SECONDS);
            a.append(batch(1, 1, "z"), NOW);
            assertThatThrownBy(() -> commit.awaitDurable(a, 1).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        }
    }
}
