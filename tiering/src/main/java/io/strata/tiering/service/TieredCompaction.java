package io.strata.tiering.service;

import io.strata.metastore.store.SegmentEntry;
import io.strata.records.CompactionMap;
import io.strata.tiering.segment.SegmentFooter;
import io.strata.tiering.segment.SegmentObjectWriter;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Compaction of a compacted topic's tiered segments, which Apache Kafka does not do (KIP-1272 is
 * a proposal): the partition's leader maps every key of its tiered history and local log to its
 * newest offset ({@link CompactionMap}, as the local cleaner does), rewrites the segment objects
 * without the records that newer ones replace, merging neighbours up to {@code segment.bytes}, and
 * commits the new objects in place of the old ones in one MetaStore transaction, checked against
 * the leader epoch and against the manifest still holding what was read. Offsets never change:
 * each new entry covers exactly the offsets of the entries it replaces. The old objects are
 * deleted after the orphan grace period counted from the replacement (recorded in the MetaStore, so every
 * node's orphan sweep honours it), so reads already on their way finish. So a compacted
 * topic's history in the bucket stays bounded by its live keys, not by how often they changed.
 *
 * <p>A pass runs for a partition when the manifest changed since its last pass (new segments
 * tiered): those may replace keys of older objects. It covers only segments below the last
 * stable offset, and at most {@link #MAX_PASS_BYTES} of them (it holds them in memory): a larger
 * tiered history is left as it is, with a warning, until passes work in slices.
 */
final class TieredCompaction {
    private static final Logger log = LoggerFactory.getLogger(TieredCompaction.class);

    /** The most tiered bytes one pass reads and rewrites (it holds them in memory). */
    static final long MAX_PASS_BYTES = 256L << 20;

    private final TieringService tiering;
    /** Per partition, the object keys its manifest held after the last pass. */
    private final Map<TopicPartition, List<String>> lastPass = new ConcurrentHashMap<>();

    TieredCompaction(TieringService tiering) {
        this.tiering = tiering;
    }

    /** What one pass did. */
    record Result(int entriesBefore, int entriesAfter, long bytesBefore, long bytesAfter, long recordsRemoved) {
    }

    Optional<Result> compact(TopicPartition tp, UUID topicId, TieredLog pl, long nowMs) throws Exception {
        // Only what is below the last stable offset: a transaction still open may abort, and its records must never
        // replace a key's committed value (tiering uploads up to the high watermark, which may be past it).
        long stable = pl.lastStableOffset();
        List<SegmentEntry> entries = tiering.manifest().list(topicId, tp.partition()).stream()
                .filter(e -> e.lastOffset() < stable).toList();
        List<String> keys = entries.stream().map(SegmentEntry::objectKey).toList();
        long tieredBytes = entries.stream().mapToLong(SegmentEntry::sizeBytes).sum();
        if (tieredBytes > MAX_PASS_BYTES) {
            // A pass holds the history it rewrites in memory; beyond this it would need to work in slices.
            log.warn("{}: {} bytes of tiered segments are more than one pass compacts ({}); not compacting them", tp, tieredBytes,
                    MAX_PASS_BYTES);
            lastPass.put(tp, keys);
            return Optional.empty();
        }
        if (entries.isEmpty() || keys.equals(lastPass.get(tp))) {
            return Optional.empty();
        }
        int epoch = pl.leaderEpoch();
        CompactionMap map = new CompactionMap(pl.abortedTransactions(entries.get(0).baseOffset(), Long.MAX_VALUE));
        List<ByteBuffer> data = new ArrayList<>();
        for (SegmentEntry e : entries) {
            ByteBuffer b = tiering.readWhole(e);
            map.map(b);
            data.add(b);
        }
        pl.mapLocalKeys(map);
        org.apache.kafka.common.record.internal.MemoryRecords.RecordFilter filter = map.filter(nowMs, pl.tierPolicy().deleteRetentionMs());
        List<CompactionMap.Filtered> filtered = new ArrayList<>();
        for (ByteBuffer b : data) {
            filtered.add(CompactionMap.apply(b, filter));
        }
        List<List<Integer>> groups = group(filtered, pl.tierPolicy().segmentBytes());
        List<SegmentEntry> replacement = new ArrayList<>();
        List<String> written = new ArrayList<>();
        List<String> retired = new ArrayList<>();
        long before = 0;
        long after = 0;
        long removed = 0;
        try {
            for (List<Integer> g : groups) {
                long originalBytes = 0;
                long keptBytes = 0;
                for (int i : g) {
                    originalBytes += data.get(i).remaining();
                    keptBytes += filtered.get(i).batches().remaining();
                    removed += filtered.get(i).recordsRemoved();
                }
                SegmentEntry first = entries.get(g.get(0));
                SegmentEntry last = entries.get(g.get(g.size() - 1));
                for (int i : g) {
                    before += entries.get(i).sizeBytes();
                }
                if (g.size() == 1 && keptBytes == originalBytes) {
                    replacement.add(first);
                    after += first.sizeBytes();
                    continue;
                }
                SegmentEntry e = writeObject(tp, topicId, pl, g, filtered, first, last, epoch, nowMs);
                written.add(e.objectKey());
                replacement.add(e);
                after += e.sizeBytes();
                for (int i : g) {
                    retired.add(entries.get(i).objectKey());
                }
            }
            if (written.isEmpty()) {
                lastPass.put(tp, keys);
                return Optional.empty();
            }
            boolean committed = tiering.manifest().replace(topicId, tp.partition(), entries, replacement, retired, nowMs,
                    tx -> tiering.checkLeaderAndTopic(tx, tp, topicId, epoch));
            if (!committed) {
                log.info("{}: the manifest changed during compaction of tiered segments; trying again next pass", tp);
                written.forEach(tiering::deleteObject);
                return Optional.empty();
            }
        } catch (Exception e) {
            written.forEach(tiering::deleteObject);
            throw e;
        }
        tiering.replaced(tp, topicId, entries, replacement);
        lastPass.put(tp, replacement.stream().map(SegmentEntry::objectKey).toList());
        Result r = new Result(entries.size(), replacement.size(), before, after, removed);
        log.info("{}: compacted tiered segments: {} objects -> {}, {} -> {} bytes, {} record(s) removed", tp, entries.size(),
                replacement.size(), before, after, removed);
        return Optional.of(r);
    }

    /**
     * Consecutive entries grouped so each group's kept bytes reach about {@code targetBytes}; a
     * group left with nothing (every record replaced) joins a neighbour, as an object needs a batch.
     */
    static List<List<Integer>> group(List<CompactionMap.Filtered> filtered, long targetBytes) {
        List<List<Integer>> groups = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        long size = 0;
        for (int i = 0; i < filtered.size(); i++) {
            long kept = filtered.get(i).batches().remaining();
            if (!current.isEmpty() && size > 0 && size + kept > targetBytes) {
                groups.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(i);
            size += kept;
        }
        if (!current.isEmpty()) {
            if (size == 0 && !groups.isEmpty()) {
                groups.get(groups.size() - 1).addAll(current);
            } else {
                groups.add(current);
            }
        }
        return groups;
    }

    private SegmentEntry writeObject(TopicPartition tp, UUID topicId, TieredLog pl, List<Integer> group,
                                     List<CompactionMap.Filtered> filtered, SegmentEntry first, SegmentEntry last, int epoch, long nowMs)
            throws Exception {
        Path batches = pl.dir().resolve("tiered-compaction.batches");
        Path staged = pl.dir().resolve("tiered-compaction.upload");
        try {
            try (FileChannel ch = FileChannel.open(batches, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (int i : group) {
                    ByteBuffer b = filtered.get(i).batches().duplicate();
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            }
            if (Files.size(batches) == 0) {
                throw new IllegalStateException(tp + ": nothing left of entries " + first.baseOffset() + ".." + last.lastOffset());
            }
            SegmentFooter footer = SegmentObjectWriter.write(batches, epoch, staged);
            String key = tiering.objectKey(tp, topicId, first.baseOffset(), epoch);
            // Producer state as of the group's end travels with it, as with every uploaded segment.
            Optional<byte[]> snapshot = tiering.snapshotOf(last.objectKey());
            if (snapshot.isPresent()) {
                tiering.store().put(TieringService.snapshotKeyOf(key), snapshot.get()).get(5, TimeUnit.MINUTES);
            }
            tiering.store().put(key, staged).get(5, TimeUnit.MINUTES);
            return new SegmentEntry(first.baseOffset(), last.lastOffset(), key, Files.size(staged), footer.minTimestamp(),
                    footer.maxTimestamp(), epoch, nowMs);
        } finally {
            try {
                Files.deleteIfExists(batches);
                Files.deleteIfExists(staged);
            } catch (IOException ignored) {
                // Overwritten by the next pass.
            }
        }
    }
}
