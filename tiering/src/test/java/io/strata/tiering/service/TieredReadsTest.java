package io.strata.tiering.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.metastore.store.SegmentEntry;
import io.strata.records.Batches;
import io.strata.tiering.segment.RemoteSegmentReader;
import io.strata.tiering.segment.SegmentObjectWriter;
import io.strata.tiering.store.ForwardingObjectStore;
import io.strata.tiering.store.LocalObjectStore;
import io.strata.tiering.store.ObjectStore;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class TieredReadsTest {
    @TempDir
    Path dir;

    /** Stores the object {@link #segmentObject} writes under {@code key}; returns its size. */
    private long stored(ObjectStore bucket, String key, long base) throws Exception {
        Path obj = segmentObject(key.replace('/', '-'), base);
        bucket.put(key, obj).get();
        return Files.size(obj);
    }

    /** Stores the object of offsets {@code base} to {@code base + 5999} under {@code key} and adds its manifest entry to {@code entries}. */
    private long storedEntry(ObjectStore bucket, ConcurrentSkipListMap<Long, SegmentEntry> entries, String key, long base) throws Exception {
        long size = stored(bucket, key, base);
        entries.put(base, new SegmentEntry(base, base + 5999, key, size, base, base + 5999, 0, 0));
        return size;
    }

    /** Offsets {@code base} to {@code base + 5999} in 2,000 batches of three records of about 600 bytes: an object of about 3.7 MB. */
    private Path segmentObject(String name, long base) throws Exception {
        Path f = dir.resolve(name + ".log");
        String pad = "x".repeat(600);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (long offset = base; offset < base + 6000; offset += 3) {
                MemoryRecords r = MemoryRecords.withRecords(offset, Compression.NONE, 0,
                        new SimpleRecord(offset, null, ("v" + offset + pad).getBytes()),
                        new SimpleRecord(offset, null, ("v" + (offset + 1) + pad).getBytes()),
                        new SimpleRecord(offset, null, ("v" + (offset + 2) + pad).getBytes()));
                ByteBuffer buf = r.buffer();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
        Path obj = dir.resolve(name + ".obj");
        SegmentObjectWriter.write(f, 0, obj);
        return obj;
    }

    @Test
    void aConsumerReadingForwardHasTheNextObjectsIndexAndFirstChunkAskedForAsFarAheadAsTheReaderPrefetches() throws Exception {
        Queue<String> asked = new ConcurrentLinkedQueue<>();
        try (LocalObjectStore local = new LocalObjectStore(dir.resolve("bucket"))) {
            ConcurrentSkipListMap<Long, SegmentEntry> entries = new ConcurrentSkipListMap<>();
            long size = storedEntry(local, entries, "t/0/a", 0);
            storedEntry(local, entries, "t/0/b", 6000);
            // The next object's end is answered only once its first chunk has been asked for: a read-ahead that asks for its
            // index first and its data after it (two round trips in a row where one would do) never gets it.
            ObjectStore recording = new DataFirstStore(local, "t/0/b", asked);
            RemoteSegmentReader reader = new RemoteSegmentReader(recording, 64 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
            TopicPartition tp = new TopicPartition("t", 0);
            TieredReads reads = new TieredReads(p -> CompletableFuture.completedFuture(entries), reader, null);

            // A fetch of 64 KiB about 1.8 MB before the first object's end: less than the reader's prefetch of four chunks.
            ByteBuffer served = reads.readAsync(tp, 3000, 64 * 1024).get(10, TimeUnit.SECONDS);
            assertThat(Batches.of(served).get(0).baseOffset()).isEqualTo(3000);
            assertThat(reader.prefetchBytes()).isGreaterThan(size / 2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!asked.contains("t/0/b@0+" + ((1 << 20) - 64)) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(asked).as("the next object's end (footer, indexes) and its first chunk, both asked for ahead")
                    .contains("t/0/b@0+" + ((1 << 20) - 64))
                    .anyMatch(a -> a.startsWith("t/0/b@") && !a.startsWith("t/0/b@0+"));

            // Entering the next object then asks for nothing more of its start.
            int before = asked.size();
            ByteBuffer next = reads.readAsync(tp, 6000, 64 * 1024).get(10, TimeUnit.SECONDS);
            assertThat(Batches.of(next)).isNotEmpty();
            assertThat(asked.stream().skip(before).filter(a -> a.startsWith("t/0/b@0+"))).isEmpty();
        }
    }

    @Test
    void aConsumersFirstReadAsksForTheNextObjectBeforeItsOwnBytesArrive() throws Exception {
        Queue<String> asked = new ConcurrentLinkedQueue<>();
        try (LocalObjectStore local = new LocalObjectStore(dir.resolve("bucket"))) {
            ConcurrentSkipListMap<Long, SegmentEntry> entries = new ConcurrentSkipListMap<>();
            long size = storedEntry(local, entries, "t/0/a", 0);
            storedEntry(local, entries, "t/0/b", 6000);
            // Every GET of the first object is answered only once the next object has been asked for: a read whose prefetch
            // reaches into the next object only after its own bytes are in hand (one round trip to the bucket lost at the
            // start of every consumer's reading) fails here.
            CompletableFuture<Void> nextAsked = new CompletableFuture<>();
            ObjectStore gated = new ForwardingObjectStore(local) {
                @Override
                public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
                    asked.add(key + "@" + offset + "+" + length);
                    if (key.equals("t/0/b")) {
                        nextAsked.complete(null);
                        return delegate.getRange(key, offset, length);
                    }
                    return delegate.getRange(key, offset, length).thenCombine(nextAsked.copy().orTimeout(5, TimeUnit.SECONDS), (b, v) -> b);
                }

                @Override
                public void close() {
                }
            };
            // 1 MiB chunks in a 64 MiB cache: a new partition's reads prefetch four chunks, about 4 MB.
            RemoteSegmentReader reader = new RemoteSegmentReader(gated, 64 << 20, 1 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
            TieredReads reads = new TieredReads(p -> CompletableFuture.completedFuture(entries), reader, null);

            // A new consumer's first fetch, about 1.8 MB before the first object's end.
            ByteBuffer served = reads.readAsync(new TopicPartition("t", 0), 3000, 64 * 1024).get(10, TimeUnit.SECONDS);
            assertThat(Batches.of(served).get(0).baseOffset()).isEqualTo(3000);
            assertThat(asked).as("the next object's start, asked for with the first read").contains("t/0/b@0+" + ((1 << 20) - 64));
        }
    }

    @Test
    void thePartitionsOfOneFetchStartReadingWithTheirShareOfTheCacheNotEachWithAllOfIt() throws Exception {
        Queue<String> asked = new ConcurrentLinkedQueue<>();
        try (LocalObjectStore local = new LocalObjectStore(dir.resolve("bucket"))) {
            ObjectStore recording = new ForwardingObjectStore(local) {
                @Override
                public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
                    asked.add(key + "@" + offset + "+" + length);
                    return delegate.getRange(key, offset, length);
                }

                @Override
                public void close() {
                }
            };
            // A 16 MiB cache of 1 MiB chunks: eight chunks of prefetch among the readers reading, one each among six; a
            // partition's depth starts at two.
            RemoteSegmentReader reader = new RemoteSegmentReader(recording, 16 << 20, 1 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
            List<ConcurrentSkipListMap<Long, SegmentEntry>> partitions = new java.util.ArrayList<>();
            List<TopicPartition> tps = new java.util.ArrayList<>();
            for (int p = 0; p < 6; p++) {
                ConcurrentSkipListMap<Long, SegmentEntry> entries = new ConcurrentSkipListMap<>();
                storedEntry(local, entries, "t/" + p + "/a", 0);
                partitions.add(entries);
                tps.add(new TopicPartition("t", p));
            }
            TieredReads reads = new TieredReads(tp -> CompletableFuture.completedFuture(partitions.get(tp.partition())), reader, null);

            // One fetch of six partitions from their start, as a consumer of a whole topic sends it.
            reads.readingTogether(tps);
            for (TopicPartition tp : tps) {
                assertThat(Batches.of(reads.readAsync(tp, 0, 64 * 1024).get(10, TimeUnit.SECONDS))).isNotEmpty();
            }
            for (int p = 0; p < 6; p++) {
                // Whole chunks of data: the GET of the object's end (its indexes and last chunk) is of another length.
                String chunkGet = "t/" + p + "/a@";
                assertThat(asked.stream().filter(a -> a.startsWith(chunkGet) && a.endsWith("+" + ((1 << 20) - 64))))
                        .as("partition %d: its first chunk and one fetched ahead, its share among six", p).hasSize(2);
            }
        }
    }

    @Test
    void aReadFromAnObjectsStartAsksForItsIndexAndFirstChunkTogether() throws Exception {
        Queue<String> asked = new ConcurrentLinkedQueue<>();
        try (LocalObjectStore local = new LocalObjectStore(dir.resolve("bucket"))) {
            ConcurrentSkipListMap<Long, SegmentEntry> entries = new ConcurrentSkipListMap<>();
            storedEntry(local, entries, "t/0/a", 0);
            // The object's end is answered only once its first chunk has been asked for: a read that waits for its index
            // before it asks for its data times out here.
            ObjectStore dataFirst = new DataFirstStore(local, "t/0/a", asked);
            RemoteSegmentReader reader = new RemoteSegmentReader(dataFirst, 64 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
            TieredReads reads = new TieredReads(p -> CompletableFuture.completedFuture(entries), reader, null);
            List<Batches.Batch> got = Batches.of(reads.readAsync(new TopicPartition("t", 0), 0, 64 * 1024).get(10, TimeUnit.SECONDS));
            assertThat(got.get(0).baseOffset()).isZero();
            assertThat(asked.stream().filter(a -> a.startsWith("t/0/a@0+"))).as("one GET of the first chunk").hasSize(1);
        }
    }

    @Test
    void readsThatDoNotGoOnWhereThePartitionsLastOneEndedLeaveItsPrefetchAsItWas() throws Exception {
        try (LocalObjectStore local = new LocalObjectStore(dir.resolve("bucket"))) {
            ConcurrentSkipListMap<Long, SegmentEntry> entries = new ConcurrentSkipListMap<>();
            for (int i = 0; i < 5; i++) {
                storedEntry(local, entries, "t/0/" + i, i * 6000L);
            }
            // Every GET answered 20 ms late: each read below enters an object whose index is not loaded, and waits.
            ObjectStore slow = new ForwardingObjectStore(local) {
                @Override
                public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
                    return delegate.getRange(key, offset, length).thenCombine(CompletableFuture.runAsync(() -> { },
                            CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS)), (b, v) -> b);
                }

                @Override
                public void close() {
                }
            };
            RemoteSegmentReader reader = new RemoteSegmentReader(slow, 64 << 20, 1 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
            TieredReads reads = new TieredReads(p -> CompletableFuture.completedFuture(entries), reader, null);
            TopicPartition tp = new TopicPartition("t", 0);
            // Seeks, back and forth: none goes on from the read before it.
            for (long offset : new long[] {25_000, 3_000, 19_000, 8_000, 14_000}) {
                assertThat(Batches.of(reads.readAsync(tp, offset, 64 * 1024).get(10, TimeUnit.SECONDS))).isNotEmpty();
            }
            // 1 MiB chunks in a 64 MiB cache: a partition's depth starts at four chunks, halfway to its ceiling of eight.
            assertThat(reads.depth(tp).chunks()).as("waits of reads that seek do not deepen the partition's prefetch").isEqualTo(4);
        }
    }

    /**
     * Records every ranged GET as "key@offset+length", and answers those of {@code gated} that do
     * not start at position 0 only once one that does has been asked for (or fails them after 5 s).
     */
    private static final class DataFirstStore extends ForwardingObjectStore {
        private final String gated;
        private final Queue<String> asked;
        private final CompletableFuture<Void> firstChunkAsked = new CompletableFuture<>();

        DataFirstStore(ObjectStore delegate, String gated, Queue<String> asked) {
            super(delegate);
            this.gated = gated;
            this.asked = asked;
        }

        @Override
        public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
            asked.add(key + "@" + offset + "+" + length);
            if (!key.equals(gated)) {
                return delegate.getRange(key, offset, length);
            }
            if (offset == 0) {
                firstChunkAsked.complete(null);
                return delegate.getRange(key, offset, length);
            }
            return delegate.getRange(key, offset, length).thenCombine(firstChunkAsked.copy().orTimeout(5, TimeUnit.SECONDS), (b, v) -> b);
        }

        @Override
        public void close() {
            // The test's store outlives the reader.
        }
    }
}
