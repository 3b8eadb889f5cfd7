package io.strata.tiering.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.strata.metastore.store.SegmentEntry;
import io.strata.metastore.store.SegmentManifestStore;
import io.strata.metastore.store.TopicRecord;
import io.strata.records.Batches;
import io.strata.tiering.segment.RemoteSegmentReader;
import io.strata.tiering.segment.SegmentFooter;
import io.strata.tiering.segment.SegmentObjectWriter;
import io.strata.tiering.store.ObjectStore;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Moves sealed segments to object storage and reads them back. Per partition, segments are
 * uploaded in offset order: build the object (batches + indexes + footer), PUT it under a key
 * unique to the attempt, then commit its manifest entry in one MetaStore transaction. A crash
 * or failure between PUT and commit leaves an object no entry names; the orphan sweep removes it
 * after a grace period, and the next attempt uploads under a new key — never a duplicate, never a
 * gap. Local copies go once tiered and past local retention. Retention across tiers removes
 * manifest entries first, objects after.
 *
 * <p>The sweep and the uploader cannot race: the sweep deletes only objects older than the grace
 * period (at least {@link #MIN_ORPHAN_GRACE_MS}) that the manifest does not name when looked up
 * right before the delete, and an upload commits only while its object is younger than half
 * the grace period — checked inside the commit transaction, together with the topic still
 * existing under the id the segment was uploaded for. Remote entries are cached by topic id, so
 * a recreated topic of the same name never sees its predecessor's segments.
 *
 * <p>Its parts: uploads, retention across tiers and the schedules are here; reads for fetches
 * and ListOffsets are {@link TieredReads}, the sweep {@link OrphanSweep}, the compaction of a
 * compacted topic's objects {@link TieredCompaction}. It sees the node's logs only through
 * {@link TieredLogs} and {@link TieredLog}.
 */
public final class TieringService {
    private static final Logger log = LoggerFactory.getLogger(TieringService.class);
    /** Fault injection for tests: halt the process after a PUT, before its manifest commit. */
    static final String HALT_AFTER_PUT_ENV = "STRATA_FAULT_HALT_AFTER_PUT";
    /** The smallest orphan grace period: larger than any plausible clock difference with the object store. */
    public static final long MIN_ORPHAN_GRACE_MS = 60_000;

    /** A partition of a topic incarnation: remote state is keyed by topic id, never by name. */
    private record RemoteKey(UUID topicId, int partition) {
    }

    private final ObjectStore store;
    private final SegmentManifestStore manifest;
    private final io.strata.metastore.store.TopicCatalog catalog;
    private final TieredLogs topics;
    private final String clusterId;
    private final LongSupplier clock;
    private final long maxUntieredBytes;
    private final long orphanGraceMs;
    private final Semaphore uploads;
    private final RemoteSegmentReader reader;
    private final Map<RemoteKey, ConcurrentSkipListMap<Long, SegmentEntry>> entries = new ConcurrentHashMap<>();
    private final Set<TopicPartition> uploading = ConcurrentHashMap.newKeySet();
    private final Counter uploadedBytes;
    private final Timer uploadLatency;
    private volatile boolean storeDown;
    private final java.util.concurrent.ExecutorService uploaders;
    private volatile java.util.function.Predicate<TopicPartition> leads = tp -> true;

    /** Checked inside every manifest commit: the uploader still leads the partition in the epoch it uploaded in. */
    public interface LeaderCheck {
        void check(io.strata.metastore.Transaction tx, UUID topicId, int partition, int leaderEpoch);
    }

    private volatile LeaderCheck leaderCheck = (tx, id, p, e) -> { };

    public void setLeaderCheck(LeaderCheck check) {
        this.leaderCheck = check;
    }

    /** Which partitions this node leads (and so uploads). */
    public void setLeadership(java.util.function.Predicate<TopicPartition> leads) {
        this.leads = leads;
    }

    /** Where remote reads cut and CRC-check batches once their GETs complete: no thread here waits on the object store. */
    private final java.util.concurrent.ExecutorService remoteReaders;
    /** {@code tier-manifest}: a partition's manifest entries, loaded from the MetaStore the first time a read needs them. */
    private final java.util.concurrent.ExecutorService manifestLoads = Executors.newSingleThreadExecutor(daemons("tier-manifest", false));

    public TieringService(ObjectStore store, SegmentManifestStore manifest, io.strata.metastore.store.TopicCatalog catalog,
                          TieredLogs topics, String clusterId,
                          LongSupplier clock, int concurrency, long maxUntieredBytes, long orphanGraceMs, long cacheBytes,
                          int chunkBytes, long prefetchBytes, MeterRegistry metrics) {
        this.store = store;
        this.manifest = manifest;
        this.catalog = catalog;
        this.topics = topics;
        this.clusterId = clusterId;
        this.clock = clock;
        this.maxUntieredBytes = maxUntieredBytes;
        this.orphanGraceMs = Math.max(orphanGraceMs, MIN_ORPHAN_GRACE_MS);
        this.uploads = new Semaphore(concurrency);
        this.uploaders = Executors.newFixedThreadPool(concurrency, daemons("tier-upload", true));
        this.remoteReaders = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                daemons("remote-read", true));
        this.reader = new RemoteSegmentReader(store, cacheBytes, chunkBytes, prefetchBytes, metrics, remoteReaders);
        this.reads = new TieredReads(this::entriesAsync, reader, topics);
        this.orphans = new OrphanSweep(store, manifest, clusterId, clock, this.orphanGraceMs, reader::evict);
        this.uploadedBytes = metrics.counter("strata.tiering.upload.bytes");
        this.uploadLatency = metrics.timer("strata.tiering.upload.latency");
        metrics.gauge("strata.tiering.untiered.bytes", this, TieringService::untieredBytes);
        metrics.gauge("strata.tiering.untiered.segments", this, TieringService::untieredSegments);
    }

    // ---- what object storage holds ----

    private ConcurrentSkipListMap<Long, SegmentEntry> entriesOf(TopicPartition tp, UUID topicId) {
        return entries.computeIfAbsent(new RemoteKey(topicId, tp.partition()), k -> {
            ConcurrentSkipListMap<Long, SegmentEntry> m = new ConcurrentSkipListMap<>();
            for (SegmentEntry e : manifest.list(topicId, tp.partition())) {
                m.put(e.baseOffset(), e);
            }
            return m;
        });
    }

    /** Used when a log opens: the offsets object storage holds for the partition. */
    public RemoteRange remoteRange(UUID topicId, int partition) {
        List<SegmentEntry> list = manifest.list(topicId, partition);
        if (list.isEmpty()) {
            return RemoteRange.NONE;
        }
        String snapshotKey = snapshotKeyOf(list.get(list.size() - 1).objectKey());
        return new RemoteRange(list.get(0).baseOffset(), list.get(list.size() - 1).lastOffset() + 1, () -> {
            try {
                if (store.head(snapshotKey).get(1, TimeUnit.MINUTES).isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(store.get(snapshotKey).get(1, TimeUnit.MINUTES));
            } catch (Exception e) {
                throw new IllegalStateException("cannot read " + snapshotKey + ": " + rootMessage(e), e);
            }
        });
    }

    /** The producer-state snapshot kept beside a segment object: the state as of the segment's end. */
    static String snapshotKeyOf(String segmentKey) {
        return segmentKey.substring(0, segmentKey.length() - ".seg".length()) + ".snapshot";
    }

    // ---- compaction of tiered segments (TieredCompaction) ----

    private final TieredCompaction compaction = new TieredCompaction(this);

    /**
     * Compacts the tiered segments of compacted topics this node leads (run by the log cleaner's
     * thread, on its schedule).
     */
    public void compactTiered() {
        for (Map.Entry<TopicPartition, ? extends TieredLog> e : topics.logs().entrySet()) {
            TieredLog pl = e.getValue();
            if (!pl.tierPolicy().remoteStorage() || !pl.tierPolicy().compact() || !leads.test(e.getKey())) {
                continue;
            }
            Optional<TopicRecord> t = topics.topic(e.getKey().topic());
            if (t.isEmpty()) {
                continue;
            }
            try {
                compaction.compact(e.getKey(), t.get().id(), pl, clock.getAsLong());
            } catch (Exception ex) {
                log.warn("compaction of the tiered segments of {} failed, will retry: {}", e.getKey(), rootMessage(ex));
            }
        }
    }

    SegmentManifestStore manifest() {
        return manifest;
    }

    /** Every batch of a tiered segment, read a piece at a time (each piece's GETs all go out at once). */
    ByteBuffer readWhole(SegmentEntry e) {
        ByteBuffer whole = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE, e.sizeBytes()));
        long next = e.baseOffset();
        while (next <= e.lastOffset()) {
            ByteBuffer piece = reader.read(e.objectKey(), e.sizeBytes(), next, RemoteSegmentReader.MAX_READ_BYTES);
            List<Batches.Batch> batches = Batches.of(piece);
            if (batches.isEmpty()) {
                break; // a compacted object may end before its entry's last offset
            }
            whole.put(piece.duplicate());
            next = batches.get(batches.size() - 1).lastOffset() + 1;
        }
        return whole.flip();
    }

    String objectKey(TopicPartition tp, UUID topicId, long baseOffset, int epoch) {
        return String.format("%s/%s/%d/%020d-%d-%s.seg", clusterId, topicId, tp.partition(), baseOffset, epoch, UUID.randomUUID());
    }

    Optional<byte[]> snapshotOf(String segmentKey) throws Exception {
        String key = snapshotKeyOf(segmentKey);
        if (store.head(key).get(1, TimeUnit.MINUTES).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(store.get(key).get(1, TimeUnit.MINUTES));
    }

    /** The checks of every manifest write by a leader: it still leads in {@code epoch}, and the topic still exists. */
    void checkLeaderAndTopic(io.strata.metastore.Transaction tx, TopicPartition tp, UUID topicId, int epoch) {
        leaderCheck.check(tx, topicId, tp.partition(), epoch);
        if (!catalog.isLive(tx, tp.topic(), topicId)) {
            throw new TopicGoneException(tp.topic() + " (id " + topicId + ") was deleted");
        }
    }

    /** A compaction replaced {@code old} with {@code replacement} in the manifest: reads go to the new objects from now on. */
    void replaced(TopicPartition tp, UUID topicId, List<SegmentEntry> old, List<SegmentEntry> replacement) {
        ConcurrentSkipListMap<Long, SegmentEntry> m = entriesOf(tp, topicId);
        // New entries first: a read between the two steps finds either the old object (still there) or the new one.
        replacement.forEach(e -> m.put(e.baseOffset(), e));
        java.util.Set<Long> bases = new java.util.HashSet<>();
        replacement.forEach(e -> bases.add(e.baseOffset()));
        old.stream().filter(e -> !bases.contains(e.baseOffset())).forEach(e -> m.remove(e.baseOffset()));
    }

    void deleteObject(String segmentKey) {
        store.delete(segmentKey).whenComplete((v, e) -> reader.evict(segmentKey));
        store.delete(snapshotKeyOf(segmentKey));
    }

    /** A topic is gone: its manifest entries, then its objects. */
    public void topicDeleted(TopicRecord t) {
        List<String> keys = manifest.deleteTopic(t.id());
        for (int p = 0; p < t.partitions(); p++) {
            entries.remove(new RemoteKey(t.id(), p));
        }
        for (String key : keys) {
            deleteObject(key);
        }
    }

    // ---- reads (TieredReads) ----

    private final TieredReads reads;
    private final OrphanSweep orphans;

    /** See {@link TieredReads#readAsync}. */
    public CompletableFuture<ByteBuffer> readAsync(TopicPartition tp, long offset, int maxBytes) {
        return reads.readAsync(tp, offset, maxBytes);
    }

    /** See {@link TieredReads#readingTogether}. */
    public void readingTogether(java.util.Collection<TopicPartition> tps) {
        reads.readingTogether(tps);
    }

    /** See {@link TieredReads#offsetForTimestampAsync}. */
    public CompletableFuture<Optional<Batches.TimestampMatch>> offsetForTimestampAsync(TopicPartition tp, long timestamp, long fromOffset) {
        return reads.offsetForTimestampAsync(tp, timestamp, fromOffset);
    }

    /** See {@link TieredReads#maxTimestampRecordAsync}. */
    public CompletableFuture<Optional<Batches.TimestampMatch>> maxTimestampRecordAsync(TopicPartition tp, long fromOffset) {
        return reads.maxTimestampRecordAsync(tp, fromOffset);
    }

    /**
     * The partition's manifest entries: from memory, or, the first time, from the MetaStore on
     * the {@code tier-manifest} thread (never the caller's, nor a decoding thread that every
     * remote read needs).
     */
    CompletableFuture<ConcurrentSkipListMap<Long, SegmentEntry>> entriesAsync(TopicPartition tp) {
        UUID id;
        try {
            id = topics.topic(tp.topic()).orElseThrow(() -> new IllegalStateException("no topic " + tp.topic())).id();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        ConcurrentSkipListMap<Long, SegmentEntry> known = entries.get(new RemoteKey(id, tp.partition()));
        return known != null ? CompletableFuture.completedFuture(known)
                : CompletableFuture.supplyAsync(() -> entriesOf(tp, id), manifestLoads);
    }

    // ---- uploads ----

    /**
     * Finds sealed, untiered segments and starts their uploads (one at a time per partition).
     * Only a partition's leader uploads; its followers hold the same batches and, every few
     * seconds, read the manifest the leader writes, so their local copies of tiered segments can
     * go and a follower that becomes leader continues exactly where the manifest ends.
     */
    private void tick() {
        long now = clock.getAsLong();
        boolean syncFollowers = now - lastFollowerSyncMs >= FOLLOWER_SYNC_MS;
        if (syncFollowers) {
            lastFollowerSyncMs = now;
        }
        for (Map.Entry<TopicPartition, ? extends TieredLog> e : topics.logs().entrySet()) {
            TieredLog pl = e.getValue();
            if (!pl.tierPolicy().remoteStorage()) {
                continue;
            }
            if (!leads.test(e.getKey())) {
                ledLastTick.remove(e.getKey());
                if (syncFollowers) {
                    syncFromManifest(e.getKey(), pl);
                }
                continue;
            }
            if (ledLastTick.add(e.getKey()) && !syncFromManifest(e.getKey(), pl)) {
                ledLastTick.remove(e.getKey());
                continue;
            }
            if (uploading.contains(e.getKey())) {
                continue;
            }
            pl.rollIfIdle(clock.getAsLong());
            Optional<SealedSegment> next = pl.sealedSegments().stream()
                    .filter(s -> s.nextOffset() > pl.tieredOffset() && s.sizeBytes() > 0).findFirst()
                    // Only records every in-sync replica holds: a new leader's log may end below the high
                    // watermark's successor, never below the watermark itself.
                    .filter(s -> s.nextOffset() <= pl.highWatermark());
            if (next.isEmpty() || !uploads.tryAcquire()) {
                continue;
            }
            Optional<TopicRecord> t = topics.topic(e.getKey().topic());
            if (t.isEmpty()) {
                uploads.release();
                continue;
            }
            uploading.add(e.getKey());
            uploaders.execute(() -> {
                try {
                    upload(e.getKey(), t.get().id(), pl, next.get());
                } finally {
                    uploading.remove(e.getKey());
                    uploads.release();
                }
            });
        }
    }

    static final long FOLLOWER_SYNC_MS = 5_000;
    private final java.util.Set<TopicPartition> ledLastTick = ConcurrentHashMap.newKeySet();
    private volatile long lastFollowerSyncMs;

    /** Reloads the partition's manifest entries and marks what they cover as tiered; false when the MetaStore could not be read. */
    private boolean syncFromManifest(TopicPartition tp, TieredLog pl) {
        Optional<TopicRecord> t = topics.topic(tp.topic());
        if (t.isEmpty()) {
            return false;
        }
        try {
            List<SegmentEntry> list = manifest.list(t.get().id(), tp.partition());
            ConcurrentSkipListMap<Long, SegmentEntry> m = entriesOf(tp, t.get().id());
            java.util.Set<Long> bases = new java.util.HashSet<>();
            for (SegmentEntry s : list) {
                m.put(s.baseOffset(), s);
                bases.add(s.baseOffset());
            }
            m.keySet().retainAll(bases);
            if (!list.isEmpty()) {
                pl.markTiered(list.get(list.size() - 1).lastOffset() + 1);
            }
            return true;
        } catch (RuntimeException ex) {
            log.debug("reading the manifest of {} failed: {}", tp, ex.getMessage());
            return false;
        }
    }

    private void upload(TopicPartition tp, UUID topicId, TieredLog pl, SealedSegment seg) {
        // A new leader continues the manifest where it ends, which may be inside one of its own segments.
        long from = Math.max(seg.baseOffset(), pl.tieredOffset());
        int epoch = pl.leaderEpoch();
        String key = String.format("%s/%s/%d/%020d-%d-%s.seg", clusterId, topicId, tp.partition(), from, epoch, UUID.randomUUID());
        Path staged = seg.file().resolveSibling(seg.file().getFileName() + ".upload");
        long t0 = System.nanoTime();
        try {
            SegmentFooter footer = SegmentObjectWriter.write(seg.file(), from > seg.baseOffset() ? from : -1, epoch, staged);
            long size = Files.size(staged);
            long putStartMs = clock.getAsLong();
            Path snapshot = pl.snapshotFile(seg.nextOffset());
            if (Files.exists(snapshot)) {
                // Producer state as of the segment's end travels with it, for a node that loses its disk.
                store.put(snapshotKeyOf(key), snapshot).get(5, TimeUnit.MINUTES);
            }
            store.put(key, staged).get(5, TimeUnit.MINUTES);
            if (System.getenv(HALT_AFTER_PUT_ENV) != null) {
                log.warn("fault injection: halting after uploading {} and before committing it", key);
                Runtime.getRuntime().halt(137);
            }
            SegmentEntry mine = new SegmentEntry(footer.baseOffset(), footer.lastOffset(), key, size, footer.minTimestamp(),
                    footer.maxTimestamp(), footer.leaderEpoch(), clock.getAsLong());
            SegmentEntry committed = manifest.commit(topicId, tp.partition(), mine, tx -> {
                leaderCheck.check(tx, topicId, tp.partition(), epoch);
                if (!catalog.isLive(tx, tp.topic(), topicId)) {
                    throw new TopicGoneException(tp.topic() + " (id " + topicId + ") was deleted during the upload");
                }
                if (clock.getAsLong() - putStartMs > orphanGraceMs / 2) {
                    throw new IllegalStateException("object " + key + " is too old to commit safely (the orphan sweep may take it); "
                            + "uploading again");
                }
            });
            if (!committed.objectKey().equals(key)) {
                // An earlier attempt already committed these offsets: ours is a duplicate.
                deleteObject(key);
            }
            entriesOf(tp, topicId).put(committed.baseOffset(), committed);
            pl.markTiered(committed.lastOffset() + 1);
            uploadedBytes.increment(size);
            uploadLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            if (storeDown) {
                storeDown = false;
                log.info("object store {} is reachable again; tiering resumes", store.describe());
            }
            log.debug("tiered {} offsets [{}, {}] as {}", tp, footer.baseOffset(), footer.lastOffset(), key);
        } catch (TopicGoneException e) {
            log.info("not committing {}: {}; the object goes", key, e.getMessage());
            deleteObject(key);
        } catch (io.strata.metastore.store.ClusterControl.FencedLeaderException e) {
            log.warn("not committing {}: {}; the object goes", key, e.getMessage());
            deleteObject(key);
        } catch (Exception e) {
            if (e.getCause() instanceof io.strata.metastore.store.ClusterControl.FencedLeaderException fenced) {
                log.warn("not committing {}: {}; the object goes", key, fenced.getMessage());
                deleteObject(key);
                return;
            }
            if (e.getCause() instanceof TopicGoneException gone) {
                log.info("not committing {}: {}; the object goes", key, gone.getMessage());
                deleteObject(key);
                return;
            }
            if (!storeDown) {
                storeDown = true;
                log.warn("tiering {} segment {} failed, will retry: {}", tp, seg.baseOffset(), rootMessage(e));
            }
            sleepQuietly(500);
        } finally {
            try {
                Files.deleteIfExists(staged);
            } catch (IOException ignored) {
                // A stray staging file is overwritten by the next attempt.
            }
        }
    }

    static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- retention and cleanup ----

    /** Retention across tiers, then local cleanup of tiered segments. */
    private void applyRetention() {
        long now = clock.getAsLong();
        for (Map.Entry<TopicPartition, ? extends TieredLog> e : topics.logs().entrySet()) {
            TieredLog pl = e.getValue();
            TierPolicy c = pl.tierPolicy();
            if (!c.remoteStorage()) {
                continue;
            }
            try {
                Optional<TopicRecord> t = topics.topic(e.getKey().topic());
                if (t.isEmpty()) {
                    continue;
                }
                if (!leads.test(e.getKey())) {
                    // The leader applies retention to the manifest; a follower only drops local copies of tiered segments.
                    pl.deleteTieredLocalSegments(now);
                    continue;
                }
                ConcurrentSkipListMap<Long, SegmentEntry> remote = entriesOf(e.getKey(), t.get().id());
                long total = pl.untieredBytes();
                for (SegmentEntry s : remote.values()) {
                    total += s.sizeBytes();
                }
                List<SegmentEntry> expired = new ArrayList<>();
                for (SegmentEntry s : remote.values()) {
                    // A compact-only topic keeps every key's latest value whatever its age: only compaction shrinks it.
                    boolean deletes = !c.compact() || c.delete();
                    boolean byTime = deletes && c.retentionMs() >= 0 && now - s.maxTimestamp() > c.retentionMs();
                    boolean bySize = deletes && c.retentionBytes() >= 0 && total - s.sizeBytes() >= c.retentionBytes();
                    boolean belowStart = s.lastOffset() < pl.logStartOffset();
                    if (!byTime && !bySize && !belowStart) {
                        break;
                    }
                    expired.add(s);
                    total -= s.sizeBytes();
                }
                if (!expired.isEmpty()) {
                    manifest.delete(t.get().id(), e.getKey().partition(), expired);
                    for (SegmentEntry s : expired) {
                        remote.remove(s.baseOffset());
                    }
                    pl.advanceLogStart(expired.get(expired.size() - 1).lastOffset() + 1);
                    for (SegmentEntry s : expired) {
                        deleteObject(s.objectKey());
                    }
                    log.info("{}: retention removed {} tiered segment(s); log start offset now {}", e.getKey(), expired.size(), pl.logStartOffset());
                }
                pl.deleteTieredLocalSegments(now);
            } catch (RuntimeException ex) {
                log.warn("tiered retention of {} failed: {}", e.getKey(), rootMessage(ex));
            }
        }
    }

    /** How long the untiered total a produce checks may be old: the budget is a guard against a long outage, not a quota. */
    private static final long BUDGET_CHECK_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);
    private volatile long budgetCheckedAt = System.nanoTime() - BUDGET_CHECK_INTERVAL_NANOS;
    private volatile boolean overBudget;

    /**
     * True when local data not yet in object storage exceeds the budget: produce must wait.
     * Summing every segment of every log is recomputed at most every 100 ms, not on each produce.
     */
    public boolean overBudget() {
        long now = System.nanoTime();
        if (now - budgetCheckedAt >= BUDGET_CHECK_INTERVAL_NANOS) {
            budgetCheckedAt = now;
            overBudget = untieredBytes() > maxUntieredBytes;
        }
        return overBudget;
    }

    public long maxUntieredBytes() {
        return maxUntieredBytes;
    }

    public long untieredBytes() {
        return sumOverTieredLogs(TieredLog::untieredBytes);
    }

    public int untieredSegments() {
        return (int) sumOverTieredLogs(TieredLog::untieredSegments);
    }

    /** {@code each} summed over the logs of topics with remote storage. */
    private long sumOverTieredLogs(java.util.function.ToLongFunction<TieredLog> each) {
        long total = 0;
        for (TieredLog pl : topics.logs().values()) {
            if (pl.tierPolicy().remoteStorage()) {
                total += each.applyAsLong(pl);
            }
        }
        return total;
    }

    public ObjectStore store() {
        return store;
    }

    /** How often the orphan sweep should run: a quarter of the grace period, within [1 s, 10 min]. */
    private long sweepIntervalMs() {
        return Math.max(1000, Math.min(orphanGraceMs / 4, 600_000));
    }

    /** The topic an upload was for is gone (or was recreated under a new id). */
    private static final class TopicGoneException extends RuntimeException {
        TopicGoneException(String message) {
            super(message);
        }
    }

    // ---- schedules ----

    /** {@code tier-tick}: finds segments to upload and starts them, and keeps followers' view of the manifest current. */
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor(daemons("tier-tick", false));
    /** {@code tier-retention}: retention across tiers (MetaStore writes, then object deletes). */
    private final ScheduledExecutorService retention = Executors.newSingleThreadScheduledExecutor(daemons("tier-retention", false));
    /** {@code tier-sweep}: the orphan sweep, whose listing of the bucket may take long. */
    private final ScheduledExecutorService sweeps = Executors.newSingleThreadScheduledExecutor(daemons("tier-sweep", false));

    /**
     * Starts tiering's schedules, each on its own named thread: a listing of the bucket that takes
     * minutes, or a MetaStore that stalls a retention pass, holds up only its own work, never the
     * uploads or the node's other timers.
     */
    public void start(long checkEveryMs, long retentionEveryMs) {
        ticks.scheduleWithFixedDelay(guarded("tiering", this::tick), checkEveryMs, checkEveryMs, TimeUnit.MILLISECONDS);
        retention.scheduleWithFixedDelay(guarded("tiered retention", this::applyRetention), retentionEveryMs, retentionEveryMs,
                TimeUnit.MILLISECONDS);
        long sweepEvery = sweepIntervalMs();
        sweeps.scheduleWithFixedDelay(guarded("orphan sweep", orphans::run), sweepEvery, sweepEvery, TimeUnit.MILLISECONDS);
    }

    /** A scheduled task that logs its failure and runs again next time (an exception would cancel its schedule). */
    private static Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("{} failed", what, e);
            }
        };
    }

    private static ThreadFactory daemons(String name, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? name + "-" + n.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Stops everything tiering starts on its own (the schedules, uploads in flight), and waits a
     * moment for a pass that is running: for a node shutting down, before its logs close. Reads
     * go on until {@link #close}.
     */
    public void stopSchedules() {
        List<java.util.concurrent.ExecutorService> own = List.of(ticks, retention, sweeps, uploaders);
        own.forEach(java.util.concurrent.ExecutorService::shutdownNow);
        try {
            for (java.util.concurrent.ExecutorService e : own) {
                if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("a tiering task is still running at shutdown");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void close() {
        ticks.shutdownNow();
        retention.shutdownNow();
        sweeps.shutdownNow();
        manifestLoads.shutdownNow();
        uploaders.shutdownNow();
        remoteReaders.shutdownNow();
        store.close();
    }
}
