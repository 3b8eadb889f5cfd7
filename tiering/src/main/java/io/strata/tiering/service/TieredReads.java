package io.strata.tiering.service;

import io.strata.metastore.store.SegmentEntry;
import io.strata.records.Batches;
import io.strata.tiering.segment.PrefetchDepth;
import io.strata.tiering.segment.RemoteSegmentReader;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * Reads of a partition's tiered history for fetches and ListOffsets: the manifest entries say
 * which object holds an offset (or may hold a timestamp), the {@link RemoteSegmentReader} reads
 * it, and a consumer reading forward has its next request's bytes fetched ahead, across objects.
 * Nothing here waits on the object store or the MetaStore: every answer is a future that the
 * GETs (or the first load of a partition's entries) complete. Thread-safe.
 */
final class TieredReads {
    private static final Logger log = LoggerFactory.getLogger(TieredReads.class);

    private final Function<TopicPartition, CompletableFuture<ConcurrentSkipListMap<Long, SegmentEntry>>> entries;
    private final RemoteSegmentReader reader;
    private final TieredLogs logs;
    /** Each partition's consumer reading forward, and how far ahead of it the reads prefetch. */
    private final Map<TopicPartition, PrefetchDepth> depths = new ConcurrentHashMap<>();
    /** Partitions whose depth is kept: a node serving more forgets them all, and their depths start again. */
    static final int MAX_DEPTHS = 10_000;

    /** {@code entries}: a partition's manifest entries by base offset, as the tiering service keeps them. */
    TieredReads(Function<TopicPartition, CompletableFuture<ConcurrentSkipListMap<Long, SegmentEntry>>> entries,
                RemoteSegmentReader reader, TieredLogs logs) {
        this.entries = entries;
        this.reader = reader;
        this.logs = logs;
    }

    /**
     * Batches from object storage starting with the one holding {@code offset}, up to
     * {@code maxBytes}; empty when object storage holds no batch there. No thread waits on the
     * object store: the GETs complete the future, and the batches are cut and checked on the
     * {@code remote-read} threads.
     */
    public CompletableFuture<ByteBuffer> readAsync(TopicPartition tp, long offset, int maxBytes) {
        return entries.apply(tp).thenCompose(m -> {
            Map.Entry<Long, SegmentEntry> e = m.floorEntry(offset);
            if (e == null || e.getValue().lastOffset() < offset) {
                return CompletableFuture.completedFuture(ByteBuffer.allocate(0));
            }
            PrefetchDepth partition = depth(tp);
            // Only a read that goes on where the partition's last one ended is a consumer reading forward: a seek, a new
            // consumer's first fetch or a second group reading the same partition elsewhere prefetches as deep as the
            // partition's reads do now, and its waits do not make the partition's deeper.
            PrefetchDepth depth = partition.continuesAt(offset) ? partition : reader.firstReadOf(partition);
            return readFrom(tp, m, e, offset, maxBytes, depth, partition).whenComplete((out, t) -> {
                if (t != null) {
                    partition.readTo(-1);
                }
            });
        });
    }

    /**
     * The partitions of one fetch about to be read: each counts among the readers sharing the
     * cache from now on, before the first of them reads. Counted one by one as they read, the first
     * partitions of a fetch took the prefetch share of a reader alone: six partitions starting
     * together filled the cache with chunks fetched ahead and pushed some out before they were
     * read, each drop halving its reader's depth.
     */
    void readingTogether(java.util.Collection<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            reader.reading(depth(tp));
        }
    }

    /** The partition's prefetch depth (package-private for tests). */
    PrefetchDepth depth(TopicPartition tp) {
        PrefetchDepth d = depths.get(tp);
        if (d == null) {
            if (depths.size() >= MAX_DEPTHS) {
                depths.clear();
            }
            d = depths.computeIfAbsent(tp, t -> reader.forwardReader());
        }
        return d;
    }

    /**
     * From the object of {@code e} on. A compacted object may hold no batch at or after the
     * offset (the cleaner removed them): the next batch is in a later object, or in the local
     * log, as a compacted local segment's next batch is in the next segment. {@code partition}
     * learns where the read ended.
     */
    private CompletableFuture<ByteBuffer> readFrom(TopicPartition tp, ConcurrentSkipListMap<Long, SegmentEntry> m,
                                                   Map.Entry<Long, SegmentEntry> e, long offset, int maxBytes, PrefetchDepth depth,
                                                   PrefetchDepth partition) {
        if (e == null) {
            ByteBuffer local = localAfterTiered(tp, offset, maxBytes);
            partition.readTo(local.hasRemaining() ? nextOffset(local) : -1);
            return CompletableFuture.completedFuture(local);
        }
        SegmentEntry s = e.getValue();
        // The prefetch reaches into the next objects from the read's start, not once its bytes are in hand: through a link
        // modelled on S3, a consumer starting on 8 MiB objects waited 80 ms for its first chunk with the GETs for the object
        // after it not sent. From an object's start, its first chunk's GET goes out with its index's.
        startReadAhead(tp, m, e, offset, maxBytes, depth);
        return reader.readAsync(s.objectKey(), s.sizeBytes(), Math.max(offset, s.baseOffset()), maxBytes, depth).thenCompose(out -> {
            if (!out.hasRemaining()) {
                return readFrom(tp, m, m.higherEntry(e.getKey()), offset, maxBytes, depth, partition);
            }
            long next = nextOffset(out);
            partition.readTo(next);
            startReadAhead(tp, m, e, next, maxBytes, depth);
            return CompletableFuture.completedFuture(out);
        });
    }

    /** {@link #readAhead}; a read-ahead that cannot start (a store closing) fails no read, which asks for its bytes itself. */
    private void startReadAhead(TopicPartition tp, ConcurrentSkipListMap<Long, SegmentEntry> m, Map.Entry<Long, SegmentEntry> e,
                                long from, int maxBytes, PrefetchDepth depth) {
        try {
            readAhead(m, e, from, maxBytes, depth);
        } catch (RuntimeException ex) {
            log.debug("read-ahead for {} not started", tp, ex);
        }
    }

    /** A compacted partition's next batch after its tiered objects, when it is local; else nothing. */
    private ByteBuffer localAfterTiered(TopicPartition tp, long offset, int maxBytes) {
        Optional<? extends TieredLog> pl = logs.partition(tp);
        if (pl.isPresent() && pl.get().tierPolicy().compact() && offset < pl.get().localStartOffset()) {
            return pl.get().localBatches(pl.get().localStartOffset(), maxBytes);
        }
        return ByteBuffer.allocate(0);
    }

    /** The offset after the last batch of {@code served} (which holds one at least). */
    private static long nextOffset(ByteBuffer served) {
        List<Batches.Batch> batches = Batches.of(served);
        return batches.get(batches.size() - 1).lastOffset() + 1;
    }

    /** Objects one read-ahead may reach into. */
    static final int MAX_READ_AHEAD_OBJECTS = 16;

    /**
     * Starts fetching what a consumer reading forward asks for next, into the following objects:
     * the {@code maxBytes} from {@code next} (where a read starts, and again where it ended; within
     * the reader's read-ahead budget), or as far as the partition's prefetch runs ahead now if that
     * is more. Otherwise a consumer would meet each next object cold (its index, then its first
     * chunk) with nothing read while it processed the previous response.
     */
    private void readAhead(ConcurrentSkipListMap<Long, SegmentEntry> m, Map.Entry<Long, SegmentEntry> e, long next, int maxBytes,
                           PrefetchDepth depth) {
        // The next object's first bytes go out as early as the next chunk of this one would: a consumer fetching 1 MiB at a
        // time through a bucket with S3's latency otherwise waited for two GETs in a row at every object it entered.
        long budget = Math.max(Math.min(maxBytes, reader.readAheadBudget()), reader.prefetchBytes(depth));
        // Bytes bound the read-ahead, and so does the number of objects: many small objects would mean many index GETs.
        int objects = 0;
        while (e != null && budget > 0 && objects < MAX_READ_AHEAD_OBJECTS) {
            SegmentEntry s = e.getValue();
            if (next <= s.lastOffset()) {
                long from = Math.max(next, s.baseOffset());
                // From the object's start (-1): its first chunk is fetched alongside its index.
                reader.readAhead(s.objectKey(), s.sizeBytes(), from == s.baseOffset() ? -1 : from, budget, depth);
                objects++;
                // The object's bytes from there, estimated from its offsets: the manifest does not hold positions.
                double share = (double) (s.lastOffset() - from + 1) / Math.max(1, s.lastOffset() - s.baseOffset() + 1);
                budget -= Math.max(1, (long) (share * s.sizeBytes()));
            }
            e = m.higherEntry(e.getKey());
        }
    }

    /**
     * The first tiered record at or after {@code timestamp} at or above {@code fromOffset}: the
     * objects in offset order, each looked into only when its entry says it reaches the timestamp.
     */
    public CompletableFuture<Optional<Batches.TimestampMatch>> offsetForTimestampAsync(TopicPartition tp, long timestamp, long fromOffset) {
        return entries.apply(tp).thenCompose(m -> firstAtOrAfter(List.copyOf(m.values()).iterator(), timestamp, fromOffset));
    }

    private CompletableFuture<Optional<Batches.TimestampMatch>> firstAtOrAfter(Iterator<SegmentEntry> objects, long timestamp,
                                                                               long fromOffset) {
        while (objects.hasNext()) {
            SegmentEntry s = objects.next();
            if (s.lastOffset() < fromOffset || s.maxTimestamp() < timestamp) {
                continue;
            }
            return reader.findByTimestampAsync(s.objectKey(), s.sizeBytes(), timestamp).thenCompose(m ->
                    m.isPresent() && m.get().offset() >= fromOffset ? CompletableFuture.completedFuture(m)
                            : firstAtOrAfter(objects, timestamp, fromOffset));
        }
        return CompletableFuture.completedFuture(Optional.empty());
    }

    /**
     * The first tiered record, at or above {@code fromOffset}, carrying the largest timestamp of
     * the tiered segments (from their manifest entries; one object is read).
     */
    public CompletableFuture<Optional<Batches.TimestampMatch>> maxTimestampRecordAsync(TopicPartition tp, long fromOffset) {
        return entries.apply(tp).thenCompose(m -> {
            SegmentEntry best = null;
            for (SegmentEntry s : m.values()) {
                if (s.lastOffset() >= fromOffset && (best == null || s.maxTimestamp() > best.maxTimestamp())) {
                    best = s;
                }
            }
            if (best == null || best.maxTimestamp() < 0) {
                return CompletableFuture.completedFuture(Optional.<Batches.TimestampMatch>empty());
            }
            return reader.findByTimestampAsync(best.objectKey(), best.sizeBytes(), best.maxTimestamp())
                    .thenApply(found -> found.filter(match -> match.offset() >= fromOffset));
        });
    }
}
