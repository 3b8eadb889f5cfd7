package io.strata.metastore.store;

import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/** The cluster id that every node of one MetaStore reports, created once by the first node. */
public final class ClusterIdentity {
    private ClusterIdentity() {
    }

    public static String getOrCreate(MetaStore store, Keyspace keyspace) {
        byte[] key = keyspace.area(Keyspace.Area.CLUSTER).pack();
        return store.run(tx -> {
            byte[] existing = tx.get(key);
            if (existing != null) {
                return new String(existing, StandardCharsets.UTF_8);
            }
            UUID uuid = UUID.randomUUID();
            ByteBuffer buf = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(buf.array());
            tx.set(key, id.getBytes(StandardCharsets.UTF_8));
            return id;
        });
    }
}
