package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * SCRAM credentials of users, as RFC 5802 keeps them: {@code users/<name>/<mechanism>} → salt,
 * StoredKey, ServerKey and iteration count (JSON). Never the password: a stolen MetaStore lets
 * nobody log in (the keys prove a password, they are not one). Every node reads them from here,
 * so a user added through one node can log in on all of them.
 */
public final class ScramCredentialStore {
    private final MetaStore store;
    private final Subspace users;

    public ScramCredentialStore(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.users = keyspace.area(Keyspace.Area.USERS);
    }

    /** One user's credential for one mechanism (e.g. SCRAM-SHA-512). */
    public record Credential(String mechanism, byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {
    }

    public Optional<Credential> get(String user, String mechanism) {
        byte[] v = store.run(tx -> tx.get(users.pack(Tuple.from(user, mechanism))));
        return v == null ? Optional.empty() : Optional.of(Json.read(v, Credential.class));
    }

    /** Adds or replaces the user's credential for {@code credential.mechanism()}. */
    public void put(String user, Credential credential) {
        store.run(tx -> {
            tx.set(users.pack(Tuple.from(user, credential.mechanism())), Json.write(credential));
            return null;
        });
    }

    /** Adds the credential only when the user has none for that mechanism; true when it was added. */
    public boolean putIfAbsent(String user, Credential credential) {
        return store.run(tx -> {
            byte[] key = users.pack(Tuple.from(user, credential.mechanism()));
            if (tx.get(key) != null) {
                return false;
            }
            tx.set(key, Json.write(credential));
            return true;
        });
    }

    /** Removes the user's credential for {@code mechanism}; false when there was none. */
    public boolean delete(String user, String mechanism) {
        return store.run(tx -> {
            byte[] key = users.pack(Tuple.from(user, mechanism));
            if (tx.get(key) == null) {
                return false;
            }
            tx.clear(key);
            return true;
        });
    }

    /** Every user with the mechanisms and iteration counts of their credentials, by name. */
    public Map<String, Map<String, Integer>> list() {
        List<KeyValue> all = store.run(tx -> tx.getRange(KeyRange.of(users)));
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        for (KeyValue kv : all) {
            Tuple t = users.unpack(kv.key());
            Credential c = Json.read(kv.value(), Credential.class);
            out.computeIfAbsent(t.getString(0), u -> new TreeMap<>()).put(t.getString(1), c.iterations());
        }
        return out;
    }
}
