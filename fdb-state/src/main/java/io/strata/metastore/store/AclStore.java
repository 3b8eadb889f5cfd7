package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Access control entries, one key each: {@code acls/<resource type>/<pattern type>/<resource
 * name>/<principal>/<host>/<operation>/<permission>} with an empty value (types, operations and
 * permissions are Kafka's codes). A binding is its key, so adding one twice is one entry and
 * removing is clearing its key. Every write signals {@link #CHANGES} so other nodes reload.
 */
public final class AclStore {
    public static final String CHANGES = "strata_acls";

    private final MetaStore store;
    private final Subspace acls;

    public AclStore(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.acls = keyspace.area(Keyspace.Area.ACLS);
    }

    /** One binding, in Kafka's codes (ResourceType, PatternType, AclOperation, AclPermissionType). */
    public record Entry(byte resourceType, byte patternType, String resourceName, String principal, String host, byte operation,
                        byte permission) {
        Tuple tuple() {
            return Tuple.from(resourceType, patternType, resourceName, principal, host, operation, permission);
        }

        static Entry of(Tuple t) {
            return new Entry((byte) t.getLong(0), (byte) t.getLong(1), t.getString(2), t.getString(3), t.getString(4),
                    (byte) t.getLong(5), (byte) t.getLong(6));
        }
    }

    public List<Entry> all() {
        List<KeyValue> kvs = store.run(tx -> tx.getRange(KeyRange.of(acls)));
        List<Entry> out = new ArrayList<>(kvs.size());
        kvs.forEach(kv -> out.add(Entry.of(acls.unpack(kv.key()))));
        return out;
    }

    public void add(Collection<Entry> entries) {
        store.run(tx -> {
            entries.forEach(e -> tx.set(acls.pack(e.tuple()), new byte[0]));
            tx.signal(CHANGES);
            return null;
        });
    }

    public void remove(Collection<Entry> entries) {
        store.run(tx -> {
            entries.forEach(e -> tx.clear(acls.pack(e.tuple())));
            tx.signal(CHANGES);
            return null;
        });
    }

    public AutoCloseable watch(Runnable onChange) {
        return store.watch(CHANGES, onChange);
    }
}
