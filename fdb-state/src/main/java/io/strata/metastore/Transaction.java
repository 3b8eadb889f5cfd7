package io.strata.metastore;

import java.util.List;

/**
 * One serializable transaction. Keys compare as unsigned bytes, like FoundationDB's.
 * Not thread-safe: a transaction belongs to the thread running its work function.
 */
public interface Transaction {

    /** The value at {@code key}, or {@code null} when absent. */
    byte[] get(byte[] key);

    void set(byte[] key, byte[] value);

    void clear(byte[] key);

    /** Clears every key in {@code [begin, end)}. */
    void clearRange(byte[] begin, byte[] end);

    /**
     * Keys in {@code [begin, end)}, ascending or (when {@code reverse}) descending,
     * at most {@code limit} of them ({@code limit <= 0} means no limit).
     */
    List<KeyValue> getRange(byte[] begin, byte[] end, int limit, boolean reverse);

    /**
     * Tells watchers of {@code channel} ({@link MetaStore#watch}) that something changed, once
     * this transaction commits: PostgreSQL's NOTIFY, a change key FoundationDB watches. Stores
     * without a push mechanism ignore it (their watchers poll).
     */
    default void signal(String channel) {
    }

    default List<KeyValue> getRange(KeyRange range) {
        return getRange(range.begin(), range.end(), 0, false);
    }
}
