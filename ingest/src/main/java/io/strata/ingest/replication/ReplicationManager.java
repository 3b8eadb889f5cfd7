package io.strata.ingest.replication;

import io.strata.ingest.cluster.ClusterNode;
import io.strata.ingest.cluster.ClusterView;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.NodeRecord;
import io.strata.metastore.store.PartitionPlacement;
import io.strata.metastore.store.TopicRecord;
import io.strata.records.Batches;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Replication the Kafka way, first slice: for every partition with more than one replica, the
 * leader tracks its followers' log ends and moves the high watermark to the minimum over the
 * replicas ({@link LeaderReplicas}); acks=all produces wait for it. A follower's
 * {@code replica-fetcher} thread sends Kafka Fetch requests with its replica id to each leader
 * and appends what comes back verbatim ({@link PartitionLog#appendAsFollower}).
 *
 * <p>Not yet: ISR shrink and expand (the ISR is the replica set), leader failover and the
 * epoch-based truncation it needs, min.insync.replicas.
 */
public final class ReplicationManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicationManager.class);
    static final int FETCH_MAX_WAIT_MS = 250;

    private final TopicManager topics;
    private final ClusterNode cluster;
    private final LongSupplier clock;
    private final Map<TopicPartition, LeaderReplicas> leaders = new ConcurrentHashMap<>();
    private final Map<Integer, WireClient> connections = new HashMap<>();
    private final ScheduledExecutorService fetcher = io.strata.ingest.util.NamedThreads.scheduled("replica-fetcher");
    private final ScheduledExecutorService timeouts = io.strata.ingest.util.NamedThreads.scheduled("replica-purgatory");

    public ReplicationManager(TopicManager topics, ClusterNode cluster, LongSupplier clock) {
        this.topics = topics;
        this.cluster = cluster;
        this.clock = clock;
    }

    public void start() {
        fetcher.scheduleWithFixedDelay(this::roundGuarded, 0, 20, TimeUnit.MILLISECONDS);
    }

    private record Follow(TopicPartition tp, PartitionLog log) {
    }

    private void roundGuarded() {
        try {
            round();
        } catch (RuntimeException e) {
            log.warn("replica fetch round failed: {}", e.toString());
            sleep(500);
        }
    }

    /** Brings roles in line with the view, then fetches once from every leader this node follows. */
    private void round() {
        ClusterView view = cluster.view();
        Map<Integer, List<Follow>> byLeader = new HashMap<>();
        for (Map.Entry<TopicPartition, PartitionLog> e : topics.logs().entrySet()) {
            TopicPartition tp = e.getKey();
            Optional<TopicRecord> t = topics.topic(tp.topic());
            Optional<PartitionPlacement> p = t.flatMap(x -> view.placement(x.id(), tp.partition()));
            if (p.isEmpty() || p.get().replicas().size() < 2) {
                e.getValue().setReplicated(false);
                leaders.remove(tp);
                continue;
            }
            PartitionPlacement pp = p.get();
            e.getValue().setReplicated(true);
            if (pp.leader() == cluster.nodeId()) {
                leaders.computeIfAbsent(tp, k -> new LeaderReplicas(e.getValue(), cluster.nodeId(), pp.isr())).setIsr(pp.isr());
            } else {
                leaders.remove(tp);
                if (pp.replicas().contains(cluster.nodeId()) && pp.leader() >= 0 && view.isLive(pp.leader())) {
                    byLeader.computeIfAbsent(pp.leader(), k -> new ArrayList<>()).add(new Follow(tp, e.getValue()));
                }
            }
        }
        if (byLeader.isEmpty()) {
            sleep(100);
            return;
        }
        for (Map.Entry<Integer, List<Follow>> e : byLeader.entrySet()) {
            view.node(e.getKey()).ifPresent(leader -> fetchFrom(leader, e.getValue()));
        }
    }

    private void fetchFrom(NodeRecord leader, List<Follow> partitions) {
        FetchRequestData req = new FetchRequestData().setReplicaId(cluster.nodeId()).setMaxWaitMs(FETCH_MAX_WAIT_MS).setMinBytes(1)
                .setMaxBytes(16 << 20).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1);
        Map<String, FetchRequestData.FetchTopic> byTopic = new HashMap<>();
        Map<TopicPartition, PartitionLog> logs = new HashMap<>();
        for (Follow f : partitions) {
            byTopic.computeIfAbsent(f.tp().topic(), n -> {
                FetchRequestData.FetchTopic ft = new FetchRequestData.FetchTopic().setTopic(n);
                req.topics().add(ft);
                return ft;
            }).partitions().add(new FetchRequestData.FetchPartition().setPartition(f.tp().partition())
                    .setFetchOffset(f.log().logEndOffset()).setLogStartOffset(f.log().logStartOffset()).setPartitionMaxBytes(1 << 20));
            logs.put(f.tp(), f.log());
        }
        FetchResponseData resp;
        try {
            WireClient c = connections.get(leader.nodeId());
            if (c == null) {
                c = new WireClient(leader.host(), leader.port(), "strata-replica-" + cluster.nodeId(), 30_000);
                connections.put(leader.nodeId(), c);
            }
            resp = (FetchResponseData) c.send(req, (short) 12);
        } catch (IOException e) {
            WireClient broken = connections.remove(leader.nodeId());
            if (broken != null) {
                broken.close();
            }
            log.debug("replica fetch from node {} failed: {}", leader.nodeId(), e.getMessage());
            sleep(200);
            return;
        }
        long now = clock.getAsLong();
        for (FetchResponseData.FetchableTopicResponse t : resp.responses()) {
            for (FetchResponseData.PartitionData pd : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.topic(), pd.partitionIndex());
                PartitionLog pl = logs.get(tp);
                if (pl == null || pd.errorCode() != Errors.NONE.code()) {
                    continue;
                }
                java.nio.ByteBuffer bytes = Batches.bytesOf(pd.records());
                if (bytes.hasRemaining()) {
                    pl.appendAsFollower(bytes, now);
                }
                pl.updateHighWatermark(Math.min(pd.highWatermark(), pl.logEndOffset()));
            }
        }
    }

    /** The leader side of a follower's Fetch: it holds everything below {@code fetchOffset}. */
    public void replicaFetched(TopicPartition tp, int followerId, long fetchOffset) {
        LeaderReplicas r = leaders.get(tp);
        if (r != null) {
            r.followerFetched(followerId, fetchOffset);
        }
    }

    /** Called after every leader append: moves the watermark when no follower holds it back. */
    public void leaderAppended(TopicPartition tp) {
        LeaderReplicas r = leaders.get(tp);
        if (r != null) {
            r.leaderAppended();
        }
    }

    /**
     * Completes when every in-sync replica holds {@code lastOffset} (at once for a partition with
     * one replica), or fails with a timeout after {@code timeoutMs}.
     */
    public CompletableFuture<Void> awaitReplicated(TopicPartition tp, PartitionLog pl, long lastOffset, long timeoutMs) {
        LeaderReplicas r = leaders.get(tp);
        if (r == null || !pl.isReplicated()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = r.awaitReplicated(lastOffset);
        if (!f.isDone()) {
            timeouts.schedule(() -> f.completeExceptionally(new TimeoutException(
                    tp + ": not all in-sync replicas hold offset " + lastOffset + " after " + timeoutMs + " ms")), timeoutMs, TimeUnit.MILLISECONDS);
        }
        return f;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        fetcher.shutdownNow();
        timeouts.shutdownNow();
        try {
            fetcher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.values().forEach(WireClient::close);
    }
}
