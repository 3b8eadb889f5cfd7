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
 * are taken, one unused for {@value #EVICTION_MS} ms makes room, a follower's session may replace a
 * consumer's, and a larger session may replace a smaller one; otherwise the client is answered
 * with session id 0 and goes on with full fetches. A request of epoch -1 closes its session and is
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

    synchronized FetchSession get(int id) {
        return sessions.get(id);
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
        FetchSession session = get(req.sessionId());
        if (session == null) {
            return CompletableFuture.completedFuture(error(Errors.FETCH_SESSION_ID_NOT_FOUND));
        }
        Errors refused = session.update(req, clock.getAsLong());
        if (refused != null) {
            return CompletableFuture.completedFuture(error(refused));
        }
        if (session.size() == 0) {
            // Everything forgotten: Kafka drops the session and answers without one.
            remove(session.id);
            return read.apply(req).thenApply(resp -> resp.setSessionId(0));
        }
        int expected = session.epoch();
        return read.apply(session.toRead(req)).thenApply(resp -> session.trim(resp, expected)
                ? resp.setSessionId(session.id)
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
        FetchSession session;
        synchronized (this) {
            if (sessions.size() >= slots && !evictOneFor(privileged, size, now)) {
                return 0;
            }
            int id;
            do {
                id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
            } while (sessions.containsKey(id));
            session = new FetchSession(id, privileged, now);
            sessions.put(id, session);
        }
        session.fill(req, resp);
        return session.id;
    }

    /**
     * Makes room as Kafka does: the least recently used session if it has been unused for
     * {@link #EVICTION_MS}; else, for a follower, the least recently used consumer session; else
     * the smallest consumer session if it is smaller than the new one.
     */
    private boolean evictOneFor(boolean privileged, int size, long now) {
        FetchSession lru = null;
        FetchSession lruConsumer = null;
        FetchSession smallestConsumer = null;
        for (FetchSession s : sessions.values()) {
            if (lru == null || s.lastUsedMs() < lru.lastUsedMs()) {
                lru = s;
            }
            if (!s.privileged) {
                if (lruConsumer == null || s.lastUsedMs() < lruConsumer.lastUsedMs()) {
                    lruConsumer = s;
                }
                if (smallestConsumer == null || s.size() < smallestConsumer.size()) {
                    smallestConsumer = s;
                }
            }
        }
        FetchSession victim = null;
        if (lru != null && now - lru.lastUsedMs() >= EVICTION_MS) {
            victim = lru;
        } else if (privileged) {
            victim = lruConsumer;
        } else if (smallestConsumer != null && smallestConsumer.size() < size) {
            victim = smallestConsumer;
        }
        if (victim == null) {
            return false;
        }
        sessions.remove(victim.id);
        evictions.increment();
        return true;
    }

    /** For tests: the ids of the open sessions. */
    synchronized List<Integer> ids() {
        return List.copyOf(sessions.keySet());
    }
}
