package io.strata.metastore;

import com.apple.foundationdb.tuple.Tuple;

/**
 * Run as a separate JVM by the contract suite: increments a counter {@code n} times through a
 * MetaStore URL, each increment one read-modify-write transaction.
 */
public final class CounterWorker {
    static final byte[] KEY = Tuple.from("contract-test", "process-counter").pack();

    private CounterWorker() {
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[1]);
        try (MetaStore store = MetaStores.open(args[0])) {
            for (int i = 0; i < n; i++) {
                increment(store);
            }
        }
    }

    static void increment(MetaStore store) {
        store.run(tx -> {
            byte[] cur = tx.get(KEY);
            long v = cur == null ? 0 : Tuple.fromBytes(cur).getLong(0);
            tx.set(KEY, Tuple.from(v + 1).pack());
            return null;
        });
    }
}
