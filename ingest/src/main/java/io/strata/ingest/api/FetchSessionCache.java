package io.strata.ingest.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The broker's incremental fetch sessions (KIP-227), as Kafka's {@code FetchManager} keeps them: a
 * client's full fetch (epoch 0) opens one, its later fetches name only the partitions whose
 * position changed, and each answer carries only the partitions with something new; a consumer of
 * a thousand quiet partitions then sends and receives a few bytes per fetch instead of tens of
 * kilobytes. {@code max.incremental.fetch.session.cache.slots} bounds the sessions kept; when all
 * are taken, one unused for over {@value #EVICTION_MS} ms makes room, a follower's session may
 * replace a consumer's, and a session older than that may be replaced by a larger one; otherwise
 * the client is answered with session id 0 and goes on with full fetches. A request of epoch -1 closes its session and is
 * read as a full fetch without one. Thread-safe.
 */
final class FetchSessionCache {
    /** How long a session must have been unused before a new one may take its slot (Kafka's value). */
    static final long EVICTION_MS = 120_000;
    static final int INITIAL_EPOCH = 0;
    static final int FINAL_EPOCH = -1;

    private final int slots;
    private final LongSupplier clock;
    private final Map<Integer, FetchSession> sessions = new HashMap<>();
    private final Counter evictions;

    FetchSessionCache(int slots, LongSupplier clock, MeterRegistry metrics) {
        this.slots = slots;
        this.clock = clock;
        this.evictions = Counter.builder("strata.fetch.sessions.evicted")
                .description("Incremental fetch sessions evicted to make room for another").register(metrics);
        Gauge.builder("strata.fetch.sessions", this, FetchSessionCache::size)
                .description("Incremental fetch sessions open (KIP-227)").register(metrics);
        Gauge.builder("strata.fetch.sessions.partitions", this, FetchSessionCache::partitions)
                .description("Partitions held by the open incremental fetch sessions").register(metrics);
    }

    synchronized int size() {
        return sessions.size();
    }

    synchronized long partitions() {
        return sessions.values().stream().mapToLong(FetchSession::size).sum();
    }

    /**
     * Answers a fetch through its session: {@code read} reads the partitions to read (the request's
     * own, or for an incremental request all of its session's) and the answer is cut to what the
     * client must hear. Versions before 7 have no sessions.
     */
    CompletableFuture<FetchResponseData> fetch(FetchRequestData req, short version,
                                               Function<FetchRequestData, CompletableFuture<FetchResponseData>> read) {
        if (version < 7) {
            return read.apply(req);
        }
        boolean full = req.sessionEpoch() == INITIAL_EPOCH || req.sessionEpoch() == FINAL_EPOCH;
        if (full) {
            if (req.sessionId() != 0) {
                // A full request closes the session it names, whether or not it opens another.
                remove(req.sessionId());
            }
            if (req.sessionEpoch() == FINAL_EPOCH) {
                return read.apply(req).thenApply(resp -> resp.setSessionId(0));
            }
            return read.apply(req).thenApply(resp -> resp.setSessionId(open(req, resp)));
        }
        FetchSession session;
        FetchRequestData toRead;
        int expected;
        // Looked up, updated and copied in one step: a session evicted meanwhile cannot be updated, and a second
        // request of the same session cannot slip between this one's update and the epoch its answer expects.
        synchronized (this) {
            session = sessions.get(req.sessionId());
            if (session == null) {
                return CompletableFuture.completedFuture(error(Errors.FETCH_SESSION_ID_NOT_FOUND));
            }
            Errors refused = session.update(req, clock.getAsLong());
            if (refused != null) {
                return CompletableFuture.completedFuture(error(refused));
            }
            if (session.size() == 0) {
                // Everything forgotten: Kafka drops the session and answers without one.
                sessions.remove(session.id);
                session = null;
                toRead = req;
                expected = 0;
            } else {
                toRead = session.toRead(req);
                expected = FetchSession.nextEpoch(req.sessionEpoch());
            }
        }
        if (session == null) {
            return read.apply(toRead).thenApply(resp -> resp.setSessionId(0));
        }
        FetchSession s = session;
        return read.apply(toRead).thenApply(resp -> s.trim(resp, expected)
                ? resp.setSessionId(s.id)
                : error(Errors.INVALID_FETCH_SESSION_EPOCH));
    }

    static FetchResponseData error(Errors e) {
        return new FetchResponseData().setErrorCode(e.code()).setSessionId(0);
    }

    private synchronized void remove(int id) {
        sessions.remove(id);
    }

    /** A new session holding a full request's partitions, or 0 when none may be opened. */
    private int open(FetchRequestData req, FetchResponseData resp) {
        int size = req.topics().stream().mapToInt(t -> t.partitions().size()).sum();
        if (slots <= 0 || size == 0) {
            return 0;
        }
        boolean privileged = req.replicaId() >= 0;
        long now = clock.getAsLong();
        // Filled before it is published: an eviction running meanwhile must not take it for an empty one.
        FetchSession session = new FetchSession(ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE), privileged, now);
        session.fill(req, resp);
        synchronized (this) {
            if (sessions.containsKey(session.id) || (sessions.size() >= slots && !evictOneFor(privileged, size, now))) {
                // An id already in use (one chance in millions) costs this client one more full fetch.
                return 0;
            }
            sessions.put(session.id, session);
        }
        return session.id;
    }

    /**
     * Makes room as Kafka's {@code FetchSessionCache.tryEvict} does: the least recently used
     * session if it has been unused for more than {@link #EVICTION_MS}; else the least valuable
     * evictable session if the new one is worth more. A consumer's session is worth less than a
     * follower's, then a smaller one less than a larger one (equal ones keep their place).
     * Evictable by anyone: sessions created more than {@link #EVICTION_MS} ago; by a follower, also
     * any consumer's session.
     */
    private boolean evictOneFor(boolean privileged, int size, long now) {
        FetchSession lru = null;
        FetchSession cheapest = null;
        for (FetchSession s : sessions.values()) {
            if (lru == null || s.lastUsedMs() < lru.lastUsedMs()) {
                lru = s;
            }
            boolean old = now - s.createdMs > EVICTION_MS;
            if ((old || (privileged && !s.privileged)) && (cheapest == null || worth(s.privileged, s.size()) < worth(cheapest.privileged, cheapest.size()))) {
                cheapest = s;
            }
        }
        FetchSession victim;
        if (lru != null && now - lru.lastUsedMs() > EVICTION_MS) {
            victim = lru;
        } else if (cheapest != null && worth(privileged, size) > worth(cheapest.privileged, cheapest.size())) {
            victim = cheapest;
        } else {
            return false;
        }
        sessions.remove(victim.id);
        evictions.increment();
        return true;
    }

    /** Kafka's ordering of sessions for eviction: followers' above consumers', then by partitions held. */
    private static long worth(boolean privileged, int size) {
        return (privileged ? 1L << 32 : 0) + size;
    }

    /** For tests: the ids of the open sessions. */
    synchronized List<Integer> ids() {
        return List.copyOf(sessions.keySet());
    }
}
