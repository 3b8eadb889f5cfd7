package io.strata.ingest.replication;

import io.strata.ingest.log.PartitionLog;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A leader's view of one replicated partition in one leader epoch: each follower's log end as
 * its replica fetches report it (Kafka's rule: a fetch at offset X means the follower holds
 * everything below X), when each was last caught up, the ISR, the high watermark derived from
 * them, and the acks=all produces waiting for it.
 *
 * <p>The ISR has two parts, as in Kafka's {@code PartitionState}: the committed one (in the
 * MetaStore at {@link #partitionEpoch}) and, while a change is being written, the maximal one —
 * the committed set plus a replica being added. The high watermark is the minimum log end over
 * the maximal set, so that whichever way the write ends, no record below the watermark is
 * missing from a replica that might become leader. {@code min.insync.replicas} counts the
 * committed set.
 *
 * <p>Thread-safe: fetches and produces arrive on any request thread.
 */
final class LeaderReplicas {
    private record Waiter(long offset, CompletableFuture<Void> done) {
    }

    private static final class Follower {
        long logEnd = -1;
        long lastCaughtUpMs;
        long lastFetchMs;
        long leaderEndAtLastFetch;
    }

    private final PartitionLog log;
    private final int leaderId;
    private final int leaderEpoch;
    /** Where this epoch started in the log: a follower is only caught up once it holds this. */
    private final long epochStartOffset;
    private List<Integer> replicas;
    private final Map<Integer, Follower> followers = new HashMap<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private List<Integer> isr;
    private int partitionEpoch;
    private Set<Integer> pendingAdds = Set.of();
    private boolean closed;

    LeaderReplicas(PartitionLog log, int leaderId, int leaderEpoch, int partitionEpoch, List<Integer> replicas, List<Integer> isr,
                   long nowMs) {
        this.log = log;
        this.leaderId = leaderId;
        this.leaderEpoch = leaderEpoch;
        this.partitionEpoch = partitionEpoch;
        this.replicas = List.copyOf(replicas);
        this.isr = List.copyOf(isr);
        this.epochStartOffset = log.logEndOffset();
        for (int r : replicas) {
            if (r != leaderId) {
                Follower f = new Follower();
                // A new leader gives every follower a full lag window before judging it (Kafka does the same).
                f.lastCaughtUpMs = nowMs;
                followers.put(r, f);
            }
        }
    }

    int leaderEpoch() {
        return leaderEpoch;
    }

    synchronized int partitionEpoch() {
        return partitionEpoch;
    }

    synchronized List<Integer> isr() {
        return isr;
    }

    /**
     * A newer placement of the same leader epoch was read: an ISR change committed (by us or the
     * controller), or replicas added or removed by a reassignment.
     */
    synchronized void placementChanged(int partitionEpoch, List<Integer> replicas, List<Integer> isr, long nowMs) {
        if (partitionEpoch > this.partitionEpoch) {
            this.partitionEpoch = partitionEpoch;
            this.isr = List.copyOf(isr);
            this.replicas = List.copyOf(replicas);
            for (int r : replicas) {
                if (r != leaderId && !followers.containsKey(r)) {
                    Follower f = new Follower();
                    f.lastCaughtUpMs = nowMs;
                    followers.put(r, f);
                }
            }
            followers.keySet().retainAll(replicas);
            advance();
        }
    }

    /** A follower fetched from {@code fetchOffset} at {@code nowMs}: it holds everything below. */
    synchronized void followerFetched(int followerId, long fetchOffset, long nowMs) {
        Follower f = followers.get(followerId);
        if (f == null) {
            return;
        }
        long leaderEnd = log.logEndOffset();
        // Kafka's rule: caught up now if it asked for the log end; caught up at its previous fetch
        // if it now asks for what was the log end then.
        if (fetchOffset >= leaderEnd) {
            f.lastCaughtUpMs = nowMs;
        } else if (fetchOffset >= f.leaderEndAtLastFetch && f.lastFetchMs > 0) {
            f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
        }
        f.leaderEndAtLastFetch = leaderEnd;
        f.lastFetchMs = nowMs;
        // As reported, even if lower than before: a follower that restarted may hold less than it did.
        f.logEnd = fetchOffset;
        advance();
    }

    /** The leader appended: with no follower in the ISR the watermark moves by itself. */
    synchronized void leaderAppended() {
        advance();
    }

    private void advance() {
        long hw = log.logEndOffset();
        for (int r : maximalIsr()) {
            if (r != leaderId) {
                Follower f = followers.get(r);
                hw = Math.min(hw, f == null || f.logEnd < 0 ? log.highWatermark() : f.logEnd);
            }
        }
        log.updateHighWatermark(hw);
        long now = log.highWatermark();
        int minIsr = log.config().minInsyncReplicas();
        waiters.removeIf(w -> {
            if (now > w.offset()) {
                if (isr.size() < minIsr) {
                    // Kafka's rule: replicated, but to fewer in-sync replicas than asked for.
                    w.done().completeExceptionally(new org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException(
                            log.name() + ": the ISR shrank to " + isr + ", below min.insync.replicas " + minIsr));
                } else {
                    w.done().complete(null);
                }
                return true;
            }
            return false;
        });
    }

    private Set<Integer> maximalIsr() {
        Set<Integer> out = new LinkedHashSet<>(isr);
        out.addAll(pendingAdds);
        return out;
    }

    /** Completes once every in-sync replica holds {@code lastOffset}. */
    synchronized CompletableFuture<Void> awaitReplicated(long lastOffset) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new NotLeaderOrFollowerException(log.name() + ": no longer the leader"));
            return f;
        }
        waiters.add(new Waiter(lastOffset, f));
        advance();
        return f;
    }

    private long lastNowMs;

    /**
     * The ISR this leader would commit now: laggards and non-replicas out, caught-up replicas in
     * (not ones that are shutting down or rejoining: {@code eligible}); null when it is right as it is.
     */
    synchronized List<Integer> proposedIsr(long nowMs, long maxLagMs, java.util.function.IntPredicate eligible) {
        lastNowMs = nowMs;
        List<Integer> next = new ArrayList<>();
        for (int r : isr) {
            Follower f = followers.get(r);
            if (r == leaderId || (f != null && nowMs - f.lastCaughtUpMs <= maxLagMs)) {
                next.add(r);
            }
        }
        long hw = log.highWatermark();
        for (int r : replicas) {
            Follower f = followers.get(r);
            if (!next.contains(r) && f != null && !isr.contains(r) && f.logEnd >= hw && f.logEnd >= epochStartOffset
                    && nowMs - f.lastCaughtUpMs <= maxLagMs && eligible.test(r)) {
                next.add(r);
            }
        }
        return next.equals(isr) ? null : next;
    }

    /** A write of {@code next} is about to start: replicas it adds count for the watermark from now. */
    synchronized void beginChange(List<Integer> next) {
        Set<Integer> adds = new LinkedHashSet<>(next);
        adds.removeAll(isr);
        pendingAdds = adds;
    }

    /** The write ended: committed at {@code partitionEpoch} with {@code committed}, or not (null). */
    synchronized void endChange(Integer partitionEpoch, List<Integer> committed) {
        pendingAdds = Set.of();
        if (partitionEpoch != null) {
            placementChanged(partitionEpoch, replicas, committed, lastNowMs);
        }
        advance();
    }

    /** This replica stopped leading in this epoch: every waiting produce fails so its client retries at the new leader. */
    synchronized void close() {
        closed = true;
        for (Waiter w : waiters) {
            w.done().completeExceptionally(new NotLeaderOrFollowerException(log.name() + ": leadership moved before the record was replicated"));
        }
        waiters.clear();
    }
}
