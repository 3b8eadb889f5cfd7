package io.strata.metastore.store;

import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;

/**
 * Hands out producer ids in blocks: one transaction reserves {@code blockSize} ids for a node,
 * which then issues them from memory. Ids are never reused, even across restarts (an unused
 * rest of a block is simply skipped). Thread-safe.
 */
public final class ProducerIdStore {
    private final MetaStore store;
    private final byte[] nextKey;
    private final int blockSize;
    private long next;
    private long blockEnd;

    public ProducerIdStore(MetaStore store, Keyspace keyspace, int blockSize) {
        this.store = store;
        this.nextKey = keyspace.area(Keyspace.Area.PRODUCERS).pack(Tuple.from("next"));
        this.blockSize = blockSize;
    }

    public synchronized long nextProducerId() {
        if (next >= blockEnd) {
            long start = store.run(tx -> {
                byte[] cur = tx.get(nextKey);
                long s = cur == null ? 0 : Tuple.fromBytes(cur).getLong(0);
                tx.set(nextKey, Tuple.from(s + blockSize).pack());
                return s;
            });
            next = start;
            blockEnd = start + blockSize;
        }
        return next++;
    }
}
