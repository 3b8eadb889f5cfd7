package io.strata.ingest.log;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.ingest.log.fs.DiskFileSystem;
import io.strata.records.Batches;
import io.strata.tiering.segment.RemoteSegmentReader;
import io.strata.tiering.segment.SegmentObjectWriter;
import io.strata.tiering.store.LocalObjectStore;
import io.strata.tiering.store.ObjectStore;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A local segment and the object tiering makes of it answer alike: the batch holding any offset,
 * and the first record at or after any timestamp, with timestamps that go back now and then (a
 * producer's clock, or CreateTime set by the client), so that the sparse time index is tested where
 * it matters. Both tiers index and scan with the same classes ({@code io.strata.records.BatchIndex}
 * and {@code BatchScan}); this holds both to the answer worked out from every record.
 */
class SegmentTiersTest {
    @TempDir
    Path dir;

    @Test
    void aLocalSegmentAndItsObjectFindTheSameBatchesAndRecords() throws Exception {
        Random r = new Random(7);
        LogSegment local = LogSegment.create(DiskFileSystem.INSTANCE, dir, 500, 4096, 0);
        long offset = 500;
        long clock = 1_000_000;
        for (int b = 0; b < 1500; b++) {
            int records = 1 + r.nextInt(5);
            SimpleRecord[] rs = new SimpleRecord[records];
            long max = -1;
            for (int i = 0; i < records; i++) {
                clock += r.nextInt(20) - 4;
                max = Math.max(max, clock);
                rs[i] = new SimpleRecord(clock, null, ("v" + (offset + i) + "x".repeat(r.nextInt(600))).getBytes());
            }
            MemoryRecords m = MemoryRecords.withRecords(Compression.NONE, rs);
            for (MutableRecordBatch batch : m.batches()) {
                batch.setLastOffset(offset + records - 1);
            }
            local.append(offset, offset + records - 1, max, m.buffer());
            offset += records;
        }
        long end = offset;
        Path object = dir.resolve("object");
        SegmentObjectWriter.write(dir.resolve(LogSegment.fileName(500, ".log")), 3, object);
        try (ObjectStore store = new LocalObjectStore(dir.resolve("bucket"))) {
            store.put("t/0/seg", object).get();
            long size = store.head("t/0/seg").get().orElseThrow().size();
            RemoteSegmentReader remote = new RemoteSegmentReader(store, 8 << 20, new SimpleMeterRegistry());
            for (long o = 500; o < end; o += 1 + r.nextInt(7)) {
                List<Batches.Batch> here = Batches.of(local.read(o, 1, end));
                List<Batches.Batch> there = Batches.of(remote.read("t/0/seg", size, o, 1));
                assertThat(there.get(0).baseOffset()).as("the batch holding offset " + o).isEqualTo(here.get(0).baseOffset());
            }
            // The answer worked out without either tier's index or scanner: every record, in offset order.
            List<Batches.TimestampMatch> all = new ArrayList<>();
            for (RecordBatch b : MemoryRecords.readableRecords(local.read(500, Integer.MAX_VALUE, end)).batches()) {
                for (Record rec : b) {
                    all.add(new Batches.TimestampMatch(rec.offset(), rec.timestamp()));
                }
            }
            assertThat(all).hasSize((int) (end - 500));
            int found = 0;
            for (long ts = 999_990; ts <= clock + 2; ts += 1 + r.nextInt(40)) {
                long target = ts;
                Optional<Batches.TimestampMatch> expected = all.stream().filter(m -> m.timestamp() >= target).findFirst();
                assertThat(local.findByTimestamp(ts, end)).as("locally, the first record at or after " + ts).isEqualTo(expected);
                assertThat(remote.findByTimestamp("t/0/seg", size, ts)).as("remotely, the first record at or after " + ts)
                        .isEqualTo(expected);
                found += expected.isPresent() ? 1 : 0;
            }
            assertThat(found).as("timestamps looked up that some record reaches").isGreaterThan(100);
        } finally {
            local.close();
        }
    }
}
