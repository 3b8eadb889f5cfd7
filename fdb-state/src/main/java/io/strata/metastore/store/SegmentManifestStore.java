package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The segment manifest: {@code segments/<topic-id>/<partition>/<base-offset>} → the object that
 * holds those offsets. An entry is committed only once its object is fully uploaded, so the
 * manifest never names a missing object; an object without an entry is an orphan to sweep.
 */
public final class SegmentManifestStore {
    private final MetaStore store;
    private final Subspace segments;
    private final Subspace retired;

    public SegmentManifestStore(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.segments = keyspace.area(Keyspace.Area.SEGMENTS);
        this.retired = keyspace.area(Keyspace.Area.RETIRED_OBJECTS);
    }

    private Subspace partition(UUID topicId, int partition) {
        return segments.get(topicId.toString()).get(partition);
    }

    /**
     * Commits an entry, idempotently. If the partition's manifest already covers this base offset
     * (a retried commit, or a commit that landed before a crash) the stored entry is returned
     * unchanged and the caller's object is then an orphan. An entry must continue the manifest
     * without a gap: its base offset must be the previous entry's last offset + 1 (or it is the first).
     */
    public SegmentEntry commit(UUID topicId, int partition, SegmentEntry entry) {
        return commit(topicId, partition, entry, tx -> { });
    }

    /**
     * As {@link #commit(UUID, int, SegmentEntry)}, with {@code precondition} checked at the
     * start of every attempt inside the same transaction: it throws to refuse the commit (the
     * topic was deleted, the uploaded object is too old to be safe from the orphan sweep).
     */
    public SegmentEntry commit(UUID topicId, int partition, SegmentEntry entry, java.util.function.Consumer<io.strata.metastore.Transaction> precondition) {
        Subspace p = partition(topicId, partition);
        return store.run(tx -> {
            precondition.accept(tx);
            byte[] existing = tx.get(p.pack(Tuple.from(entry.baseOffset())));
            if (existing != null) {
                return decode(entry.baseOffset(), existing);
            }
            KeyRange r = KeyRange.of(p);
            List<KeyValue> last = tx.getRange(r.begin(), r.end(), 1, true);
            if (!last.isEmpty()) {
                SegmentEntry prev = decode(p.unpack(last.get(0).key()).getLong(0), last.get(0).value());
                if (prev.lastOffset() >= entry.baseOffset()) {
                    return prev;
                }
                if (prev.lastOffset() + 1 != entry.baseOffset()) {
                    throw new IllegalStateException("manifest of " + topicId + "-" + partition + " ends at " + prev.lastOffset()
                            + "; a segment starting at " + entry.baseOffset() + " would leave a gap");
                }
            }
            tx.set(p.pack(Tuple.from(entry.baseOffset())), encode(entry));
            return entry;
        });
    }

    /**
     * Replaces consecutive entries with others that cover exactly the same offsets (compacted
     * copies of tiered segments), in one transaction. Nothing is written, and false returned,
     * when the stored entries are no longer {@code old} (tiering or another pass changed them).
     */
    public boolean replace(UUID topicId, int partition, List<SegmentEntry> old, List<SegmentEntry> replacement,
                           List<String> retiredKeys, long nowMs, java.util.function.Consumer<io.strata.metastore.Transaction> precondition) {
        if (old.isEmpty() || replacement.isEmpty() || old.get(0).baseOffset() != replacement.get(0).baseOffset()
                || old.get(old.size() - 1).lastOffset() != replacement.get(replacement.size() - 1).lastOffset()) {
            throw new IllegalArgumentException("a replacement must cover exactly the offsets of the entries it replaces");
        }
        for (int i = 1; i < replacement.size(); i++) {
            if (replacement.get(i - 1).lastOffset() + 1 != replacement.get(i).baseOffset()) {
                throw new IllegalArgumentException("replacement entries leave a gap at " + replacement.get(i).baseOffset());
            }
        }
        Subspace p = partition(topicId, partition);
        return store.run(tx -> {
            precondition.accept(tx);
            for (SegmentEntry e : old) {
                byte[] stored = tx.get(p.pack(Tuple.from(e.baseOffset())));
                if (stored == null || !decode(e.baseOffset(), stored).objectKey().equals(e.objectKey())) {
                    return false;
                }
            }
            old.forEach(e -> tx.clear(p.pack(Tuple.from(e.baseOffset()))));
            replacement.forEach(e -> tx.set(p.pack(Tuple.from(e.baseOffset())), encode(e)));
            // Every node's orphan sweep leaves a replaced object alone for its grace period from now.
            retiredKeys.forEach(k -> tx.set(retired.pack(Tuple.from(k)), Tuple.from(nowMs).pack()));
            return true;
        });
    }

    public List<SegmentEntry> list(UUID topicId, int partition) {
        Subspace p = partition(topicId, partition);
        return store.run(tx -> {
            List<SegmentEntry> out = new ArrayList<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(p))) {
                out.add(decode(p.unpack(kv.key()).getLong(0), kv.value()));
            }
            return out;
        });
    }

    /**
     * Removes entries (retention); their objects are deleted after, by the caller. An entry that
     * names another object by now (a compaction replaced it) stays: it covers other offsets too.
     */
    public void delete(UUID topicId, int partition, List<SegmentEntry> entries) {
        Subspace p = partition(topicId, partition);
        store.run(tx -> {
            for (SegmentEntry e : entries) {
                byte[] stored = tx.get(p.pack(Tuple.from(e.baseOffset())));
                if (stored != null && decode(e.baseOffset(), stored).objectKey().equals(e.objectKey())) {
                    tx.clear(p.pack(Tuple.from(e.baseOffset())));
                }
            }
            return null;
        });
    }

    /** Objects a compaction replaced, with when (the orphan sweep waits its grace period from then). */
    public java.util.Map<String, Long> retiredObjects() {
        return store.run(tx -> {
            java.util.Map<String, Long> out = new java.util.HashMap<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(retired))) {
                out.put(retired.unpack(kv.key()).getString(0), Tuple.fromBytes(kv.value()).getLong(0));
            }
            return out;
        });
    }

    /** Forgets that {@code objectKey} was replaced (its object is gone). */
    public void forgetRetired(String objectKey) {
        store.run(tx -> {
            tx.clear(retired.pack(Tuple.from(objectKey)));
            return null;
        });
    }

    /** Removes every entry of a topic (topic deletion); returns the object keys to delete. */
    public List<String> deleteTopic(UUID topicId) {
        Subspace t = segments.get(topicId.toString());
        return store.run(tx -> {
            List<String> keys = new ArrayList<>();
            KeyRange r = KeyRange.of(t);
            for (KeyValue kv : tx.getRange(r)) {
                keys.add(Tuple.fromBytes(kv.value()).getString(1));
            }
            tx.clearRange(r.begin(), r.end());
            return keys;
        });
    }

    /** Whether some manifest entry names {@code objectKey} (the orphan sweep's last look before a delete). */
    public boolean names(String objectKey) {
        // Keys are <cluster>/<topic id>/<partition>/<base offset>-<epoch>-<uuid>.seg: one point read.
        String[] parts = objectKey.split("/");
        try {
            if (parts.length >= 4) {
                UUID topicId = UUID.fromString(parts[parts.length - 3]);
                int partition = Integer.parseInt(parts[parts.length - 2]);
                long base = Long.parseLong(parts[parts.length - 1].substring(0, 20));
                Subspace p = partition(topicId, partition);
                return store.run(tx -> {
                    byte[] v = tx.get(p.pack(Tuple.from(base)));
                    return v != null && Tuple.fromBytes(v).getString(1).equals(objectKey);
                });
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // Not a key this store wrote: fall back to the full scan.
        }
        return allObjectKeys().contains(objectKey);
    }

    /** Every object key the manifest names, for the orphan sweep. */
    public Set<String> allObjectKeys() {
        return store.run(tx -> {
            Set<String> keys = new HashSet<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(segments))) {
                keys.add(Tuple.fromBytes(kv.value()).getString(1));
            }
            return keys;
        });
    }

    private static byte[] encode(SegmentEntry e) {
        return Tuple.from(e.lastOffset(), e.objectKey(), e.sizeBytes(), e.minTimestamp(), e.maxTimestamp(),
                e.leaderEpoch(), e.committedAtMs()).pack();
    }

    private static SegmentEntry decode(long base, byte[] v) {
        Tuple t = Tuple.fromBytes(v);
        return new SegmentEntry(base, t.getLong(0), t.getString(1), t.getLong(2), t.getLong(3), t.getLong(4),
                (int) t.getLong(5), t.getLong(6));
    }
}
