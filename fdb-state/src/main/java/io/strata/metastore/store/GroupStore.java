package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.Transaction;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Consumer groups ({@code groups/<group>}) and their committed offsets
 * ({@code offsets/<group>/<topic>/<partition>}). An offset commit is one transaction for all
 * partitions of the request, and rewriting the same value is harmless, so a retried commit
 * after an unknown result cannot corrupt anything. A member's commit checks, in its own
 * transaction, that the stored group has not moved to a later generation, so a commit that
 * arrives late (or from a coordinator that lost the group) cannot go back in time.
 */
public final class GroupStore {
    private final MetaStore store;
    private final Subspace groups;
    private final Subspace offsets;

    public GroupStore(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.groups = keyspace.area(Keyspace.Area.GROUPS);
        this.offsets = keyspace.area(Keyspace.Area.OFFSETS);
    }

    public CompletableFuture<Void> saveGroup(GroupRecord group) {
        return store.runAsync(tx -> {
            tx.set(groups.pack(Tuple.from(group.groupId())), Json.write(group));
            return null;
        });
    }

    public Optional<GroupRecord> loadGroup(String groupId) {
        return store.run(tx -> Optional.ofNullable(tx.get(groups.pack(Tuple.from(groupId)))).map(b -> Json.read(b, GroupRecord.class)));
    }

    public List<GroupRecord> loadGroups() {
        return store.run(tx -> {
            List<GroupRecord> out = new ArrayList<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(groups))) {
                out.add(Json.read(kv.value(), GroupRecord.class));
            }
            return out;
        });
    }

    /** Every group id that has either a stored group or committed offsets. */
    public List<String> groupIds() {
        return store.run(tx -> {
            java.util.TreeSet<String> ids = new java.util.TreeSet<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(groups))) {
                ids.add(groups.unpack(kv.key()).getString(0));
            }
            for (KeyValue kv : tx.getRange(KeyRange.of(offsets))) {
                ids.add(offsets.unpack(kv.key()).getString(0));
            }
            return new ArrayList<>(ids);
        });
    }

    /** Removes the group and all its committed offsets. */
    public CompletableFuture<Void> deleteGroup(String groupId) {
        return store.runAsync(tx -> {
            tx.clear(groups.pack(Tuple.from(groupId)));
            KeyRange range = KeyRange.of(offsets.get(groupId));
            tx.clearRange(range.begin(), range.end());
            return null;
        });
    }

    public CompletableFuture<Void> commitOffsets(String groupId, Map<PartitionKey, CommittedOffset> commits) {
        return commitOffsets(groupId, -1, commits);
    }

    /**
     * Commits offsets on behalf of a member of {@code generation} (-1: a simple commit outside
     * the group protocol, not checked).
     *
     * @throws StaleGenerationException (completing the future) when the stored group is at a later generation
     */
    public CompletableFuture<Void> commitOffsets(String groupId, int generation, Map<PartitionKey, CommittedOffset> commits) {
        return store.runAsync(tx -> {
            if (generation >= 0) {
                byte[] stored = tx.get(groups.pack(Tuple.from(groupId)));
                if (stored != null) {
                    int current = Json.read(stored, GroupRecord.class).generation();
                    if (current > generation) {
                        throw new StaleGenerationException("group " + groupId + " is at generation " + current
                                + "; a commit of generation " + generation + " is stale");
                    }
                }
            }
            commits.forEach((tp, o) -> tx.set(offsetKey(groupId, tp),
                    Tuple.from(o.offset(), o.leaderEpoch(), o.metadata(), o.commitTimestamp(), o.topicId()).pack()));
            return null;
        });
    }

    /** A commit for a generation the group has already left. */
    public static final class StaleGenerationException extends RuntimeException {
        public StaleGenerationException(String message) {
            super(message);
        }
    }

    public CompletableFuture<Map<PartitionKey, CommittedOffset>> fetchOffsets(String groupId) {
        return store.runAsync(tx -> readOffsets(tx, groupId));
    }

    public Optional<CommittedOffset> fetchOffset(String groupId, PartitionKey tp) {
        return store.run(tx -> Optional.ofNullable(tx.get(offsetKey(groupId, tp))).map(GroupStore::decode));
    }

    public CompletableFuture<Void> deleteOffsets(String groupId, Collection<PartitionKey> partitions) {
        return store.runAsync(tx -> {
            partitions.forEach(tp -> tx.clear(offsetKey(groupId, tp)));
            return null;
        });
    }

    /**
     * Drops every group's committed offsets for the deleted topic {@code topic} with id
     * {@code topicId} (and those stored without an id under its name); offsets a recreated topic
     * of the same name already got are kept.
     */
    public void deleteOffsetsOfTopic(String topic, String topicId) {
        store.run(tx -> {
            for (KeyValue kv : tx.getRange(KeyRange.of(offsets))) {
                if (offsets.unpack(kv.key()).getString(1).equals(topic)) {
                    String stored = decode(kv.value()).topicId();
                    if (stored == null || stored.equals(topicId)) {
                        tx.clear(kv.key());
                    }
                }
            }
            return null;
        });
    }

    private Map<PartitionKey, CommittedOffset> readOffsets(Transaction tx, String groupId) {
        Subspace group = offsets.get(groupId);
        Map<PartitionKey, CommittedOffset> out = new TreeMap<>();
        for (KeyValue kv : tx.getRange(KeyRange.of(group))) {
            Tuple k = group.unpack(kv.key());
            out.put(new PartitionKey(k.getString(0), (int) k.getLong(1)), decode(kv.value()));
        }
        return out;
    }

    private byte[] offsetKey(String groupId, PartitionKey tp) {
        return offsets.pack(Tuple.from(groupId, tp.topic(), tp.partition()));
    }

    private static CommittedOffset decode(byte[] value) {
        Tuple t = Tuple.fromBytes(value);
        return new CommittedOffset(t.getLong(0), (int) t.getLong(1), t.getString(2), t.getLong(3), t.size() > 4 ? t.getString(4) : null);
    }
}
