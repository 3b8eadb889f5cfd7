package io.strata.ingest.util;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An INFO line per key at most every {@code intervalMs}: for events a client may repeat many
 * times a second (it retries), where the first occurrence is worth a line and the rest a count.
 */
public final class ThrottledLog {
    private final Logger log;
    private final long intervalMs;
    private final Map<Object, long[]> last = new ConcurrentHashMap<>();

    public ThrottledLog(Logger log, long intervalMs) {
        this.log = log;
        this.intervalMs = intervalMs;
    }

    public void log(Object key, String message) {
        long now = System.currentTimeMillis();
        long[] state = last.computeIfAbsent(key, k -> new long[]{Long.MIN_VALUE / 2, 0});
        long suppressed;
        synchronized (state) {
            if (now - state[0] < intervalMs) {
                state[1]++;
                return;
            }
            suppressed = state[1];
            state[0] = now;
            state[1] = 0;
        }
        if (last.size() > 10_000) {
            last.clear();
        }
        log.info("{}: {}{}", key, message, suppressed > 0 ? " (" + suppressed + " more since the last line)" : "");
    }
}
