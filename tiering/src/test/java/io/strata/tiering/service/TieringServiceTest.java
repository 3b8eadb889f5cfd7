package io.strata.tiering.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStores;
import io.strata.metastore.store.SegmentEntry;
import io.strata.metastore.store.SegmentManifestStore;
import io.strata.tiering.segment.RemoteSegmentReader;
import io.strata.metastore.store.TopicCatalog;
import io.strata.metastore.store.TopicRecord;
import io.strata.records.AbortedTxn;
import io.strata.records.Batches;
import io.strata.records.CompactionMap;
import io.strata.tiering.store.LocalObjectStore;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tiering service on its own, against a real SQLite MetaStore and a local object store, with
 * a partition log that is only what {@link TieredLog} asks for: one sealed segment goes up, is
 * committed, is read back through the asynchronous read path, and goes again by retention, each
 * step on the service's own named threads.
 */
class TieringServiceTest {
    @TempDir
    Path dir;
    MetaStore metaStore;
    TieringService tiering;
    final TopicPartition tp = new TopicPartition("t", 0);

    @BeforeEach
    void open() {
        metaStore = MetaStores.open("sqlite:" + dir.resolve("meta.db"));
    }

    @AfterEach
    void close() {
        if (tiering != null) {
            tiering.close();
        }
        metaStore.close();
    }

    @Test
    void aSealedSegmentIsUploadedCommittedReadBackAndRetiredOnTheServicesOwnThreads() throws Exception {
        Keyspace keyspace = new Keyspace("test");
        TopicCatalog catalog = new TopicCatalog(metaStore, keyspace);
        TopicRecord topic = catalog.create("t", 1, (short) 1, Map.of()).topic();
        SegmentManifestStore manifest = new SegmentManifestStore(metaStore, keyspace);
        // 100 records of 100 KB: an object larger than one read serves (RemoteSegmentReader.MAX_READ_BYTES).
        FakeLog log = new FakeLog(dir.resolve("t-0"), 100, 100_000);
        TieredLogs logs = new TieredLogs() {
            @Override
            public Map<TopicPartition, ? extends TieredLog> logs() {
                return Map.of(tp, log);
            }

            @Override
            public Optional<? extends TieredLog> partition(TopicPartition p) {
                return p.equals(tp) ? Optional.of(log) : Optional.empty();
            }

            @Override
            public Optional<TopicRecord> topic(String name) {
                return catalog.get(name);
            }
        };
        tiering = new TieringService(new LocalObjectStore(dir.resolve("bucket")), manifest, catalog, logs, "cluster",
                System::currentTimeMillis, 1, Long.MAX_VALUE, TieringService.MIN_ORPHAN_GRACE_MS, 8 << 20,
                RemoteSegmentReader.DEFAULT_CHUNK_BYTES, RemoteSegmentReader.PREFETCH_BYTES, new SimpleMeterRegistry());
        tiering.start(20, 20);

        await("the segment committed to the manifest", () -> !manifest.list(topic.id(), 0).isEmpty());
        SegmentEntry entry = manifest.list(topic.id(), 0).get(0);
        assertThat(entry.baseOffset()).isEqualTo(0);
        assertThat(entry.lastOffset()).isEqualTo(99);
        await("the log told what is tiered", () -> log.tiered == 100);

        List<Batches.Batch> read = Batches.of(tiering.readAsync(tp, 42, 1 << 20).get(10, TimeUnit.SECONDS));
        assertThat(read).isNotEmpty();
        assertThat(read.get(0).baseOffset()).isEqualTo(42);
        // Whole batches, in order, as many as 1 MiB holds (ten of about 100 KB).
        assertThat(read).extracting(Batches.Batch::baseOffset).containsExactly(42L, 43L, 44L, 45L, 46L, 47L, 48L, 49L, 50L, 51L);
        assertThat(tiering.offsetForTimestampAsync(tp, 1_000 + 60, 0).get(10, TimeUnit.SECONDS).orElseThrow().offset())
                .isEqualTo(60);
        assertThat(tiering.readAsync(tp, 100, 1 << 20).get(10, TimeUnit.SECONDS).hasRemaining()).isFalse();
        // What tiered compaction reads: every batch, in pieces, byte for byte the segment uploaded.
        assertThat(tiering.readWhole(entry)).isEqualTo(ByteBuffer.wrap(Files.readAllBytes(log.segment)));

        // Retention by size: nothing may stay, so the tiered segment goes, the manifest first.
        log.retentionBytes = 0;
        await("retention moved the log start past the tiered segment", () -> log.logStart == 100);
        assertThat(manifest.list(topic.id(), 0)).isEmpty();
        await("the object deleted", () -> !Files.exists(dir.resolve("bucket").resolve(entry.objectKey())));

        assertThat(log.threads).as("who called the log").contains("tier-tick", "tier-retention", "tier-upload-1")
                .noneMatch(name -> name.startsWith("remote-read") || name.startsWith("main"));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** One sealed segment of {@code records} single-record batches (offset n at timestamp 1000 + n), all below the high watermark. */
    static final class FakeLog implements TieredLog {
        final Path dir;
        final Path segment;
        final long records;
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        volatile long tiered;
        volatile long logStart;
        volatile long retentionBytes = -1;

        FakeLog(Path dir, long records, int valueBytes) throws Exception {
            this.dir = Files.createDirectories(dir);
            this.records = records;
            this.segment = dir.resolve("00000000000000000000.log");
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                for (long o = 0; o < records; o++) {
                    ByteBuffer b = MemoryRecords.withRecords(o, Compression.NONE,
                            new SimpleRecord(1_000 + o, ("k" + o).getBytes(), new byte[valueBytes])).buffer();
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            }
        }

        private void called() {
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public TierPolicy tierPolicy() {
            return new TierPolicy(true, false, true, -1, retentionBytes, 1 << 20, 0);
        }

        @Override
        public Path dir() {
            return dir;
        }

        @Override
        public int leaderEpoch() {
            return 3;
        }

        @Override
        public long logStartOffset() {
            return logStart;
        }

        @Override
        public long localStartOffset() {
            return records;
        }

        @Override
        public long highWatermark() {
            return records;
        }

        @Override
        public long lastStableOffset() {
            return records;
        }

        @Override
        public List<SealedSegment> sealedSegments() {
            called();
            try {
                return List.of(new SealedSegment(0, records, segment, Files.size(segment), 1_000 + records - 1));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public boolean rollIfIdle(long nowMs) {
            called();
            return false;
        }

        @Override
        public Path snapshotFile(long offset) {
            return dir.resolve(offset + ".snapshot");
        }

        @Override
        public void markTiered(long nextOffset) {
            called();
            tiered = Math.max(tiered, nextOffset);
        }

        @Override
        public long tieredOffset() {
            return tiered;
        }

        @Override
        public long untieredBytes() {
            return 0;
        }

        @Override
        public int untieredSegments() {
            return 0;
        }

        @Override
        public int deleteTieredLocalSegments(long nowMs) {
            called();
            return 0;
        }

        @Override
        public void advanceLogStart(long offset) {
            called();
            logStart = Math.max(logStart, offset);
        }

        @Override
        public List<AbortedTxn> abortedTransactions(long from, long upTo) {
            return List.of();
        }

        @Override
        public void mapLocalKeys(CompactionMap map) {
        }

        @Override
        public ByteBuffer localBatches(long offset, int maxBytes) {
            return ByteBuffer.allocate(0);
        }
    }
}
