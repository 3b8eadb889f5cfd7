package io.strata.ingest.replication;

import io.strata.ingest.log.PartitionLog;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A leader's view of one replicated partition: each follower's log end, as its replica fetches
 * report it (Kafka's rule: a fetch at offset X means the follower holds everything below X), the
 * high watermark derived from them (the minimum log end over the in-sync replicas, the leader
 * included), and the acks=all produces waiting for it.
 *
 * <p>Thread-safe: fetches and produces of the partition arrive on any request thread.
 */
final class LeaderReplicas {
    private record Waiter(long offset, CompletableFuture<Void> done) {
    }

    private final PartitionLog log;
    private final int leaderId;
    private volatile List<Integer> isr;
    private final Map<Integer, Long> followerEnds = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();

    LeaderReplicas(PartitionLog log, int leaderId, List<Integer> isr) {
        this.log = log;
        this.leaderId = leaderId;
        this.isr = List.copyOf(isr);
    }

    void setIsr(List<Integer> isr) {
        this.isr = List.copyOf(isr);
        advance();
    }

    /** A follower fetched from {@code fetchOffset}: it holds everything below. */
    void followerFetched(int followerId, long fetchOffset) {
        followerEnds.merge(followerId, fetchOffset, Math::max);
        advance();
    }

    /** The leader appended: with no follower in the ISR the watermark moves by itself. */
    void leaderAppended() {
        advance();
    }

    private synchronized void advance() {
        long hw = log.logEndOffset();
        for (int r : isr) {
            if (r != leaderId) {
                hw = Math.min(hw, followerEnds.getOrDefault(r, log.logStartOffset()));
            }
        }
        log.updateHighWatermark(hw);
        long now = log.highWatermark();
        waiters.removeIf(w -> {
            if (now > w.offset()) {
                w.done().complete(null);
                return true;
            }
            return false;
        });
    }

    /** Completes once every in-sync replica holds {@code lastOffset}. */
    CompletableFuture<Void> awaitReplicated(long lastOffset) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiters.add(new Waiter(lastOffset, f));
        advance();
        return f;
    }

}
