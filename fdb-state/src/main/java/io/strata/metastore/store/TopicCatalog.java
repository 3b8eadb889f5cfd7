package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Topics and their configs, one key per topic under {@code topics/<name>}. */
public final class TopicCatalog {
    private final MetaStore store;
    private final Subspace topics;

    public TopicCatalog(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.topics = keyspace.area(Keyspace.Area.TOPICS);
    }

    /**
     * Creates the topic unless one of that name exists; returns the topic that is now stored
     * and whether this call created it. Atomic: two concurrent creators get one winner.
     */
    public CreateResult create(String name, int partitions, short replicationFactor, Map<String, String> configs) {
        return store.run(tx -> {
            byte[] existing = tx.get(key(name));
            if (existing != null) {
                return new CreateResult(Json.read(existing, TopicRecord.class), false);
            }
            TopicRecord topic = new TopicRecord(name, UUID.randomUUID(), partitions, replicationFactor, configs);
            tx.set(key(name), Json.write(topic));
            return new CreateResult(topic, true);
        });
    }

    public Optional<TopicRecord> get(String name) {
        return store.run(tx -> Optional.ofNullable(tx.get(key(name))).map(b -> Json.read(b, TopicRecord.class)));
    }

    public List<TopicRecord> list() {
        return store.run(tx -> {
            List<TopicRecord> out = new ArrayList<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(topics))) {
                out.add(Json.read(kv.value(), TopicRecord.class));
            }
            return out;
        });
    }

    /**
     * Whether topic {@code name} exists with id {@code id}, read inside {@code tx} so another
     * store's write can be made conditional on it (a segment committed for a deleted topic).
     */
    public boolean isLive(io.strata.metastore.Transaction tx, String name, java.util.UUID id) {
        byte[] existing = tx.get(key(name));
        return existing != null && Json.read(existing, TopicRecord.class).id().equals(id);
    }

    /** Deletes the topic; returns the deleted record, or empty when there was none. */
    public Optional<TopicRecord> delete(String name) {
        return store.run(tx -> {
            byte[] existing = tx.get(key(name));
            if (existing == null) {
                return Optional.empty();
            }
            tx.clear(key(name));
            return Optional.of(Json.read(existing, TopicRecord.class));
        });
    }

    /** Replaces the stored record of an existing topic; returns false when it no longer exists. */
    public boolean update(TopicRecord topic) {
        return store.run(tx -> {
            byte[] existing = tx.get(key(topic.name()));
            if (existing == null || !Json.read(existing, TopicRecord.class).id().equals(topic.id())) {
                return false;
            }
            tx.set(key(topic.name()), Json.write(topic));
            return true;
        });
    }

    private byte[] key(String name) {
        return topics.pack(Tuple.from(name));
    }

    public record CreateResult(TopicRecord topic, boolean created) {
    }
}
