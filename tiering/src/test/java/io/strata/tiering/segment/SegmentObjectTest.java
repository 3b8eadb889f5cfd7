package io.strata.tiering.segment;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.records.Batches;
import io.strata.tiering.store.LocalObjectStore;
import io.strata.tiering.store.ObjectStore;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A local segment turned into an object, then read back by offset and by time with ranged reads. */
class SegmentObjectTest {
    @TempDir
    Path dir;
    ObjectStore store;

    @BeforeEach
    void open() {
        store = new LocalObjectStore(dir.resolve("objects"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** 2,000 batches of 3 records each, offsets from 1000, timestamps 10 ms apart per batch. */
    private Path segment() throws Exception {
        return segment(0);
    }

    /** As {@link #segment()}, each value padded with {@code padding} more bytes. */
    private Path segment(int padding) throws Exception {
        String pad = "x".repeat(padding);
        Path f = dir.resolve("00000000000000001000.log");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long offset = 1000;
            for (int b = 0; b < 2000; b++) {
                long ts = 1_000_000 + b * 10L;
                MemoryRecords r = MemoryRecords.withRecords(Compression.NONE,
                        new SimpleRecord(ts, ("k" + b).getBytes(), ("value-" + offset + pad).getBytes()),
                        new SimpleRecord(ts + 1, ("k" + b).getBytes(), ("value-" + (offset + 1) + pad).getBytes()),
                        new SimpleRecord(ts + 2, ("k" + b).getBytes(), ("value-" + (offset + 2) + pad).getBytes()));
                for (MutableRecordBatch batch : r.batches()) {
                    batch.setLastOffset(offset + 2);
                }
                ByteBuffer buf = r.buffer();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                offset += 3;
            }
        }
        return f;
    }

    private String upload(Path segment) throws Exception {
        Path obj = dir.resolve("object");
        SegmentFooter footer = SegmentObjectWriter.write(segment, 7, obj);
        assertThat(footer.baseOffset()).isEqualTo(1000);
        assertThat(footer.lastOffset()).isEqualTo(1000 + 6000 - 1);
        assertThat(footer.leaderEpoch()).isEqualTo(7);
        assertThat(footer.objectSize()).isEqualTo(Files.size(obj));
        store.put("t/0/seg", obj).get();
        return "t/0/seg";
    }

    @Test
    void readsWholeBatchesFromAnyOffset() throws Exception {
        String key = upload(segment());
        long size = store.head(key).get().orElseThrow().size();
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, new SimpleMeterRegistry());
        for (long offset : new long[] {1000, 1001, 2500, 6998, 6999}) {
            ByteBuffer got = reader.read(key, size, offset, 1000);
            List<Batches.Batch> batches = Batches.of(got);
            assertThat(batches).isNotEmpty();
            assertThat(batches.get(0).baseOffset()).isLessThanOrEqualTo(offset);
            assertThat(batches.get(0).lastOffset()).isGreaterThanOrEqualTo(offset);
        }
        List<Long> all = new ArrayList<>();
        long next = 1000;
        while (next < 7000) {
            ByteBuffer got = reader.read(key, size, next, 300_000);
            for (Batches.Batch b : Batches.of(got)) {
                all.add(b.baseOffset());
                next = b.lastOffset() + 1;
            }
        }
        assertThat(all).hasSize(2000).isSorted();
    }

    @Test
    void anAsynchronousReadReturnsBeforeTheStoreAnswersAndCutsBatchesOnTheDecodingExecutor() throws Exception {
        String key = upload(segment(600));
        long size = store.head(key).get().orElseThrow().size();
        java.util.concurrent.CompletableFuture<Void> gate = new java.util.concurrent.CompletableFuture<>();
        AtomicInteger decoded = new AtomicInteger();
        java.util.concurrent.ExecutorService decoding = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            RemoteSegmentReader reader = new RemoteSegmentReader(new CountingStore(store, new AtomicInteger(), gate), 16 << 20,
                    new SimpleMeterRegistry(), task -> {
                        decoded.incrementAndGet();
                        decoding.execute(task);
                    });
            // Nothing answers until the gate opens: a read that waited on the store would not return here.
            var read = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                    () -> reader.readAsync(key, size, 2500, 300_000));
            var byTime = reader.findByTimestampAsync(key, size, 1_000_000 + 1200 * 10 + 1);
            Thread.sleep(100);
            assertThat(read).isNotDone();
            assertThat(byTime).isNotDone();
            gate.complete(null);
            ByteBuffer got = read.get(10, TimeUnit.SECONDS);
            ByteBuffer expected = new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()).read(key, size, 2500, 300_000);
            assertThat(got).isEqualTo(expected);
            assertThat(Batches.of(got).get(0).baseOffset()).isEqualTo(2500);
            assertThat(byTime.get(10, TimeUnit.SECONDS).orElseThrow().offset()).as("batch 1200's second record").isEqualTo(1000 + 1200 * 3 + 1);
            assertThat(decoded.get()).as("batches cut and checked on the decoding executor").isPositive();
        } finally {
            decoding.shutdownNow();
        }
    }

    @Test
    void aBatchLongerThanWhatTheReadFetchesFirstIsServedWhole() throws Exception {
        // A small batch, one of 2.5 MB (past the chunk that holds the bytes asked for and the scan allowance), a small one.
        Path f = dir.resolve("00000000000000000000.log");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long offset = 0;
            for (int valueBytes : new int[] {100, 2_500_000, 100}) {
                MemoryRecords r = MemoryRecords.withRecords(offset, Compression.NONE,
                        new SimpleRecord(1_000 + offset, ("k" + offset).getBytes(), new byte[valueBytes]));
                ByteBuffer buf = r.buffer();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                offset++;
            }
        }
        SegmentObjectWriter.write(f, 1, dir.resolve("big"));
        store.put("t/0/big", dir.resolve("big")).get();
        long size = Files.size(dir.resolve("big"));
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, new SimpleMeterRegistry());
        List<Batches.Batch> got = Batches.of(reader.read("t/0/big", size, 1, 1000));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).baseOffset()).isEqualTo(1);
        assertThat(got.get(0).sizeInBytes()).isGreaterThan(2_500_000);
        assertThat(Batches.of(reader.read("t/0/big", size, 0, 1000))).extracting(Batches.Batch::baseOffset).containsExactly(0L);
        assertThat(Batches.of(reader.read("t/0/big", size, 2, 1000))).extracting(Batches.Batch::baseOffset).containsExactly(2L);
    }

    @Test
    void aReadAheadFetchesTheIndexAndDataSoTheReadThatFollowsMakesNoRequest() throws Exception {
        // About 3.7 MB: four chunks, the last of them in the GET of the object's end.
        String key = upload(segment(600));
        long size = store.head(key).get().orElseThrow().size();
        AtomicInteger gets = new AtomicInteger();
        ObjectStore counting = new CountingStore(store, gets);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        RemoteSegmentReader reader = new RemoteSegmentReader(counting, 16 << 20, 1 << 20, metrics, Runnable::run);
        reader.readAhead(key, size, -1, reader.chunkBytes());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // The last chunk comes with the index; the first chunk after it.
        while (metrics.counter("strata.tiering.download.bytes").count() <= reader.chunkBytes() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        int before = gets.get();
        assertThat(before).as("the object's end (footer, indexes, last chunk) and its first chunk").isEqualTo(2);
        ByteBuffer got = reader.read(key, size, 1000, 100_000);
        assertThat(Batches.of(got).get(0).baseOffset()).isEqualTo(1000);
        // Its own bytes were fetched ahead: it asks only for the chunks after them (the last came with the index).
        assertThat(gets.get()).as("the read found its chunk fetched ahead").isEqualTo(before + 2);
        // Nothing to fetch without a cache to keep it in.
        RemoteSegmentReader uncached = new RemoteSegmentReader(counting, 0, new SimpleMeterRegistry());
        uncached.readAhead(key, size, -1, 1 << 20);
        Thread.sleep(100);
        assertThat(gets.get()).isEqualTo(before + 2);
    }

    @Test
    void aReadAheadFromAnObjectsStartAsksForItsFirstChunkBeforeItsIndexArrives() throws Exception {
        // About 3.7 MB: four chunks of 1 MiB, the first of them before the GET of the object's end.
        String key = upload(segment(600));
        long size = store.head(key).get().orElseThrow().size();
        // Every GET but the first chunk's is answered only once the first chunk has been asked for: a reader that asks for
        // the index first and the data after it (two round trips in a row where one would do) times out here.
        CountingStore slowIndex = dataFirst();
        RemoteSegmentReader reader = new RemoteSegmentReader(slowIndex, 16 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
        reader.readAhead(key, size, -1, reader.chunkBytes());
        ByteBuffer got = reader.readAsync(key, size, 1000, 100_000).get(10, TimeUnit.SECONDS);
        assertThat(Batches.of(got).get(0).baseOffset()).isEqualTo(1000);
        assertThat(slowIndex.asked).as("the first chunk, asked for once: the read shares the read-ahead's GET")
                .filteredOn(a -> a.startsWith(key + "@0+")).containsExactly(key + "@0+" + reader.chunkBytes());
        // Read on through the object: every batch once, in order, the first chunk's bytes among them.
        List<Long> all = new ArrayList<>();
        long next = 1000;
        while (next < 7000) {
            for (Batches.Batch b : Batches.of(reader.read(key, size, next, 300_000))) {
                all.add(b.baseOffset());
                next = b.lastOffset() + 1;
            }
        }
        assertThat(all).hasSize(2000).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aFirstChunkAskedForBeforeItsIndexIsCutWhereTheDataEnds() throws Exception {
        // Data of under 2 KB before a time index of 600 KB: the object's end is fetched from its third chunk of 256 KiB,
        // so the first chunk is asked for on its own before the index says the data ends two kilobytes in.
        long size = longIndexObject("t/0/longindex", 50_000);
        CountingStore slowIndex = dataFirst();
        RemoteSegmentReader reader = new RemoteSegmentReader(slowIndex, 16 << 20, 256 * 1024, new SimpleMeterRegistry(), Runnable::run);
        assertThat(RemoteSegmentReader.tailStart(size, reader.chunkBytes())).isGreaterThanOrEqualTo(reader.chunkBytes());
        reader.readAhead("t/0/longindex", size, -1, reader.chunkBytes());
        List<Long> offsets = new ArrayList<>();
        for (Batches.Batch b : Batches.of(reader.readAsync("t/0/longindex", size, 0, 1 << 20).get(10, TimeUnit.SECONDS))) {
            offsets.add(b.baseOffset());
        }
        assertThat(slowIndex.asked).contains("t/0/longindex@0+" + reader.chunkBytes());
        assertThat(offsets).as("the data's batches and nothing of the index after them").hasSize(20).startsWith(0L, 2L).endsWith(38L);
        int dataLength = (int) reader.index("t/0/longindex", size).footer().dataLength();
        assertThat(reader.cachedBytes()).as("the first chunk cached cut to the data, as a GET after the index would have asked for it")
                .isEqualTo(dataLength);
        assertThat(Batches.of(reader.read("t/0/longindex", size, 38, 1 << 20))).extracting(Batches.Batch::baseOffset).containsExactly(38L);
    }

    /** The test store, answering every GET but one starting at position 0 only once such a GET has been asked for. */
    private CountingStore dataFirst() {
        java.util.concurrent.CompletableFuture<Void> dataAsked = new java.util.concurrent.CompletableFuture<>();
        return new CountingStore(store, new AtomicInteger(), offset -> {
            if (offset == 0) {
                dataAsked.complete(null);
                return java.util.concurrent.CompletableFuture.completedFuture(null);
            }
            return dataAsked.copy().orTimeout(5, TimeUnit.SECONDS);
        });
    }

    @Test
    void theConfiguredPrefetchSetsHowManyChunksAReadStartsAheadWithinAQuarterOfTheCache() throws Exception {
        // About 3.7 MB: fourteen chunks of 256 KiB.
        String key = upload(segment(600));
        long size = store.head(key).get().orElseThrow().size();
        int chunk = 256 * 1024;
        // {prefetch asked for, cache, chunks ahead}: 1 MiB is four chunks, 2 MiB eight; 8 MiB in a 4 MiB cache is cut to 1 MiB.
        long[][] cases = {{1 << 20, 64 << 20, 4}, {2 << 20, 64 << 20, 8}, {8 << 20, 4 << 20, 4}};
        for (long[] c : cases) {
            CountingStore counting = new CountingStore(store, new AtomicInteger());
            RemoteSegmentReader reader = new RemoteSegmentReader(counting, c[1], chunk, c[0], new SimpleMeterRegistry(), Runnable::run);
            assertThat(reader.prefetchBytes()).isEqualTo(c[2] * reader.chunkBytes());
            reader.read(key, size, 1000, 1000);
            long dataChunksAsked = counting.asked.stream().filter(a -> {
                long at = Long.parseLong(a.substring(a.indexOf('@') + 1, a.indexOf('+')));
                return at < RemoteSegmentReader.tailStart(size, reader.chunkBytes());
            }).count();
            assertThat(dataChunksAsked).as("prefetch " + c[0] + " in a cache of " + c[1] + ": the read's chunk and those ahead")
                    .isEqualTo(1 + c[2]);
        }
    }

    @Test
    void aForwardReaderWhoseReadsWaitOnGetsHasItsPrefetchGrowToItsCeiling() throws Exception {
        // About 15 MB: 57 chunks of 256 KiB, room for a prefetch to grow through; in an 8 MiB cache one reader's prefetch starts
        // at four chunks and grows to a quarter of it, eight.
        String key = upload(segment(2400));
        long size = store.head(key).get().orElseThrow().size();
        java.util.concurrent.Executor later = java.util.concurrent.CompletableFuture.delayedExecutor(30, TimeUnit.MILLISECONDS);
        CountingStore slow = new CountingStore(store, new AtomicInteger(),
                offset -> java.util.concurrent.CompletableFuture.runAsync(() -> { }, later));
        RemoteSegmentReader reader = new RemoteSegmentReader(slow, 8 << 20, 256 * 1024, 256 * 1024, new SimpleMeterRegistry(),
                Runnable::run);
        int chunk = reader.chunkBytes();
        long dataEnd = reader.index(key, size).footer().dataLength();
        assertThat(dataEnd).as("chunks enough to grow through").isGreaterThan(40L * chunk);
        PrefetchDepth depth = reader.forwardReader();
        assertThat(depth.chunks()).as("it starts at half its ceiling").isEqualTo(4);

        // A consumer faster than the store: every few reads find their chunk still on its way.
        long next = 1000;
        long mostAhead = 0;
        while (next < 7000) {
            ByteBuffer got = reader.readAsync(key, size, next, 64 * 1024, depth).get(10, TimeUnit.SECONDS);
            List<Batches.Batch> batches = Batches.of(got);
            next = batches.get(batches.size() - 1).lastOffset() + 1;
            long readTo = reader.index(key, size).positionFloor(next);
            long farthest = slow.asked.stream().mapToLong(a -> Long.parseLong(a.substring(a.indexOf('@') + 1, a.indexOf('+'))))
                    .filter(at -> at < RemoteSegmentReader.tailStart(size, chunk)).max().orElse(0);
            mostAhead = Math.max(mostAhead, farthest / chunk - readTo / chunk);
        }
        assertThat(depth.chunks()).as("grown to its ceiling, 2 MiB of 256 KiB chunks").isEqualTo(8);
        assertThat(mostAhead).as("chunks asked for ahead of the read").isGreaterThanOrEqualTo(4);
    }

    @Test
    void aForwardReaderWaitingOnTheIndexesOfTheObjectsItEntersHasItsPrefetchGrow() throws Exception {
        // Five objects of about 280 KB, each smaller than a 1 MiB chunk: the GET of an object's end brings its index and all
        // its data, so a reader entering one waits on that GET alone and finds its chunk cached once the index is there.
        Path obj = dir.resolve("object");
        SegmentObjectWriter.write(segment(), 7, obj);
        for (int i = 0; i < 5; i++) {
            store.put("t/0/" + i, obj).get();
        }
        long size = store.head("t/0/0").get().orElseThrow().size();
        assertThat(size).isLessThan(1 << 20);
        CountingStore slow = new CountingStore(store, new AtomicInteger(), offset -> java.util.concurrent.CompletableFuture.runAsync(() -> { },
                java.util.concurrent.CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS)));
        // A 16 MiB cache of 1 MiB chunks: one reader's prefetch starts at two chunks and grows to a quarter of it, four.
        RemoteSegmentReader reader = new RemoteSegmentReader(slow, 16 << 20, 1 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
        PrefetchDepth depth = reader.forwardReader();
        for (int i = 0; i < 5; i++) {
            ByteBuffer got = reader.readAsync("t/0/" + i, size, 1000, 1000, depth).get(10, TimeUnit.SECONDS);
            assertThat(Batches.of(got)).isNotEmpty();
        }
        assertThat(slow.asked).as("one GET per object, its end").hasSize(5);
        assertThat(depth.chunks()).as("deeper as it enters objects, to its ceiling").isEqualTo(4);
    }

    @Test
    void readersReadingTogetherShareHalfTheCacheForTheirPrefetch() throws Exception {
        // About 3.7 MB: fourteen chunks of 256 KiB, under eight keys (eight partitions' objects).
        Path obj = dir.resolve("object");
        SegmentObjectWriter.write(segment(600), 7, obj);
        for (int i = 0; i < 8; i++) {
            store.put("t/" + i + "/seg", obj).get();
        }
        long size = store.head("t/0/seg").get().orElseThrow().size();
        // A 4 MiB cache of sixteen 256 KiB chunks, eight of them for prefetch; one reader's ceiling is a quarter, four chunks,
        // and it starts at two.
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, 256 * 1024, 256 * 1024, new SimpleMeterRegistry(),
                Runnable::run);
        PrefetchDepth alone = reader.forwardReader();
        reader.readAsync("t/0/seg", size, 1000, 1000, alone).get(10, TimeUnit.SECONDS);
        assertThat(alone.chunks()).as("its first read waited (for the index, then a chunk): twice as deep, once a read").isEqualTo(4);
        assertThat(reader.prefetchBytes(alone)).isEqualTo(4L * reader.chunkBytes());

        // Seven more read at once: eight chunks of prefetch shared by eight readers is one each.
        List<PrefetchDepth> others = new ArrayList<>();
        for (int i = 1; i < 8; i++) {
            PrefetchDepth d = reader.forwardReader();
            others.add(d);
            reader.readAsync("t/" + i + "/seg", size, 1000, 1000, d).get(10, TimeUnit.SECONDS);
        }
        // No pause: a reader starting to read has the readers counted again at once, not at the next count 25 ms on.
        reader.readAsync("t/0/seg", size, 1000, 1000, alone).get(10, TimeUnit.SECONDS);
        assertThat(reader.prefetchBytes(alone)).as("its share among eight").isEqualTo(reader.chunkBytes());
        PrefetchDepth late = reader.forwardReader();
        reader.readAsync("t/0/seg", size, 3000, 1000, late).get(10, TimeUnit.SECONDS);
        assertThat(reader.prefetchBytes(late)).as("a wait deepens its reads no further than its share").isEqualTo(reader.chunkBytes());
        assertThat(others).allSatisfy(d -> assertThat(reader.prefetchBytes(d)).isEqualTo(reader.chunkBytes()));
    }

    @Test
    void theGetsInFlightForReadersReadingTogetherAreTheirReadsAndTheirSharesOfPrefetch() {
        // The defaults: a 128 MiB cache of 4 MiB chunks, one chunk of prefetch at the least, eight at the most (a quarter of
        // the cache), sixteen chunks of prefetch among all readers (half the cache).
        RemoteSegmentReader defaults = new RemoteSegmentReader(store, RemoteSegmentReader.DEFAULT_CACHE_BYTES, RemoteSegmentReader.DEFAULT_CHUNK_BYTES,
                RemoteSegmentReader.PREFETCH_BYTES, new SimpleMeterRegistry(), Runnable::run);
        assertThat(defaults.forwardGetsInFlight(1)).isEqualTo(1 + 8);
        assertThat(defaults.forwardGetsInFlight(6)).as("sixteen chunks among six: two each").isEqualTo(6 * (1 + 2));
        assertThat(defaults.forwardGetsInFlight(16)).as("one each").isEqualTo(16 * (1 + 1));
        // A 64 MiB cache: four chunks at the most, eight among all readers.
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 64L << 20, RemoteSegmentReader.DEFAULT_CHUNK_BYTES,
                RemoteSegmentReader.PREFETCH_BYTES, new SimpleMeterRegistry(), Runnable::run);
        assertThat(reader.forwardGetsInFlight(1)).isEqualTo(1 + 4);
        assertThat(reader.forwardGetsInFlight(4)).as("eight among four").isEqualTo(4 * (1 + 2));
        assertThat(reader.forwardGetsInFlight(6)).as("eight chunks among six: one each").isEqualTo(6 * (1 + 1));
        assertThat(reader.forwardGetsInFlight(100)).as("never below the configured prefetch").isEqualTo(100 * (1 + 1));
        // A 1 GiB cache: a quarter would be 64 chunks ahead of one reader; the S3 client's connections bound it to eight,
        // and all readers' prefetch to 32 chunks.
        RemoteSegmentReader large = new RemoteSegmentReader(store, 1L << 30, RemoteSegmentReader.DEFAULT_CHUNK_BYTES,
                RemoteSegmentReader.PREFETCH_BYTES, new SimpleMeterRegistry(), Runnable::run);
        assertThat(large.forwardGetsInFlight(1)).isEqualTo(1 + 8);
        assertThat(large.forwardGetsInFlight(6)).as("32 chunks among six: five each").isEqualTo(6 * (1 + 5));
    }

    @Test
    void aChunkFetchedAheadAndDroppedUnreadHalvesItsReadersPrefetchNeverBelowTheConfiguredOne() {
        PrefetchDepth depth = PrefetchDepth.forward(2, 16);
        assertThat(depth.chunks()).as("it starts halfway to its ceiling").isEqualTo(8);
        depth.late();
        assertThat(depth.chunks()).as("a wait doubles it, to its ceiling").isEqualTo(16);
        depth.late();
        assertThat(depth.chunks()).isEqualTo(16);
        assertThat(depth.chunksWithin(4)).as("a read goes no deeper than its share, and the depth is kept").isEqualTo(4);
        assertThat(depth.chunksWithin(1)).as("never below the configured prefetch").isEqualTo(2);
        ChunkCache cache = new ChunkCache(4);
        cache.put("read", new byte[1], depth);
        cache.put("marked", new byte[1], depth);
        cache.put("unread", new byte[1], depth);
        cache.put("own", new byte[1]);
        assertThat(cache.get("read")).isNotNull();
        cache.markRead("marked");
        assertThat(cache.unreadBytes()).isEqualTo(1);
        // Three chunks fetched for reads push out "own", "read" and "marked", which were read or fetched for a read: they go
        // before any chunk not read yet, and count against nobody (a chunk a read took from its load is read).
        cache.put("a", new byte[1]);
        cache.put("b", new byte[1]);
        cache.put("c", new byte[1]);
        assertThat(cache.contains("unread")).as("kept: it was fetched ahead and is not read yet").isTrue();
        assertThat(cache.contains("own") || cache.contains("read") || cache.contains("marked")).isFalse();
        assertThat(depth.chunks()).isEqualTo(16);
        // Two chunks fetched ahead push out "a" and "b"; the next makes the chunks fetched ahead more than three quarters
        // of the cache, and the oldest of them goes.
        cache.put("d", new byte[1], depth);
        cache.put("e", new byte[1], depth);
        assertThat(cache.contains("unread")).isTrue();
        assertThat(cache.contains("a") || cache.contains("b")).isFalse();
        assertThat(depth.chunks()).isEqualTo(16);
        cache.put("f", new byte[1], depth);
        assertThat(cache.contains("unread")).isFalse();
        assertThat(depth.chunks()).as("one chunk dropped unread").isEqualTo(8);
        assertThat(cache.unreadBytes()).isEqualTo(3);
        for (int i = 0; i < 5; i++) {
            depth.wasted();
        }
        assertThat(depth.chunks()).as("never below the configured prefetch").isEqualTo(2);

        // A first read (a new consumer, a seek) reads at a fixed depth; its chunks dropped unread count against the partition's.
        depth.late();
        depth.late();
        assertThat(depth.chunks()).isEqualTo(8);
        PrefetchDepth first = depth.firstRead(depth.chunksWithin(6));
        first.late();
        assertThat(first.chunksWithin(16)).as("fixed: its waits deepen nothing").isEqualTo(6);
        assertThat(depth.chunks()).isEqualTo(8);
        first.evictedUnread();
        assertThat(depth.chunks()).as("its waste halves the partition's depth").isEqualTo(4);
    }

    @Test
    void chunksFetchedAheadPastThreeQuartersOfTheCacheGoBeforeTheChunkAReaderIsPartwayThrough() {
        // Seven chunks fetched ahead that nobody will read (a consumer that stopped) in a cache of eight, and one chunk a
        // consumer is reading in steps.
        AtomicInteger drops = new AtomicInteger();
        ChunkCache cache = new ChunkCache(8);
        for (int i = 1; i <= 7; i++) {
            cache.put("dead" + i, new byte[1], drops::incrementAndGet);
        }
        cache.put("reading", new byte[1]);
        assertThat(cache.get("reading")).isNotNull();
        // Its next chunk comes: the oldest chunk fetched ahead goes, as the unread ones hold more than three quarters.
        cache.put("next", new byte[1]);
        assertThat(cache.contains("reading")).as("the chunk it is partway through").isTrue();
        assertThat(cache.contains("dead1")).isFalse();
        assertThat(drops.get()).isEqualTo(1);
        assertThat(cache.unreadBytes()).as("down to three quarters of the cache").isEqualTo(6);
        // Within three quarters, the chunks fetched ahead stay, and the chunks read go, least recently used first.
        assertThat(cache.get("reading")).isNotNull();
        cache.put("next2", new byte[1]);
        assertThat(cache.unreadBytes()).isEqualTo(6);
        assertThat(cache.contains("next")).isFalse();
        assertThat(cache.contains("reading")).isTrue();

        // A chunk for a read with no chunk read left to push out: the chunks fetched ahead go, even within three quarters.
        ChunkCache small = new ChunkCache(4);
        small.put("ahead", new byte[3], drops::incrementAndGet);
        small.put("read", new byte[2]);
        assertThat(small.contains("ahead")).isFalse();
        assertThat(small.sizeInBytes()).isEqualTo(2);
        assertThat(small.unreadBytes()).isZero();
        assertThat(drops.get()).isEqualTo(2);
    }

    @Test
    void aReaderStartingToReadCountsAmongTheReadersAtOnce() {
        // A 16 MiB cache of 1 MiB chunks: eight chunks of prefetch shared by the readers reading; each starts at two chunks.
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 16 << 20, 1 << 20, 1 << 20, new SimpleMeterRegistry(), Runnable::run);
        List<PrefetchDepth> six = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            six.add(reader.forwardReader());
        }
        reader.reading(six.get(0));
        assertThat(reader.prefetchBytes(six.get(0))).as("alone: its own depth").isEqualTo(2L * reader.chunkBytes());
        // Five more start within the 25 ms between two counts of the readers: each is counted as it starts.
        for (int i = 1; i < 6; i++) {
            reader.reading(six.get(i));
        }
        assertThat(reader.prefetchBytes(six.get(5))).as("eight chunks among six").isEqualTo(reader.chunkBytes());
    }

    @Test
    void concurrentLoadsOfOneIndexShareTheirRequests() throws Exception {
        String key = upload(segment());
        long size = store.head(key).get().orElseThrow().size();
        AtomicInteger gets = new AtomicInteger();
        java.util.concurrent.CompletableFuture<Void> gate = new java.util.concurrent.CompletableFuture<>();
        RemoteSegmentReader reader = new RemoteSegmentReader(new CountingStore(store, gets, gate), 16 << 20, new SimpleMeterRegistry());
        // Both asked before either answer arrives, as the read-aheads of back-to-back fetches do.
        var first = reader.indexAsync(key, size);
        var second = reader.indexAsync(key, size);
        gate.complete(null);
        assertThat(first.get(10, TimeUnit.SECONDS)).isSameAs(second.get(10, TimeUnit.SECONDS));
        assertThat(gets.get()).as("one GET of the object's end").isEqualTo(1);
    }

    @Test
    void aForwardReadPaysNoRequestForTheIndexOrTheLastChunk() throws Exception {
        String key = upload(segment(600));
        long size = store.head(key).get().orElseThrow().size();
        AtomicInteger gets = new AtomicInteger();
        RemoteSegmentReader reader = new RemoteSegmentReader(new CountingStore(store, gets), 16 << 20, 1 << 20, new SimpleMeterRegistry(),
                Runnable::run);
        long dataEnd = reader.index(key, size).footer().dataLength();
        long chunks = (dataEnd + reader.chunkBytes() - 1) / reader.chunkBytes();
        assertThat(chunks).isEqualTo(4);
        assertThat(readForward(reader, key, size)).hasSize(2000).isSorted();
        // The object's end holds the footer, both indexes and the last chunk: one GET for it, one for each other chunk.
        assertThat(gets.get()).isEqualTo(chunks);
    }

    @Test
    void withTheDefaultChunksAnObjectUnderFourMebibytesIsReadWithOneRequest() throws Exception {
        String key = upload(segment(600));
        long size = store.head(key).get().orElseThrow().size();
        assertThat(size).isLessThan(RemoteSegmentReader.DEFAULT_CHUNK_BYTES);
        AtomicInteger gets = new AtomicInteger();
        // A cache of 64 MiB holds sixteen chunks of the default size.
        RemoteSegmentReader reader = new RemoteSegmentReader(new CountingStore(store, gets), 64 << 20, new SimpleMeterRegistry());
        assertThat(reader.chunkBytes()).isEqualTo(RemoteSegmentReader.DEFAULT_CHUNK_BYTES - RemoteSegmentReader.REGION_SLACK);
        assertThat(readForward(reader, key, size)).hasSize(2000).isSorted();
        // The object's end, moved back to the chunk boundary at 0, is all of it: footer, indexes and data in one GET.
        assertThat(gets.get()).isEqualTo(1);
    }

    @Test
    void aChunkIsAtMostASixteenthOfTheCache() {
        // Larger chunks would leave a cache too few of them: a partition's prefetched chunk would evict another's being read.
        RemoteSegmentReader small = new RemoteSegmentReader(store, 16 << 20, 4 << 20, new SimpleMeterRegistry(), Runnable::run);
        assertThat(small.chunkBytes()).isEqualTo((1 << 20) - RemoteSegmentReader.REGION_SLACK);
        RemoteSegmentReader tiny = new RemoteSegmentReader(store, 1 << 20, 4 << 20, new SimpleMeterRegistry(), Runnable::run);
        assertThat(tiny.chunkBytes()).isEqualTo(RemoteSegmentReader.MIN_CHUNK_BYTES - RemoteSegmentReader.REGION_SLACK);
        RemoteSegmentReader uncached = new RemoteSegmentReader(store, 0, 4 << 20, new SimpleMeterRegistry(), Runnable::run);
        assertThat(uncached.chunkBytes()).isEqualTo((4 << 20) - RemoteSegmentReader.REGION_SLACK);
    }

    /** The base offsets of the batches from 1000 to 7000, read forward 256 KiB at a time as a consumer would. */
    private static List<Long> readForward(RemoteSegmentReader reader, String key, long size) {
        List<Long> offsets = new ArrayList<>();
        long next = 1000;
        while (next < 7000) {
            for (Batches.Batch b : Batches.of(reader.read(key, size, next, 256 * 1024))) {
                offsets.add(b.baseOffset());
                next = b.lastOffset() + 1;
            }
        }
        return offsets;
    }

    @Test
    void indexesLongerThanTheObjectsEndTakeASecondRequest() throws Exception {
        long size = longIndexObject("t/0/longindex");
        AtomicInteger gets = new AtomicInteger();
        // Without a cache the object's end is not moved back to a chunk boundary (which here would take in all of it).
        RemoteSegmentReader reader = new RemoteSegmentReader(new CountingStore(store, gets), 0, new SimpleMeterRegistry());
        SegmentIndex idx = reader.index("t/0/longindex", size);
        assertThat(idx.footer().timeIndexLength()).isEqualTo(12 * 1000);
        assertThat(gets.get()).as("the object's end, then the indexes it did not hold").isEqualTo(2);
        List<Long> offsets = new ArrayList<>();
        for (Batches.Batch b : Batches.of(reader.read("t/0/longindex", size, 0, 1 << 20))) {
            offsets.add(b.baseOffset());
        }
        assertThat(offsets).hasSize(20).startsWith(0L, 2L).endsWith(38L);
        // The same index bytes, CRC-checked as they are when they come in the first GET: a flipped byte is reported.
        byte[] object = store.get("t/0/longindex").get();
        object[(int) idx.footer().timeIndexPosition() + 5] ^= 1;
        store.put("t/0/longindex-bad", object).get();
        assertThatThrownBy(() -> reader.index("t/0/longindex-bad", size)).isInstanceOf(CorruptSegmentObjectException.class)
                .hasMessageContaining("CRC");
    }

    /**
     * Stores, under {@code key}, an object of 20 batches of 2 records (offsets 0 to 39) whose time
     * index is long beside its data, as no writer of ours makes one; returns its size.
     */
    private long longIndexObject(String key) throws Exception {
        return longIndexObject(key, 1000);
    }

    /** As {@link #longIndexObject(String)}, with a time index of {@code timeEntries} entries. */
    private long longIndexObject(String key, int timeEntries) throws Exception {
        ByteBuffer data = ByteBuffer.allocate(64 * 1024);
        long offset = 0;
        for (int b = 0; b < 20; b++) {
            MemoryRecords r = MemoryRecords.withRecords(offset, Compression.NONE, 0,
                    new SimpleRecord(1_000 + b, null, ("v" + offset).getBytes()), new SimpleRecord(1_000 + b, null, ("v" + (offset + 1)).getBytes()));
            data.put(r.buffer());
            offset += 2;
        }
        data.flip();
        int dataLength = data.remaining();
        byte[] offsetIndex = ByteBuffer.allocate(8).putInt(0).putInt(0).array();
        byte[] timeIndex = new byte[12 * timeEntries];
        byte[] footer = new SegmentFooter(0, offset - 1, 1_000, 1_019, dataLength, offsetIndex.length, timeIndex.length, 0)
                .encode(ByteBuffer.wrap(offsetIndex), ByteBuffer.wrap(timeIndex));
        ByteBuffer object = ByteBuffer.allocate(dataLength + offsetIndex.length + timeIndex.length + footer.length);
        object.put(data).put(offsetIndex).put(timeIndex).put(footer);
        store.put(key, object.array()).get();
        return object.capacity();
    }

    /**
     * The test store, answering the GET of an object's end (footer and indexes) only once its data
     * (position 0) has been asked for: a reader that waits for the index before its first span
     * times out.
     */
    private ObjectStore footerAfterData(long size, java.util.concurrent.CompletableFuture<Void> dataAsked) {
        return new CountingStore(store, new AtomicInteger(), offset -> {
            if (offset == 0) {
                dataAsked.complete(null);
            }
            return offset == RemoteSegmentReader.tailStart(size, 0) ? dataAsked.orTimeout(5, TimeUnit.SECONDS)
                    : java.util.concurrent.CompletableFuture.completedFuture(null);
        });
    }

    /** An object store that counts its reads, and answers a ranged read once its {@code gate} (by range start) opens. */
    private static final class CountingStore extends io.strata.tiering.store.ForwardingObjectStore {
        private final AtomicInteger gets;
        private final java.util.function.LongFunction<java.util.concurrent.CompletableFuture<Void>> gate;
        /** Every ranged GET asked for, as "key@offset+length", in order. */
        final java.util.Queue<String> asked = new java.util.concurrent.ConcurrentLinkedQueue<>();

        CountingStore(ObjectStore delegate, AtomicInteger gets, java.util.function.LongFunction<java.util.concurrent.CompletableFuture<Void>> gate) {
            super(delegate);
            this.gets = gets;
            this.gate = gate;
        }

        CountingStore(ObjectStore delegate, AtomicInteger gets) {
            this(delegate, gets, java.util.concurrent.CompletableFuture.completedFuture(null));
        }

        CountingStore(ObjectStore delegate, AtomicInteger gets, java.util.concurrent.CompletableFuture<Void> gate) {
            this(delegate, gets, offset -> gate);
        }

        @Override
        public java.util.concurrent.CompletableFuture<byte[]> get(String key) {
            gets.incrementAndGet();
            return delegate.get(key);
        }

        @Override
        public java.util.concurrent.CompletableFuture<byte[]> getRange(String key, long offset, int length) {
            asked.add(key + "@" + offset + "+" + length);
            gets.incrementAndGet();
            return delegate.getRange(key, offset, length).thenCombine(gate.apply(offset), (b, v) -> b);
        }

        @Override
        public void close() {
            // The test's store outlives each reader.
        }
    }

    @Test
    void findsRecordsByTimestamp() throws Exception {
        String key = upload(segment());
        long size = store.head(key).get().orElseThrow().size();
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, new SimpleMeterRegistry());
        Batches.TimestampMatch m = reader.findByTimestamp(key, size, 1_000_000 + 500 * 10 + 1).orElseThrow();
        assertThat(m.offset()).isEqualTo(1000 + 500 * 3 + 1);
        assertThat(m.timestamp()).isEqualTo(1_000_000 + 500 * 10 + 1);
        assertThat(reader.findByTimestamp(key, size, 9_999_999)).isEmpty();
    }

    /** Offsets of every record in the runs a sequential reader hands out. */
    private static List<Long> readAll(SequentialSegmentReader reader) {
        List<Long> offsets = new ArrayList<>();
        ByteBuffer run;
        while ((run = reader.next()) != null) {
            for (MutableRecordBatch b : MemoryRecords.readableRecords(run).batches()) {
                assertThat(b.isValid()).isTrue();
                b.forEach(r -> offsets.add(r.offset()));
            }
        }
        return offsets;
    }

    @Test
    void aSequentialReadHandsOutEveryBatchOnceWhateverSpanCutsThem() throws Exception {
        String key = upload(segment());
        long size = Files.size(dir.resolve("object"));
        // The same object under a second key: two segments in a row, read as one partition's history.
        store.put("t/0/seg2", dir.resolve("object")).get();
        RemoteSegmentReader indexes = new RemoteSegmentReader(store, 0, new SimpleMeterRegistry());
        List<SequentialSegmentReader.Segment> one = List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999));
        List<Long> expected = new ArrayList<>();
        for (long o = 1000; o < 7000; o++) {
            expected.add(o);
        }
        // Spans smaller than a batch, cutting headers, of odd sizes, and larger than the object.
        for (int span : new int[]{40, 61, 97, 1000, 4096, 100_000, 8 << 20}) {
            for (int depth : new int[]{1, 3}) {
                // A first span as long as the others, and shorter ones: an eighth, and one that cuts the first batch.
                for (int first : new int[]{span, span / 8, 33}) {
                    try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes, one, 1000, Long.MAX_VALUE, span, first, depth)) {
                        assertThat(readAll(r)).as("span " + span + ", first span " + first + ", depth " + depth).isEqualTo(expected);
                    }
                }
            }
        }
        // From the middle: from the indexed batch at or before the offset (the caller skips what it did not ask for).
        try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes, one, 4001, Long.MAX_VALUE, 1000, 2)) {
            List<Long> got = readAll(r);
            assertThat(got.get(0)).isLessThanOrEqualTo(4001L).isGreaterThan(1000L);
            assertThat(got).isEqualTo(expected.subList((int) (got.get(0) - 1000), expected.size()));
        }
        List<SequentialSegmentReader.Segment> two = List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999),
                new SequentialSegmentReader.Segment("t/0/seg2", size, 1000, 6999));
        try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes, two, 1000, Long.MAX_VALUE, 3000, 2)) {
            assertThat(readAll(r)).hasSize(12_000);
        }
        // Segments about a span long, read whole, after a first one read in spans for its short first span.
        try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes, two, 1000, Long.MAX_VALUE, (int) size, (int) size / 8, 2)) {
            List<Long> twice = new ArrayList<>(expected);
            twice.addAll(expected);
            assertThat(readAll(r)).isEqualTo(twice);
        }
        try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes, two, 1000, 1000, 3000, 2)) {
            assertThat(readAll(r)).as("nothing below the end asked for").isEmpty();
        }
    }

    @Test
    void aSegmentReadFromItsStartAsksForItsDataBeforeItsIndexArrives() throws Exception {
        String key = upload(segment());
        long size = Files.size(dir.resolve("object"));
        List<SequentialSegmentReader.Segment> one = List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999));
        // Spans that end inside the data (the rest waits for the index), and one that runs on into the index (cut there),
        // with an object too long to be read whole.
        for (int span : new int[]{1000, 100_000, (int) (size * 2 / 3)}) {
            java.util.concurrent.CompletableFuture<Void> dataAsked = new java.util.concurrent.CompletableFuture<>();
            // The footer is answered only once the data's first span has been asked for (a reader that waits for the index
            // first times out here).
            ObjectStore slowIndex = footerAfterData(size, dataAsked);
            RemoteSegmentReader indexes = new RemoteSegmentReader(slowIndex, 0, new SimpleMeterRegistry());
            try (SequentialSegmentReader r = new SequentialSegmentReader(slowIndex, indexes, one, 1000, Long.MAX_VALUE, span, 2)) {
                List<Long> got = readAll(r);
                assertThat(got).as("span " + span).hasSize(6000).isSorted();
                assertThat(got.get(0)).isEqualTo(1000L);
            }
        }
    }

    @Test
    void aFirstSpanSentBeforeItsIndexIsCutWhereTheDataEnds() throws Exception {
        // An object whose indexes are long beside its data: a first span longer than the data, sent before the index
        // says where the data ends, runs on into the index and must be cut there.
        long size = longIndexObject("t/0/longindex");
        long offset = 40;
        int dataLength = (int) new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()).index("t/0/longindex", size)
                .footer().dataLength();
        List<Long> expected = new ArrayList<>();
        for (long o = 0; o < offset; o++) {
            expected.add(o);
        }
        for (int span : new int[]{dataLength / 3, dataLength + 500, dataLength * 4}) {
            java.util.concurrent.CompletableFuture<Void> dataAsked = new java.util.concurrent.CompletableFuture<>();
            ObjectStore slowIndex = footerAfterData(size, dataAsked);
            RemoteSegmentReader indexes = new RemoteSegmentReader(slowIndex, 0, new SimpleMeterRegistry());
            try (SequentialSegmentReader r = new SequentialSegmentReader(slowIndex, indexes,
                    List.of(new SequentialSegmentReader.Segment("t/0/longindex", size, 0, offset - 1)), 0, Long.MAX_VALUE, span, 2)) {
                assertThat(readAll(r)).as("span " + span + " of an object of " + size + " bytes, " + dataLength + " of data")
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void aSegmentAboutOneSpanLongIsReadInOneRequestAndItsFooterChecked() throws Exception {
        String key = upload(segment());
        Path obj = dir.resolve("object");
        long size = Files.size(obj);
        List<Long> expected = new ArrayList<>();
        for (long o = 1000; o < 7000; o++) {
            expected.add(o);
        }
        // Spans a little shorter than the object, and longer: the object in one GET, no footer or index GET.
        for (int span : new int[]{(int) (size - size / 10), (int) size, 8 << 20}) {
            AtomicInteger gets = new AtomicInteger();
            ObjectStore counting = new CountingStore(store, gets);
            RemoteSegmentReader indexes = new RemoteSegmentReader(counting, 0, new SimpleMeterRegistry());
            try (SequentialSegmentReader r = new SequentialSegmentReader(counting, indexes,
                    List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999)), 1000, Long.MAX_VALUE, span, 2)) {
                assertThat(readAll(r)).as("span " + span).isEqualTo(expected);
            }
            assertThat(gets.get()).as("span " + span).isEqualTo(1);
        }
        // Its index is not used, and still checked: a flipped byte in it fails the footer's CRC.
        try (RandomAccessFile f = new RandomAccessFile(obj.toFile(), "rw")) {
            f.seek(size - SegmentFooter.SIZE - 3);
            int b = f.read();
            f.seek(size - SegmentFooter.SIZE - 3);
            f.write(b ^ 0x01);
        }
        store.put("t/0/badindex", obj).get();
        RemoteSegmentReader indexes = new RemoteSegmentReader(store, 0, new SimpleMeterRegistry());
        try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes,
                List.of(new SequentialSegmentReader.Segment("t/0/badindex", size, 1000, 6999)), 1000, Long.MAX_VALUE, 8 << 20, 2)) {
            assertThatThrownBy(r::next).isInstanceOf(CorruptSegmentObjectException.class).hasMessageContaining("t/0/badindex")
                    .hasMessageContaining("CRC");
        }
        // A manifest whose size disagrees with the object's is an error, not a short or long read.
        for (long listed : new long[]{size - 1, size + 1}) {
            try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes,
                    List.of(new SequentialSegmentReader.Segment(key, listed, 1000, 6999)), 1000, Long.MAX_VALUE, 8 << 20, 2)) {
                assertThatThrownBy(r::next).as("listed as " + listed + " bytes").isInstanceOf(CorruptSegmentObjectException.class)
                        .hasMessageContaining(key);
            }
        }
    }

    @Test
    void aShortFirstSpanReadsEveryRecordOnceOnEveryPath() throws Exception {
        String key = upload(segment());
        long size = Files.size(dir.resolve("object"));
        store.put("t/0/seg2", dir.resolve("object")).get();
        List<SequentialSegmentReader.Segment> two = List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999),
                new SequentialSegmentReader.Segment("t/0/seg2", size, 1000, 6999));
        List<Long> expected = new ArrayList<>();
        for (long o = 1000; o < 7000; o++) {
            expected.add(o);
        }
        for (int first : new int[]{(int) size / 8, 33, 1000}) {
            // The first segment's index not loaded yet (a fresh reader of indexes, its footer answered only after the
            // first span was asked for): the first span goes out before the index says where the data ends.
            java.util.concurrent.CompletableFuture<Void> dataAsked = new java.util.concurrent.CompletableFuture<>();
            ObjectStore slowIndex = footerAfterData(size, dataAsked);
            try (SequentialSegmentReader r = new SequentialSegmentReader(slowIndex, new RemoteSegmentReader(slowIndex, 0, new SimpleMeterRegistry()),
                    two, 1000, Long.MAX_VALUE, (int) size, first, 2)) {
                List<Long> twice = new ArrayList<>(expected);
                twice.addAll(expected);
                assertThat(readAll(r)).as("first span " + first + ", index not loaded").isEqualTo(twice);
            }
            // From the middle of the first segment: from the indexed batch at or before the offset.
            try (SequentialSegmentReader r = new SequentialSegmentReader(store, new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()),
                    two.subList(0, 1), 4001, Long.MAX_VALUE, (int) size, first, 2)) {
                List<Long> got = readAll(r);
                assertThat(got.get(0)).as("first span " + first + ", from 4001").isLessThanOrEqualTo(4001L).isGreaterThan(1000L);
                assertThat(got).isEqualTo(expected.subList((int) (got.get(0) - 1000), expected.size()));
            }
            // An end inside the first segment: nothing of the second is asked for.
            AtomicInteger gets = new AtomicInteger();
            CountingStore counting = new CountingStore(store, gets);
            List<SequentialSegmentReader.Segment> inOrder = List.of(two.get(0), new SequentialSegmentReader.Segment("t/0/seg2", size, 7000, 12999));
            try (SequentialSegmentReader r = new SequentialSegmentReader(counting, new RemoteSegmentReader(counting, 0, new SimpleMeterRegistry()),
                    inOrder, 1000, 3000, (int) size, first, 2)) {
                assertThat(readAll(r)).as("first span " + first + ", to 3000").startsWith(1000L, 1001L).contains(2999L).doesNotContain(7000L);
            }
            assertThat(counting.asked).as("GETs of a read that ends in the first segment").noneMatch(a -> a.startsWith("t/0/seg2"));
        }
        // Data shorter than the first span, indexes long beside it: the first span runs on into the index and is cut
        // where the data ends, learned from the index that arrives after it.
        long longSize = longIndexObject("t/0/longindex");
        int dataLength = (int) new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()).index("t/0/longindex", longSize)
                .footer().dataLength();
        List<Long> forty = new ArrayList<>();
        for (long o = 0; o < 40; o++) {
            forty.add(o);
        }
        java.util.concurrent.CompletableFuture<Void> dataAsked = new java.util.concurrent.CompletableFuture<>();
        ObjectStore slowIndex = footerAfterData(longSize, dataAsked);
        try (SequentialSegmentReader r = new SequentialSegmentReader(slowIndex, new RemoteSegmentReader(slowIndex, 0, new SimpleMeterRegistry()),
                List.of(new SequentialSegmentReader.Segment("t/0/longindex", longSize, 0, 39)), 0, Long.MAX_VALUE, (int) longSize,
                dataLength + 500, 2)) {
            assertThat(readAll(r)).as("first span of " + (dataLength + 500) + " bytes, " + dataLength + " of data").isEqualTo(forty);
        }
    }

    @Test
    void theReadAheadGoesOutWithAShortFirstSpanBeforeItArrives() throws Exception {
        String key = upload(segment());
        long size = Files.size(dir.resolve("object"));
        store.put("t/0/seg2", dir.resolve("object")).get();
        store.put("t/0/seg3", dir.resolve("object")).get();
        List<SequentialSegmentReader.Segment> three = List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999),
                new SequentialSegmentReader.Segment("t/0/seg2", size, 1000, 6999), new SequentialSegmentReader.Segment("t/0/seg3", size, 1000, 6999));
        // Only the first span (the first segment's start) is held back; its index and the read-ahead are answered.
        AtomicInteger gets = new AtomicInteger();
        java.util.concurrent.CompletableFuture<Void> firstGate = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean gated = new java.util.concurrent.atomic.AtomicBoolean();
        CountingStore counting = new CountingStore(store, gets, offset -> offset == 0 && gated.compareAndSet(false, true) ? firstGate
                : java.util.concurrent.CompletableFuture.completedFuture(null));
        RemoteSegmentReader indexes = new RemoteSegmentReader(counting, 0, new SimpleMeterRegistry());
        int first = (int) size / 8;
        try (SequentialSegmentReader r = new SequentialSegmentReader(counting, indexes, three, 1000, Long.MAX_VALUE, (int) size, first, 3)) {
            java.util.concurrent.CompletableFuture<ByteBuffer> firstRun = new java.util.concurrent.CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    firstRun.complete(r.next());
                } catch (RuntimeException e) {
                    firstRun.completeExceptionally(e);
                }
            }, "first-next");
            caller.start();
            // Sent after the first span arrived, the read-ahead would leave the bucket idle while the first span is read:
            // it goes out with it (the first segment's rest, then the second segment whole).
            long dataLength = new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()).index(key, size).footer().dataLength();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (dataSpans(counting, dataLength).size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            // Time for any span asked for beyond the read-ahead's depth to be counted too.
            Thread.sleep(100);
            List<String> spans = dataSpans(counting, dataLength);
            assertThat(spans).as("spans asked for before the first arrived").hasSize(3);
            assertThat(firstRun).isNotDone();
            assertThat(spans.get(0)).as("the first is the short first span").isEqualTo(key + "@0+" + first);
            assertThat(spans.get(2)).as("the second segment, whole").isEqualTo("t/0/seg2@0+" + size);
            firstGate.complete(null);
            assertThat(firstRun.get(5, TimeUnit.SECONDS)).isNotNull();
            List<Long> got = new ArrayList<>();
            MemoryRecords.readableRecords(firstRun.get()).batches().forEach(b -> b.forEach(rec -> got.add(rec.offset())));
            assertThat(got).as("the first run is the short first span's whole batches").isNotEmpty().hasSizeLessThan(6000);
            got.addAll(readAll(r));
            List<Long> expected = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                for (long o = 1000; o < 7000; o++) {
                    expected.add(o);
                }
            }
            assertThat(got).isEqualTo(expected);
        }
    }

    @Test
    void theRestOfTheFirstSegmentGoesOutWithItsShortFirstSpanNotAfterItsIndex() throws Exception {
        String key = upload(segment());
        long size = Files.size(dir.resolve("object"));
        int first = (int) size / 8;
        // The index (any GET but the short span's and the rest's) is answered only once the rest has been asked for: a
        // reader that waits for the index before it asks for the rest never finishes.
        java.util.concurrent.CompletableFuture<Void> restAsked = new java.util.concurrent.CompletableFuture<>();
        CountingStore counting = new CountingStore(store, new AtomicInteger(), offset -> {
            if (offset == first) {
                restAsked.complete(null);
            }
            return offset == 0 || offset == first ? java.util.concurrent.CompletableFuture.completedFuture(null) : restAsked;
        });
        List<Long> expected = new ArrayList<>();
        for (long o = 1000; o < 7000; o++) {
            expected.add(o);
        }
        try (SequentialSegmentReader r = new SequentialSegmentReader(counting, new RemoteSegmentReader(counting, 0, new SimpleMeterRegistry()),
                List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999)), 1000, Long.MAX_VALUE, (int) size, first, 2)) {
            assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(r)).get(10, TimeUnit.SECONDS)).isEqualTo(expected);
        }
        assertThat(counting.asked).as("the short span and the rest, to the object's end").contains(key + "@0+" + first,
                key + "@" + first + "+" + (size - first));
    }

    @Test
    void aSpanIsHandedOutInRunsOfAtMostRunBytesEachBatchOnce() throws Exception {
        // About 6 MB of batches of about 3 KB, read in one span.
        String key = upload(segment(1000));
        long size = Files.size(dir.resolve("object"));
        assertThat(size).isGreaterThan(8L * SequentialSegmentReader.RUN_BYTES);
        List<Long> offsets = new ArrayList<>();
        int runs = 0;
        try (SequentialSegmentReader r = new SequentialSegmentReader(store, new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()),
                List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999)), 1000, Long.MAX_VALUE, 8 << 20, 2)) {
            ByteBuffer run;
            while ((run = r.next()) != null) {
                runs++;
                assertThat(run.remaining()).as("a run, so that its records are decoded while the CRC check left them in the cache")
                        .isLessThanOrEqualTo(SequentialSegmentReader.RUN_BYTES);
                for (MutableRecordBatch b : MemoryRecords.readableRecords(run).batches()) {
                    assertThat(b.isValid()).isTrue();
                    b.forEach(rec -> offsets.add(rec.offset()));
                }
            }
        }
        List<Long> expected = new ArrayList<>();
        for (long o = 1000; o < 7000; o++) {
            expected.add(o);
        }
        assertThat(offsets).isEqualTo(expected);
        assertThat(runs).isGreaterThan(8);
        // Spans that cut batches, several to the object, runs split within each: every batch once.
        for (int span : new int[]{(1 << 20) + 7, 3_000_001, 777_777}) {
            try (SequentialSegmentReader r = new SequentialSegmentReader(store, new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()),
                    List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999)), 1000, Long.MAX_VALUE, span, span / 3, 2)) {
                assertThat(readAll(r)).as("span " + span).isEqualTo(expected);
            }
        }
    }

    @Test
    void aFinishedReadersDepthIsLentToTheReadersStillReadingNeverMore() throws Exception {
        String key = upload(segment());
        long size = Files.size(dir.resolve("object"));
        for (int i = 1; i <= 4; i++) {
            store.put("t/1/seg" + i, dir.resolve("object")).get();
        }
        List<SequentialSegmentReader.Segment> four = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            four.add(new SequentialSegmentReader.Segment("t/1/seg" + i, size, 1000, 6999));
        }
        // Two readers of depth one, each segment one GET; the second's GETs answered only once let through. Read at once
        // (a pool of two): the second borrows the first's depth once it has finished. One after the other (a pool of one
        // at once): the first's depth is the second's own, nothing to lend.
        for (String how : List.of("together, first unfinished", "together, first finished", "one after the other")) {
            boolean finished = !how.endsWith("unfinished");
            ReadAheadPool pool = how.startsWith("together") ? new ReadAheadPool(2, 2) : new ReadAheadPool(1, 2);
            int lends = how.equals("together, first finished") ? 1 : 0;
            java.util.concurrent.CompletableFuture<Void> gate = new java.util.concurrent.CompletableFuture<>();
            CountingStore gated = new CountingStore(store, new AtomicInteger(), gate);
            SequentialSegmentReader first = new SequentialSegmentReader(store, new RemoteSegmentReader(store, 0, new SimpleMeterRegistry()),
                    List.of(new SequentialSegmentReader.Segment(key, size, 1000, 6999)), 1000, Long.MAX_VALUE, (int) size, (int) size, 1, pool);
            if (finished) {
                assertThat(readAll(first)).hasSize(6000);
                first.close();
                first.close(); // twice: counted once
                assertThatThrownBy(first::next).isInstanceOf(IllegalStateException.class);
            }
            assertThat(pool.free()).as(how).isEqualTo(lends);
            SequentialSegmentReader second = new SequentialSegmentReader(gated, new RemoteSegmentReader(gated, 0, new SimpleMeterRegistry()),
                    four, 1000, Long.MAX_VALUE, (int) size, (int) size, 1, pool);
            java.util.concurrent.CompletableFuture<List<Long>> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(second));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (gated.asked.size() < 1 + lends && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(100); // time for a GET beyond what it may have to be asked for too
            assertThat(gated.asked).as(how + ": its own span, and one lent").hasSize(1 + lends);
            assertThat(pool.free()).isZero();
            gate.complete(null);
            assertThat(read.get(10, TimeUnit.SECONDS)).hasSize(4 * 6000);
            second.close();
            if (!finished) {
                first.close();
            }
            assertThat(pool.free()).as(how + ": the depth of the readers no other is to start after, back").isEqualTo(how.startsWith("together") ? 2 : 1);
        }
    }

    /** The ranged GETs of data asked for, in order: those of the index and footer (past the data) left out. */
    private static List<String> dataSpans(CountingStore counting, long dataLength) {
        List<String> spans = new ArrayList<>();
        for (String a : counting.asked) {
            if (Long.parseLong(a.substring(a.indexOf('@') + 1, a.indexOf('+'))) < dataLength) {
                spans.add(a);
            }
        }
        return spans;
    }

    @Test
    void aSequentialReadReportsACorruptedBatchWithTheObjectAndNeverHandsItOut() throws Exception {
        Path seg = segment();
        Path obj = dir.resolve("object");
        SegmentObjectWriter.write(seg, 0, obj);
        try (RandomAccessFile f = new RandomAccessFile(obj.toFile(), "rw")) {
            f.seek(50_000);
            int b = f.read();
            f.seek(50_000);
            f.write(b ^ 0x55);
        }
        store.put("t/0/bad", obj).get();
        RemoteSegmentReader indexes = new RemoteSegmentReader(store, 0, new SimpleMeterRegistry());
        for (int span : new int[]{1000, 8 << 20}) {
            List<Long> seen = new ArrayList<>();
            try (SequentialSegmentReader r = new SequentialSegmentReader(store, indexes,
                    List.of(new SequentialSegmentReader.Segment("t/0/bad", Files.size(obj), 1000, 6999)), 1000, Long.MAX_VALUE, span, 2)) {
                assertThatThrownBy(() -> {
                    ByteBuffer run;
                    while ((run = r.next()) != null) {
                        for (MutableRecordBatch b : MemoryRecords.readableRecords(run).batches()) {
                            b.forEach(rec -> seen.add(rec.offset()));
                        }
                    }
                }).isInstanceOf(CorruptSegmentObjectException.class).hasMessageContaining("t/0/bad").hasMessageContaining("CRC");
            }
            assertThat(seen).as("nothing from the corrupted batch on (span " + span + ")").allMatch(o -> o < 2000 * 3 + 1000);
            assertThat(seen.size()).isLessThan(6000);
        }
    }

    @Test
    void aCorruptedByteIsReportedWithTheObjectAndOffsetNeverServed() throws Exception {
        Path seg = segment();
        Path obj = dir.resolve("object");
        SegmentObjectWriter.write(seg, 0, obj);
        try (RandomAccessFile f = new RandomAccessFile(obj.toFile(), "rw")) {
            f.seek(100);
            int b = f.read();
            f.seek(100);
            f.write(b ^ 0x55);
        }
        store.put("t/0/bad", obj).get();
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, new SimpleMeterRegistry());
        assertThatThrownBy(() -> reader.read("t/0/bad", Files.size(obj), 1000, 1000))
                .isInstanceOf(CorruptSegmentObjectException.class)
                .hasMessageContaining("t/0/bad").hasMessageContaining("offset 1000");
    }

    @Test
    void aDamagedFooterIsRejected() throws Exception {
        Path obj = dir.resolve("object");
        SegmentObjectWriter.write(segment(), 0, obj);
        long size = Files.size(obj);
        try (RandomAccessFile f = new RandomAccessFile(obj.toFile(), "rw")) {
            f.seek(size - 20);
            f.write(0xFF);
        }
        store.put("t/0/footer", obj).get();
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, new SimpleMeterRegistry());
        // The flipped byte lies in the lengths: caught by the size check or the CRC, never trusted.
        assertThatThrownBy(() -> reader.read("t/0/footer", size, 1000, 1000))
                .isInstanceOf(CorruptSegmentObjectException.class).hasMessageContaining("t/0/footer");
    }

    @Test
    void aFlippedIndexEntryIsCaughtByTheFooterCrc() throws Exception {
        Path obj = dir.resolve("object");
        SegmentFooter footer = SegmentObjectWriter.write(segment(), 0, obj);
        try (RandomAccessFile f = new RandomAccessFile(obj.toFile(), "rw")) {
            // The position of the second offset-index entry: a flip would send reads into the middle of a batch.
            long at = footer.offsetIndexPosition() + 8 + 4 + 3;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
        store.put("t/0/index", obj).get();
        RemoteSegmentReader reader = new RemoteSegmentReader(store, 4 << 20, new SimpleMeterRegistry());
        assertThatThrownBy(() -> reader.read("t/0/index", Files.size(obj), 3000, 1000))
                .isInstanceOf(CorruptSegmentObjectException.class).hasMessageContaining("index CRC mismatch");
    }

    @Test
    void minTimestampIsTheSmallestRecordTimestampNotTheSmallestBatchMaximum() throws Exception {
        Path f = dir.resolve("00000000000000000000.log");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // One batch whose records go back in time, the other compressed.
            MemoryRecords a = MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(5_000, null, "late".getBytes()), new SimpleRecord(1_000, null, "early".getBytes()));
            MemoryRecords b = MemoryRecords.withRecords(2L, Compression.gzip().build(), 0,
                    new SimpleRecord(9_000, null, "x".getBytes()), new SimpleRecord(3_000, null, "y".getBytes()));
            ch.write(a.buffer());
            ch.write(b.buffer());
        }
        SegmentFooter footer = SegmentObjectWriter.write(f, 0, dir.resolve("object"));
        assertThat(footer.minTimestamp()).isEqualTo(1_000);
        assertThat(footer.maxTimestamp()).isEqualTo(9_000);
    }
}
