package io.strata.tiering.segment;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.strata.records.BatchHeader;
import io.strata.records.BatchScan;
import io.strata.records.Batches;
import io.strata.tiering.store.ObjectStore;
import io.strata.tiering.store.ObjectStoreException;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads record batches out of sealed-segment objects with ranged GETs: the footer and indexes
 * once per object (kept), in one GET of the object's end that brings its last data chunk too,
 * and data in chunks (one ranged GET each, 4 MiB unless configured; an object read from its start
 * has its first chunk asked for with its index, not after it) through a bounded
 * {@link ChunkCache}, with the chunks of the next few megabytes fetched ahead (a consumer reads
 * forward; {@value #PREFETCH_BYTES} bytes at the least unless configured, deeper for a consumer
 * whose reads wait on GETs: {@link PrefetchDepth}), and
 * {@link #readAhead} for a caller that knows where the next read begins, across objects. Every
 * batch handed out has passed its CRC check; a bad one is reported with the object and offset,
 * never served. Thread-safe; the {@code *Async} methods never block a thread on the object
 * store, the others wait for them.
 */
public final class RemoteSegmentReader {
    /**
     * The chunk size a node reads with unless configured ({@code tiering.read.chunk.bytes}): each
     * GET costs the S3 client and the server CPU of its own, and a bucket bills it, so a consumer
     * catching up from history is served with fewer, larger ones. Measured here with kcat reading
     * 300 MB through a warm node, alternating nodes: 4 MiB chunks 0.53–0.58 s a read and
     * 0.55–0.68 node CPU-seconds, 1 MiB chunks 0.59–0.74 s and 0.65–0.93, with a quarter of the
     * GETs (each set had one or two outliers of 1–1.7 s). A random read of a few kilobytes fetches
     * one whole chunk: smaller chunks suit a workload of those.
     */
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** The smallest chunk: one read's GETs (up to {@link #MAX_READ_BYTES} of chunks) go out together, so this bounds their number. */
    public static final int MIN_CHUNK_BYTES = 256 * 1024;
    /**
     * Chunks a cache holds at the least: a chunk is at most this fraction of it, so that the
     * chunks partitions read from and the ones prefetched for them are not evicted before they
     * are used (a 64 MiB cache holds sixteen of the default chunk, the default 128 MiB one 32).
     */
    static final int MIN_CHUNKS_CACHED = 16;
    /**
     * A chunk is this much shorter than its setting, so that its array with the array header fills
     * whole G1 regions when the setting is a multiple of the region size: an array of exactly
     * 1 MiB is humongous in 1 MiB regions and takes two (the cache held twice the heap it counted:
     * 200 such arrays grew a 1 GiB G1 heap by 400 MiB, 200 of 1 MiB less 64 bytes by 200 MiB).
     * A chunk of half a region or more is humongous in any case (allocated in whole regions of
     * its own, and freed at the next young collection once unreferenced); the slack keeps it from
     * taking one region more.
     */
    static final int REGION_SLACK = 64;
    /**
     * Data fetched ahead of what a read needs at the least unless configured ({@code tiering.read.prefetch.bytes}), in
     * whole chunks: one 4 MiB chunk by default. A consumer reading forward goes deeper by itself ({@link PrefetchDepth}),
     * as far as the cache has room for: in an earlier measurement, without the cache emptied before each read (so apart from
     * {@link #DEFAULT_CACHE_BYTES}'s figures), six partitions read at once through a link modelled on S3 took 1.14–1.23 s per
     * 300 MB in a 64 MiB cache, the default then (1.17–1.26 s with the prefetch fixed at one chunk) and 0.76–0.90 s in a 256 MiB
     * one, where a fixed 4 MiB took 1.19–1.25 s and a fixed 16 MiB, tuned by hand, 0.78–0.89 s. A fixed 8 MiB in the
     * 64 MiB cache had made them slower (1.32 to 1.50–1.67 s): prefetched chunks evicted each other.
     */
    public static final int PREFETCH_BYTES = 4 << 20;
    /**
     * The cache a node reads segment objects through unless configured ({@code tiering.cache.bytes}). 128 MiB, not 64:
     * half of it is what the partitions being read share for their prefetch, and at 64 MiB six partitions read at once
     * kept one chunk ahead each, however long their reads waited on GETs. Through a link modelled on S3 (30 ms to the
     * first byte, 90 MB/s per connection), six partitions' 300 MB, the cache emptied before each read, took 1.14–1.22 s
     * at 64 MiB, 0.78–0.99 s at 128 MiB and 0.76–1.08 s at 256 MiB, with the same node CPU and 12–15 ms of GC per
     * 780 MB read at 64 and 128 MiB (28 ms at 256). Its chunks fill whole G1 regions ({@link #REGION_SLACK}), so a full
     * cache holds 128 MiB of the heap; the broker cuts it to a quarter of the heap.
     */
    public static final long DEFAULT_CACHE_BYTES = 128L << 20;
    /** The most of the cache one partition's prefetch may take: four readers' worth fit whole. */
    static final int MAX_PREFETCH_SHARE = 4;
    /**
     * The most chunks a forward reader's prefetch grows to, and all forward readers' together: the
     * S3 client keeps 50 connections, and a read's own GET should not queue behind prefetches
     * (in a 1 GiB cache a quarter would have been 64 GETs out for one partition).
     */
    static final int MAX_READER_PREFETCH_CHUNKS = 8;
    static final int MAX_PREFETCH_CHUNKS = 32;

    /** Bytes of one cached chunk and one GET. */
    private final int chunk;
    /** Chunks fetched ahead of the ones read, at the least. */
    private final int prefetchChunks;
    /** The most chunks a forward reader's prefetch grows to: a quarter of the cache, {@value #MAX_READER_PREFETCH_CHUNKS} at most. */
    private final int prefetchCeiling;
    /** The depth of reads that are not a forward reader's: the configured prefetch, not adapting. */
    private final PrefetchDepth fixedDepth;

    private final ObjectStore store;
    private final ChunkCache cache;
    private final Executor decoding;
    /** Loaded indexes, least recently used first; bounded so months of history cannot fill the heap. */
    private final Map<String, SegmentIndex> indexes = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, SegmentIndex> eldest) {
                    return size() > MAX_CACHED_INDEXES;
                }
            });
    static final int MAX_CACHED_INDEXES = 4096;
    private final SharedLoads<byte[]> chunkLoads = new SharedLoads<>();
    /** The forward readers made ({@link #forwardReader}), while their callers keep them. */
    private final java.util.Set<PrefetchDepth> readers = java.util.Collections.synchronizedSet(
            java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
    /** How many forward readers read in the last {@value #ACTIVE_NANOS} ns, and when that was counted. */
    private final java.util.concurrent.atomic.AtomicLong activeCount = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong activeCounted = new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - ACTIVE_NANOS);
    static final long ACTIVE_NANOS = 250_000_000L;
    private final SharedLoads<SegmentIndex> indexLoads = new SharedLoads<>();
    private final Counter hits;
    private final Counter misses;
    private final Counter downloaded;
    private final Timer latency;

    public RemoteSegmentReader(ObjectStore store, long cacheBytes, MeterRegistry metrics) {
        this(store, cacheBytes, metrics, Runnable::run);
    }

    /**
     * {@code decoding}: where batches are cut and CRC-checked once their bytes are in hand (not the
     * object store's completion threads, which other reads wait on).
     */
    public RemoteSegmentReader(ObjectStore store, long cacheBytes, MeterRegistry metrics, Executor decoding) {
        this(store, cacheBytes, DEFAULT_CHUNK_BYTES, metrics, decoding);
    }

    /**
     * {@code chunkBytes}: the size of the ranged GETs data is read with, and the cache's unit (at
     * least {@value #MIN_CHUNK_BYTES}); with a cache, at most a sixteenth of it
     * ({@value #MIN_CHUNKS_CACHED} chunks), which a larger setting is cut to.
     */
    public RemoteSegmentReader(ObjectStore store, long cacheBytes, int chunkBytes, MeterRegistry metrics, Executor decoding) {
        this(store, cacheBytes, chunkBytes, PREFETCH_BYTES, metrics, decoding);
    }

    /**
     * {@code prefetchBytes}: data fetched ahead of each read at the least, in whole chunks (at least
     * one); with a cache, at most a quarter of it ({@value #MAX_PREFETCH_SHARE} partitions'
     * prefetch fit).
     */
    public RemoteSegmentReader(ObjectStore store, long cacheBytes, int chunkBytes, long prefetchBytes, MeterRegistry metrics,
                               Executor decoding) {
        if (chunkBytes < MIN_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk of " + chunkBytes + " bytes is smaller than " + MIN_CHUNK_BYTES);
        }
        long fitting = cacheBytes > 0 ? Math.max(MIN_CHUNK_BYTES, Math.min(chunkBytes, cacheBytes / MIN_CHUNKS_CACHED)) : chunkBytes;
        this.chunk = (int) fitting - REGION_SLACK;
        long ahead = cacheBytes > 0 ? Math.min(prefetchBytes, cacheBytes / MAX_PREFETCH_SHARE) : prefetchBytes;
        this.prefetchChunks = (int) Math.max(1, Math.min(ahead / chunk, Integer.MAX_VALUE));
        this.prefetchCeiling = (int) Math.max(prefetchChunks, Math.min(cacheBytes / MAX_PREFETCH_SHARE / chunk, MAX_READER_PREFETCH_CHUNKS));
        this.fixedDepth = PrefetchDepth.fixed(prefetchChunks);
        this.store = store;
        this.decoding = decoding;
        this.cache = new ChunkCache(cacheBytes);
        this.hits = metrics.counter("strata.tiering.cache.hits");
        this.misses = metrics.counter("strata.tiering.cache.misses");
        this.downloaded = metrics.counter("strata.tiering.download.bytes");
        this.latency = metrics.timer("strata.tiering.download.latency");
    }

    /** Bytes of one chunk: one ranged GET of data, and the cache's unit. */
    int chunkBytes() {
        return chunk;
    }

    /** Bytes the chunk cache holds (for tests). */
    long cachedBytes() {
        return cache.sizeInBytes();
    }

    public SegmentIndex index(String key, long objectSize) {
        SegmentIndex cached = indexes.get(key);
        if (cached != null) {
            return cached;
        }
        return await(key, indexAsync(key, objectSize));
    }

    /**
     * As {@link #index}, without blocking: a reader going forward asks for the next segments'
     * indexes ahead, so their GETs are not on its path.
     */
    public CompletableFuture<SegmentIndex> indexAsync(String key, long objectSize) {
        SegmentIndex cached = indexes.get(key);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        // One load per object at a time: read-aheads of back-to-back fetches ask for the same indexes.
        return indexLoads.load(key, () -> {
            // A load that finished between the look above and this one has cached its index: no second GET of the object's end.
            SegmentIndex loaded = indexes.get(key);
            return loaded != null ? CompletableFuture.completedFuture(loaded) : loadIndexAsync(key, objectSize);
        });
    }

    /**
     * The footer and both indexes in one GET of the object's end, sized to hold them with room
     * (see {@link #tailStart}); on this machine's S3 server a request costs as much CPU as
     * megabytes of data, and a footer read alone was one of three requests per segment a
     * consumer reading forward paid beyond its data. Indexes longer than the tail (a writer with
     * a shorter index interval) take a second GET. With a cache, the tail starts on a chunk
     * boundary and its whole data chunks are kept: the last chunk or two of the object cost no
     * request of their own.
     */
    private CompletableFuture<SegmentIndex> loadIndexAsync(String key, long objectSize) {
        if (objectSize < SegmentFooter.SIZE) {
            return CompletableFuture.failedFuture(new CorruptSegmentObjectException(key,
                    "object of " + objectSize + " bytes is shorter than its footer"));
        }
        long tailStart = tailStart(objectSize, cache.maxBytes() > 0 ? chunk : 0);
        return store.getRange(key, tailStart, (int) (objectSize - tailStart)).thenCompose(tail -> {
            byte[] footerBytes = java.util.Arrays.copyOfRange(tail, Math.max(0, tail.length - SegmentFooter.SIZE), tail.length);
            SegmentFooter f = SegmentFooter.decode(footerBytes, key);
            if (f.objectSize() != objectSize || tail.length != objectSize - tailStart) {
                throw new CorruptSegmentObjectException(key, "footer describes " + f.objectSize() + " bytes, object has " + objectSize);
            }
            if (f.offsetIndexPosition() >= tailStart) {
                int at = (int) (f.offsetIndexPosition() - tailStart);
                SegmentIndex loaded = indexOf(key, footerBytes, f,
                        java.util.Arrays.copyOfRange(tail, at, at + f.offsetIndexLength() + f.timeIndexLength()));
                keepChunks(key, tail, tailStart, f.dataLength());
                indexes.put(key, loaded);
                return CompletableFuture.completedFuture(loaded);
            }
            return store.getRange(key, f.offsetIndexPosition(), f.offsetIndexLength() + f.timeIndexLength())
                    .thenApply(idx -> {
                        SegmentIndex loaded = indexOf(key, footerBytes, f, idx);
                        indexes.put(key, loaded);
                        return loaded;
                    });
        });
    }

    /**
     * Where the GET for an object's footer and indexes starts. Our writer indexes every 64 KiB of
     * batches at 20 bytes an entry, so the indexes are about 1/3,000 of the object: 1/1,024 and
     * 4 KiB more holds them with room. {@code chunk}: when positive, moved back to a boundary of
     * chunks that long, so the data it takes in is whole chunks.
     */
    static long tailStart(long objectSize, int chunk) {
        long start = Math.max(0, objectSize - (objectSize / 1024 + 4096 + SegmentFooter.SIZE));
        return chunk > 0 ? start / chunk * chunk : start;
    }

    /**
     * Caches the whole data chunks an object's tail holds, as {@link #fetch} would have fetched
     * them, counted as fetched ahead: no read asked for them yet, and they hold the cache as
     * prefetched chunks do.
     */
    private void keepChunks(String key, byte[] tail, long tailStart, long dataEnd) {
        for (long c = (tailStart + chunk - 1) / chunk; c * chunk < dataEnd; c++) {
            long start = c * chunk;
            long end = Math.min(start + chunk, dataEnd);
            String ck = key + "#" + c;
            if (cache.maxBytes() > 0 && !cache.contains(ck)) {
                byte[] bytes = java.util.Arrays.copyOfRange(tail, (int) (start - tailStart), (int) (end - tailStart));
                cache.put(ck, bytes, ChunkCache.NO_READER);
                downloaded.increment(bytes.length);
            }
        }
    }

    private static SegmentIndex indexOf(String key, byte[] footerBytes, SegmentFooter f, byte[] idx) {
        byte[] off = new byte[f.offsetIndexLength()];
        byte[] time = new byte[f.timeIndexLength()];
        System.arraycopy(idx, 0, off, 0, off.length);
        System.arraycopy(idx, off.length, time, 0, time.length);
        SegmentFooter.verify(footerBytes, off, time, key);
        return new SegmentIndex(f, off, time);
    }

    /**
     * Whole, CRC-checked batches from the one containing {@code offset}, up to {@code maxBytes}
     * (at least one batch). Blocks; {@link #readAsync} does not.
     */
    public ByteBuffer read(String key, long objectSize, long offset, int maxBytes) {
        return await(key, readAsync(key, objectSize, offset, maxBytes));
    }

    /**
     * As {@link #read}, without blocking a thread on the object store: the index, then the chunks
     * from the index floor on are fetched (or found cached), and the batches are cut and
     * CRC-checked on the {@code decoding} executor once they are all in hand.
     */
    public CompletableFuture<ByteBuffer> readAsync(String key, long objectSize, long offset, int maxBytes) {
        return readAsync(key, objectSize, offset, maxBytes, fixedDepth);
    }

    /**
     * As {@link #readAsync(String, long, long, int)} for a reader going forward, whose prefetch
     * runs {@code depth} ahead of it and adapts to how its reads find their chunks.
     */
    public CompletableFuture<ByteBuffer> readAsync(String key, long objectSize, long offset, int maxBytes, PrefetchDepth depth) {
        int bounded = Math.min(maxBytes, MAX_READ_BYTES);
        CompletableFuture<SegmentIndex> index = indexAsync(key, objectSize);
        // A reader entering an object whose index is not loaded waits on a GET as for a chunk: its read-ahead, which reaches
        // into the next objects as far as its prefetch, did not reach far enough. (The first chunk, asked for with the index,
        // may arrive with it: counting only chunk waits, such a wait would not count.) One wait counts once per read.
        boolean waited = !index.isDone();
        if (waited) {
            reading(depth);
            depth.late();
        }
        return withTimeout(key, index.thenCompose(idx -> {
            long floor = idx.positionFloor(offset);
            // The walk from the floor to the batch is about an index interval, and the batches served follow it.
            return readFrom(key, idx, offset, bounded, floor, floor + (long) bounded + SCAN_ALLOWANCE, depth, waited);
        }));
    }

    /**
     * A prefetch depth for one reader going forward, such as a partition's consumer: it starts
     * at half its ceiling (never below the configured prefetch), the ceiling being a quarter of the cache
     * ({@value #MAX_READER_PREFETCH_CHUNKS} chunks at most), and deepens while the reader's reads
     * wait on GETs; each read fetches ahead within its share of half the cache
     * ({@value #MAX_PREFETCH_CHUNKS} chunks at most) among the readers reading (see
     * {@link PrefetchDepth}). The caller keeps it for as long as the reader reads on, and passes
     * it only with reads that continue where its last one ended; a read that does not is given
     * {@link #firstReadOf} it.
     */
    public PrefetchDepth forwardReader() {
        PrefetchDepth d = PrefetchDepth.forward(prefetchChunks, prefetchCeiling);
        readers.add(d);
        return d;
    }

    /**
     * The depth for a read of {@code reader}'s partition that does not go on where its last one
     * ended (a new consumer's first fetch, a seek): as deep as {@code reader} is within its share
     * of the cache now, counted among the readers reading, and fixed (see
     * {@link PrefetchDepth#firstRead}). A consumer starting on history fetches ahead from its
     * first read; with the configured prefetch alone it waited for its first chunk before its
     * prefetch could reach further.
     */
    public PrefetchDepth firstReadOf(PrefetchDepth reader) {
        reading(reader);
        return reader.firstRead(reader.chunksWithin(share()));
    }

    /**
     * {@code depth}'s reader reads now. A forward reader that had not read lately is added to the
     * count of readers reading at once, not at the next count up to 25 ms later: the partitions of
     * one fetch start reading within a millisecond, and each should find its share among all of
     * them. (The count itself, a walk over every reader, stays at most one every 25 ms.)
     */
    public void reading(PrefetchDepth depth) {
        long now = System.nanoTime();
        if (!depth.reading(now, now - ACTIVE_NANOS) && depth.isForward()) {
            activeCount.incrementAndGet();
        }
    }

    /**
     * The most chunks one forward reader may have fetched ahead now: half the cache (at most
     * {@value #MAX_PREFETCH_CHUNKS} chunks) shared among
     * the readers that read in the last quarter second. Six partitions read at once through a 64 MiB
     * cache (sixteen 4 MiB chunks; the default until 2026-12-06) had room for one chunk ahead each: with up to two, chunks
     * fetched ahead pushed out others before they were read, and a third of the bytes were
     * fetched twice. One partition alone goes as deep as its ceiling.
     */
    private int share() {
        long now = System.nanoTime();
        long counted = activeCounted.get();
        // One thread counts; the others take the count as it is.
        if (now - counted > ACTIVE_NANOS / 10 && activeCounted.compareAndSet(counted, now)) {
            long since = now - ACTIVE_NANOS;
            int n = 0;
            synchronized (readers) {
                for (PrefetchDepth d : readers) {
                    if (d.readSince(since)) {
                        n++;
                    }
                }
            }
            activeCount.set(n);
        }
        return shareAmong(activeCount.get());
    }

    private int shareAmong(long readers) {
        return (int) (Math.min(cache.maxBytes() / 2 / chunk, MAX_PREFETCH_CHUNKS) / Math.max(1, readers));
    }

    /**
     * The GETs of data nominally in flight for {@code readers} consumers reading forward together:
     * each one's read and the chunks fetched ahead of it, as deep as its ceiling and share let
     * it go (a benchmark runs its raw GETs at this concurrency).
     */
    public int forwardGetsInFlight(int readers) {
        return readers * (1 + Math.max(prefetchChunks, Math.min(prefetchCeiling, shareAmong(readers))));
    }

    /** Bytes beyond {@code maxBytes} fetched for the walk from the index floor to the batch sought; more is fetched when it is longer. */
    static final int SCAN_ALLOWANCE = 128 * 1024;
    /**
     * The most one read serves (a larger first batch excepted): its chunks are all requested at
     * once, so this bounds the GETs one read has in flight; a reader wanting more reads on.
     */
    public static final int MAX_READ_BYTES = 8 << 20;
    /** How long a read may wait for the object store, as a blocking read always could. */
    static final long READ_TIMEOUT_SECONDS = 60;

    /** {@code counted}: a wait of this read's has made {@code depth} deeper already. */
    private CompletableFuture<ByteBuffer> readFrom(String key, SegmentIndex idx, long offset, int maxBytes, long floor, long upTo,
                                                   PrefetchDepth depth, boolean counted) {
        long dataEnd = idx.footer().dataLength();
        long to = Math.min(dataEnd, upTo);
        if (floor >= to) {
            // Answered on the decoding executor like any other read, never on the store's completion thread.
            return CompletableFuture.supplyAsync(() -> ByteBuffer.allocate(0), decoding);
        }
        return span(key, floor, to, dataEnd, depth, counted).thenComposeAsync(span -> {
            try {
                return CompletableFuture.completedFuture(batchesFrom(key, span, floor, dataEnd, offset, maxBytes));
            } catch (Span.TooShort e) {
                if (to >= dataEnd || e.needed > dataEnd) {
                    throw new CorruptSegmentObjectException(key, "data ends before position " + e.needed);
                }
                // A batch larger than the allowance, or an index interval that is: fetch on to what it needs.
                return readFrom(key, idx, offset, maxBytes, floor, Math.max(e.needed, to + chunk), depth, true);
            }
        }, decoding);
    }

    /** The batches {@link #read} serves, from a span that holds them; {@link Span.TooShort} when it does not. */
    private static ByteBuffer batchesFrom(String key, Span span, long floor, long dataEnd, long offset, int maxBytes) {
        long pos = BatchScan.positionOf(p -> BatchHeader.parse(span.slice(p, BatchHeader.SIZE)), floor, dataEnd, offset);
        if (pos < 0) {
            return ByteBuffer.allocate(0);
        }
        int want = (int) Math.min(Math.max(maxBytes, BatchHeader.SIZE), dataEnd - pos);
        // At least the first batch, whatever maxBytes says (as Kafka serves an oversized first batch).
        want = Math.max(want, BatchHeader.parse(span.slice(pos, BatchHeader.SIZE)).totalSize());
        ByteBuffer buf = span.slice(pos, (int) Math.min(want, span.end() - pos));
        int cut = 0;
        while (buf.limit() - cut >= BatchHeader.SIZE) {
            buf.position(cut);
            BatchHeader h = BatchHeader.parse(buf);
            if (cut + h.totalSize() > buf.limit()) {
                if (cut == 0) {
                    throw new Span.TooShort(pos + h.totalSize());
                }
                break;
            }
            cut += h.totalSize();
        }
        buf.position(0).limit(cut);
        ByteBuffer out = buf.slice();
        for (Batches.Batch b : Batches.of(out)) {
            if (!b.isValid()) {
                throw new CorruptSegmentObjectException(key, "batch at offset " + b.baseOffset() + " fails its CRC check");
            }
        }
        return out;
    }

    /** The first record at or after {@code timestamp} in this object, if any. Blocks. */
    public Optional<Batches.TimestampMatch> findByTimestamp(String key, long objectSize, long timestamp) {
        return await(key, findByTimestampAsync(key, objectSize, timestamp));
    }

    /** As {@link #findByTimestamp}, without blocking: each run of batches is read as {@link #readAsync} reads it. */
    public CompletableFuture<Optional<Batches.TimestampMatch>> findByTimestampAsync(String key, long objectSize, long timestamp) {
        return withTimeout(key, indexAsync(key, objectSize).thenCompose(idx -> {
            if (idx.footer().maxTimestamp() < timestamp) {
                return CompletableFuture.supplyAsync(Optional::<Batches.TimestampMatch>empty, decoding);
            }
            long from = idx.scanStartForTimestamp(timestamp);
            return scanForTimestamp(key, objectSize, from < 0 ? idx.footer().baseOffset() : from, idx.footer().lastOffset() + 1, timestamp);
        }));
    }

    private CompletableFuture<Optional<Batches.TimestampMatch>> scanForTimestamp(String key, long objectSize, long offset, long endOffset,
                                                                                 long timestamp) {
        if (offset >= endOffset) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return readAsync(key, objectSize, offset, 256 * 1024).thenComposeAsync(run -> {
            if (!run.hasRemaining()) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            BatchScan.Step step = BatchScan.step(run, timestamp);
            return step.match().isPresent() ? CompletableFuture.completedFuture(step.match())
                    : scanForTimestamp(key, objectSize, step.nextOffset(), endOffset, timestamp);
        }, decoding);
    }

    /**
     * How many bytes of a consumer's next requests one read-ahead fetches at the most: an eighth of
     * the cache, so the read-ahead of several consumers and the chunks of the reads in hand fit
     * together. A forward reader whose prefetch has grown reaches as far as it
     * ({@link #prefetchBytes(PrefetchDepth)}), within its own bounds.
     */
    public long readAheadBudget() {
        return cache.maxBytes() / 8;
    }

    /**
     * Starts the GETs for up to {@code bytes} of data from the batch holding {@code offset} (or
     * from the object's start when {@code offset} is negative: then the first chunk's GET goes out
     * with the index's), loading the index if it is not loaded, and returns at once: a consumer
     * reading forward finds its next request's bytes cached or on their way. A failed read-ahead
     * is reported to the reads that share its GETs, or to the next read, which asks again.
     */
    public void readAhead(String key, long objectSize, long offset, long bytes) {
        readAhead(key, objectSize, offset, bytes, fixedDepth);
    }

    /** As {@link #readAhead(String, long, long, long)} for a forward reader, whose depth adapts to chunks dropped unread. */
    public void readAhead(String key, long objectSize, long offset, long bytes, PrefetchDepth depth) {
        if (bytes <= 0 || readAheadBudget() <= 0) {
            return;
        }
        CompletableFuture<SegmentIndex> index = indexAsync(key, objectSize);
        if (offset < 0 && !index.isDone()) {
            firstChunkAlongside(key, objectSize, index, depth);
        }
        index.thenAccept(idx -> {
            long dataEnd = idx.footer().dataLength();
            long pos = offset < 0 ? 0 : idx.positionFloor(offset);
            long end = Math.min(dataEnd, pos + bytes);
            for (long c = pos / chunk; c * chunk < end; c++) {
                if (!cache.contains(key + "#" + c)) {
                    fetch(key, c, dataEnd, depth);
                }
            }
        }).exceptionally(t -> null);
    }

    /**
     * The GET of an object's first chunk, sent with the GET of its index instead of after it: a
     * reader going forward enters each object at its start, where the data begins, so the chunk's
     * range is known before the footer says where the data ends. A consumer crossing into the next
     * object then waits for one round trip to the bucket, not two in a row. Cached as
     * {@link #fetch} would have cached it: cut to the data's end once the index says where that
     * is. Not for an object whose first chunk the index's own GET brings.
     */
    private void firstChunkAlongside(String key, long objectSize, CompletableFuture<SegmentIndex> index, PrefetchDepth owner) {
        String ck = key + "#0";
        if (cache.maxBytes() <= 0 || tailStart(objectSize, chunk) < chunk || cache.contains(ck)) {
            return;
        }
        loadChunk(key, 0, chunk, index.thenApply(idx -> idx.footer().dataLength()), owner).exceptionally(t -> null);
    }

    /** Bytes of data the reader keeps fetched ahead of a read at the least: whole chunks of its prefetch setting, at least one. */
    public long prefetchBytes() {
        return (long) prefetchChunks * chunk;
    }

    /** Bytes of data a forward reader's prefetch runs ahead of its reads now. */
    public long prefetchBytes(PrefetchDepth depth) {
        return (long) depth.chunksWithin(share()) * chunk;
    }

    /**
     * The chunks holding data bytes {@code [from, to)}, each from the cache or fetched, and the
     * prefetch's chunks after them started (a reader going forward finds them downloaded, or on
     * their way). A chunk not downloaded yet makes the prefetch deeper.
     */
    private CompletableFuture<Span> span(String key, long from, long to, long dataEnd, PrefetchDepth depth, boolean counted) {
        long first = from / chunk;
        long last = (to - 1) / chunk;
        @SuppressWarnings("unchecked")
        CompletableFuture<byte[]>[] chunks = new CompletableFuture[(int) (last - first + 1)];
        boolean waited = false;
        for (long c = first; c <= last; c++) {
            byte[] cached = cache.get(key + "#" + c);
            if (cached != null) {
                hits.increment();
                chunks[(int) (c - first)] = CompletableFuture.completedFuture(cached);
            } else {
                misses.increment();
                waited = true;
                String ck = key + "#" + c;
                // Its GET may be a prefetch's, whose chunk was cached as unread: this read has it.
                chunks[(int) (c - first)] = fetch(key, c, dataEnd, null).whenComplete((b, t) -> cache.markRead(ck));
            }
        }
        reading(depth);
        int share = share();
        if (waited && !counted) {
            depth.late();
        }
        int ahead = depth.chunksWithin(share);
        for (long next = last + 1; next <= last + ahead && next * chunk < dataEnd; next++) {
            if (!cache.contains(key + "#" + next)) {
                fetch(key, next, dataEnd, depth);
            }
        }
        return CompletableFuture.allOf(chunks).thenApply(v -> {
            byte[][] held = new byte[chunks.length][];
            for (int i = 0; i < chunks.length; i++) {
                held[i] = chunks[i].join();
            }
            return new Span(first * chunk, chunk, held);
        });
    }

    /**
     * Consecutive chunks of an object's data held for one read, so a read never goes back to a
     * cache that may have dropped them meanwhile. Asked for bytes it does not hold, it says how
     * far it would have to reach ({@link TooShort}).
     */
    private record Span(long start, int chunk, byte[][] chunks) {
        long end() {
            long n = start;
            for (byte[] c : chunks) {
                n += c.length;
            }
            return n;
        }

        /**
         * Bytes {@code [pos, pos+len)}: a view of one chunk when they lie in one and are a good
         * part of it (a small view would keep the whole chunk alive after the cache drops it),
         * else a copy. A view shares the cached chunk, which nothing that reads it writes to; it
         * is not read-only because CRC checks of a buffer without an array go byte by byte.
         */
        ByteBuffer slice(long pos, int len) {
            if (pos < start || pos + len > end()) {
                throw new TooShort(pos + len);
            }
            int i = (int) ((pos - start) / chunk);
            int within = (int) (pos - start - (long) i * chunk);
            if (within + len <= chunks[i].length && (len <= BatchHeader.SIZE || len >= chunks[i].length / 4)) {
                return ByteBuffer.wrap(chunks[i], within, len).slice();
            }
            byte[] out = new byte[len];
            int filled = 0;
            while (filled < len) {
                int n = Math.min(len - filled, chunks[i].length - within);
                System.arraycopy(chunks[i], within, out, filled, n);
                filled += n;
                i++;
                within = 0;
            }
            return ByteBuffer.wrap(out);
        }

        /** Thrown by {@link #slice} for bytes past the span's end: the position the read needs to reach. */
        static final class TooShort extends RuntimeException {
            final long needed;

            TooShort(long needed) {
                super(null, null, false, false);
                this.needed = needed;
            }
        }
    }

    /** {@code owner}: the forward reader this chunk is fetched ahead for, if it is; null for a read's own chunk. */
    private CompletableFuture<byte[]> fetch(String key, long idx, long dataEnd, PrefetchDepth owner) {
        return loadChunk(key, idx, (int) Math.min(chunk, dataEnd - idx * chunk), CompletableFuture.completedFuture(dataEnd), owner);
    }

    /**
     * Chunk {@code idx}'s GET of {@code len} bytes, shared by whoever asks for the chunk while it
     * runs, and cached cut to the data's end once {@code dataEnd} is known (a GET sent before the
     * index may reach past it).
     */
    private CompletableFuture<byte[]> loadChunk(String key, long idx, int len, CompletableFuture<Long> dataEnd, PrefetchDepth owner) {
        String ck = key + "#" + idx;
        return chunkLoads.load(ck, () -> {
            // A load that finished between the caller's look in the cache and this one's start has cached the chunk.
            byte[] cached = cache.get(ck);
            if (cached != null) {
                return CompletableFuture.completedFuture(cached);
            }
            long start = idx * chunk;
            long t0 = System.nanoTime();
            return store.getRange(key, start, len).whenComplete((b, t) -> {
                if (t == null) {
                    latency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                }
            }).thenCombine(dataEnd, (b, end) -> {
                byte[] data = start + b.length <= end ? b : java.util.Arrays.copyOf(b, (int) Math.max(0, end - start));
                // Cached before it is counted, and before the load is shared no more: whoever sees the bytes counted,
                // or asks for the chunk next, finds them cached.
                cache.put(ck, data, owner);
                downloaded.increment(b.length);
                return data;
            });
        });
    }

    /** {@code f}, failed with an {@link ObjectStoreException} if it has not completed in {@value #READ_TIMEOUT_SECONDS} s. */
    private static <T> CompletableFuture<T> withTimeout(String key, CompletableFuture<T> f) {
        return f.orTimeout(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS).exceptionallyCompose(t -> {
            Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
            return CompletableFuture.failedFuture(cause instanceof TimeoutException
                    ? new ObjectStoreException("reading " + key + " timed out", cause) : cause);
        });
    }

    /** The result of a GET, waited for at most 60 s; failures as the object store's exceptions. */
    static <T> T await(String key, CompletableFuture<T> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new ObjectStoreException("reading " + key + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new ObjectStoreException("reading " + key + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException("interrupted reading " + key, e);
        }
    }

    /** Forgets a deleted object's index. */
    public void evict(String key) {
        indexes.remove(key);
    }
}
