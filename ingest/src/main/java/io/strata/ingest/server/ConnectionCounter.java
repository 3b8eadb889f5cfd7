package io.strata.ingest.server;

import java.util.concurrent.atomic.AtomicInteger;

/** Open client connections, for metrics and for tests that check nothing leaked. */
public final class ConnectionCounter {
    private final AtomicInteger open = new AtomicInteger();

    void opened() {
        open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }

    public int open() {
        return open.get();
    }
}
