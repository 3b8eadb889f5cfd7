package io.strata.ingest.server;

import java.util.concurrent.atomic.AtomicInteger;

/** Open client connections (and those paused by backpressure), for metrics and for tests that check nothing leaked. */
public final class ConnectionCounter {
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger paused = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong pauses = new java.util.concurrent.atomic.AtomicLong();

    void pause() {
        paused.incrementAndGet();
        pauses.incrementAndGet();
    }

    void resume() {
        paused.decrementAndGet();
    }

    /** Connections whose reads are paused right now because too much of theirs is unanswered. */
    public int paused() {
        return paused.get();
    }

    /** How many times a connection's reads were paused. */
    public long pauses() {
        return pauses.get();
    }

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
