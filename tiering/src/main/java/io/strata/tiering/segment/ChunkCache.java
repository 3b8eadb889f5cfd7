package io.strata.tiering.segment;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded LRU of fixed-size object chunks (objects are immutable, so a chunk never goes
 * stale). Thread-safe.
 */
public final class ChunkCache {
    private final long maxBytes;
    private long bytes;
    private final LinkedHashMap<String, byte[]> chunks = new LinkedHashMap<>(64, 0.75f, true);

    public ChunkCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public synchronized byte[] get(String key) {
        return chunks.get(key);
    }

    public synchronized boolean contains(String key) {
        return chunks.containsKey(key);
    }

    public synchronized void put(String key, byte[] chunk) {
        byte[] old = chunks.put(key, chunk);
        bytes += chunk.length - (old == null ? 0 : old.length);
        var it = chunks.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<String, byte[]> e = it.next();
            if (e.getKey().equals(key)) {
                continue;
            }
            bytes -= e.getValue().length;
            it.remove();
        }
    }

    public synchronized long sizeInBytes() {
        return bytes;
    }
}
