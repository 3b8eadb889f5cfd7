package io.strata.ingest.replication;

import io.strata.ingest.cluster.ClusterView;
import io.strata.ingest.log.FollowerLog;
import io.strata.ingest.log.LeaderEpochCache;
import io.strata.ingest.log.StaleEpochException;
import io.strata.records.Batches;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The follower side towards one leader node, on its own {@code replica-fetcher-<leader>} thread
 * (a paused or unreachable leader then delays only the partitions it leads). Each round it first
 * reconciles partitions whose leader or epoch changed — OffsetForLeaderEpoch with the newest
 * epoch the local log holds, lowering it while the leader answers with an epoch this log lacks,
 * then truncation to where both agree (KIP-101, KIP-279) — and then sends one Fetch for the rest,
 * within an incremental fetch session: it names only the partitions whose position changed.
 */
final class LeaderFetcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderFetcher.class);
    static final int FETCH_MAX_WAIT_MS = 250;
    /** A leader that answers nothing for this long is treated as gone until the view says otherwise. */
    static final int SOCKET_TIMEOUT_MS = FETCH_MAX_WAIT_MS + 4000;

    private final int leaderId;
    private final ReplicationManager manager;
    private final int me;
    private final ScheduledExecutorService thread;
    private volatile String host;
    private volatile int port;
    private WireClient connection;
    /** This follower's incremental fetch session with the leader (KIP-227), as Kafka's replica fetchers keep one. */
    private final FollowerFetchSession session = new FollowerFetchSession();
    private boolean started;

    LeaderFetcher(int leaderId, ReplicationManager manager, int me) {
        this.leaderId = leaderId;
        this.manager = manager;
        this.me = me;
        this.thread = io.strata.ingest.util.NamedThreads.scheduled("replica-fetcher-" + leaderId);
    }

    synchronized void start() {
        if (!started) {
            started = true;
            thread.scheduleWithFixedDelay(this::roundGuarded, 0, 5, TimeUnit.MILLISECONDS);
        }
    }

    void updateAddress(ClusterView view) {
        view.node(leaderId).ifPresent(n -> {
            if (!n.host().equals(host) || n.port() != port) {
                host = n.host();
                port = n.port();
                // A re-registered leader may listen elsewhere: reconnect on the next round.
                thread.execute(this::disconnect);
            }
        });
    }

    private void roundGuarded() {
        try {
            round();
        } catch (IOException e) {
            disconnect();
            log.debug("replica fetch from node {} failed: {}", leaderId, e.getMessage());
            sleep(250);
        } catch (RuntimeException e) {
            log.warn("replica fetch round from node {} failed: {}", leaderId, e.toString());
            sleep(500);
        }
    }

    private void round() throws IOException {
        List<ReplicationManager.FollowerState> followed = manager.followedFrom(leaderId);
        if (followed.isEmpty() || host == null) {
            disconnect();
            sleep(100);
            return;
        }
        List<ReplicationManager.FollowerState> unreconciled = followed.stream().filter(f -> !f.reconciled).toList();
        if (!unreconciled.isEmpty()) {
            reconcile(unreconciled);
        }
        List<ReplicationManager.FollowerState> ready = followed.stream().filter(f -> f.reconciled).toList();
        if (ready.isEmpty()) {
            sleep(50);
            return;
        }
        fetch(ready);
    }

    private WireClient connection() throws IOException {
        if (connection == null) {
            WireClient c = new WireClient(manager.connector(), host, port, "strata-replica-" + me, SOCKET_TIMEOUT_MS);
            SaslLogin login = manager.login();
            if (login != null) {
                try {
                    login.authenticate(c, host);
                } catch (IOException | RuntimeException e) {
                    c.close();
                    throw e;
                }
            }
            connection = c;
        }
        return connection;
    }

    /** OffsetForLeaderEpoch for partitions new to this leader, then truncation where the answer allows. */
    private void reconcile(List<ReplicationManager.FollowerState> partitions) throws IOException {
        OffsetForLeaderEpochRequestData req = new OffsetForLeaderEpochRequestData().setReplicaId(me);
        Map<String, OffsetForLeaderEpochRequestData.OffsetForLeaderTopic> byTopic = new HashMap<>();
        Map<TopicPartition, ReplicationManager.FollowerState> asked = new HashMap<>();
        for (ReplicationManager.FollowerState f : partitions) {
            if (f.askEpoch < 0) {
                // Nothing local carries an epoch (an empty log, or one that continues after tiered history).
                try {
                    if (f.log.logEndOffset() > f.log.localStartOffset()) {
                        f.log.truncateTo(Math.max(f.log.highWatermark(), f.log.localStartOffset()), f.leaderEpoch);
                    }
                    f.reconciled = true;
                } catch (StaleEpochException e) {
                    log.debug("{}: {}", f.tp, e.getMessage());
                }
                continue;
            }
            byTopic.computeIfAbsent(f.tp.topic(), n -> {
                OffsetForLeaderEpochRequestData.OffsetForLeaderTopic t = new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(n);
                req.topics().add(t);
                return t;
            }).partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(f.tp.partition())
                    .setCurrentLeaderEpoch(f.leaderEpoch).setLeaderEpoch(f.askEpoch));
            asked.put(f.tp, f);
        }
        if (asked.isEmpty()) {
            return;
        }
        OffsetForLeaderEpochResponseData resp = (OffsetForLeaderEpochResponseData) connection().send(req, (short) 4);
        for (OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult t : resp.topics()) {
            for (OffsetForLeaderEpochResponseData.EpochEndOffset p : t.partitions()) {
                ReplicationManager.FollowerState f = asked.get(new TopicPartition(t.topic(), p.partition()));
                if (f == null || !manager.isCurrent(f)) {
                    continue;
                }
                if (p.errorCode() != Errors.NONE.code()) {
                    log.debug("{}: OffsetForLeaderEpoch at node {}: {}", f.tp, leaderId, Errors.forCode(p.errorCode()));
                    continue;
                }
                try {
                    truncateIfAgreed(f, p.leaderEpoch(), p.endOffset());
                } catch (StaleEpochException e) {
                    log.debug("{}: dropping an OffsetForLeaderEpoch answer: {}", f.tp, e.getMessage());
                }
            }
        }
    }

    private void truncateIfAgreed(ReplicationManager.FollowerState f, int theirEpoch, long theirEnd) {
        FollowerLog pl = f.log;
        if (theirEpoch < 0 || theirEnd < 0) {
            // The leader knows no epoch at or below ours: keep only what was committed.
            pl.truncateTo(Math.max(pl.highWatermark(), pl.localStartOffset()), f.leaderEpoch);
            f.reconciled = true;
            return;
        }
        LeaderEpochCache.EpochEnd mine = pl.endOffsetForEpoch(theirEpoch);
        if (mine.epoch() == theirEpoch) {
            // Both logs hold epoch E up to the smaller of the two ends; past it they differ.
            long to = Math.min(theirEnd, mine.endOffset());
            if (to < pl.logEndOffset()) {
                log.info("{}: truncating to {} to match leader {} (epoch {} ends at {} there, {} here)", f.tp, to, leaderId,
                        theirEpoch, theirEnd, mine.endOffset());
                pl.truncateTo(Math.max(to, pl.localStartOffset()), f.leaderEpoch);
            }
            f.reconciled = true;
        } else if (mine.epoch() < 0) {
            pl.truncateTo(Math.max(Math.min(theirEnd, pl.highWatermark()), pl.localStartOffset()), f.leaderEpoch);
            f.reconciled = true;
        } else {
            // This log lacks the epoch the leader named: ask again about the largest one it has below it.
            f.askEpoch = mine.epoch();
        }
    }

    private void fetch(List<ReplicationManager.FollowerState> partitions) throws IOException {
        Map<TopicPartition, FetchRequestData.FetchPartition> wanted = new LinkedHashMap<>();
        // Every partition fetched from this leader: an incremental answer may carry any of them.
        Map<TopicPartition, ReplicationManager.FollowerState> asked = new HashMap<>();
        for (ReplicationManager.FollowerState f : partitions) {
            wanted.put(f.tp, new FetchRequestData.FetchPartition().setPartition(f.tp.partition())
                    .setCurrentLeaderEpoch(f.leaderEpoch).setLastFetchedEpoch(f.log.latestEpoch())
                    .setFetchOffset(f.log.logEndOffset()).setLogStartOffset(f.log.logStartOffset()).setPartitionMaxBytes(1 << 20));
            asked.put(f.tp, f);
        }
        FetchRequestData req = session.request(new FetchRequestData().setReplicaId(me).setMaxWaitMs(FETCH_MAX_WAIT_MS).setMinBytes(1)
                .setMaxBytes(16 << 20).setIsolationLevel((byte) 0), wanted);
        FetchResponseData resp;
        try {
            resp = (FetchResponseData) connection().send(req, (short) 12);
        } catch (IOException | RuntimeException e) {
            // The leader may or may not have taken the request in: the session starts over.
            session.reset();
            throw e;
        }
        Errors sessionError = session.answered(resp);
        if (sessionError != Errors.NONE) {
            // A restarted leader, or an epoch it did not expect: the next fetch opens a new session.
            log.debug("fetch session with node {}: {}", leaderId, sessionError);
            return;
        }
        long now = manager.now();
        boolean backOff = false;
        for (FetchResponseData.FetchableTopicResponse t : resp.responses()) {
            for (FetchResponseData.PartitionData pd : t.partitions()) {
                ReplicationManager.FollowerState f = asked.get(new TopicPartition(t.topic(), pd.partitionIndex()));
                if (f == null || !manager.isCurrent(f)) {
                    continue;
                }
                Errors error = Errors.forCode(pd.errorCode());
                try {
                    if (error == Errors.NONE) {
                        ByteBuffer bytes = Batches.bytesOf(pd.records());
                        if (bytes.hasRemaining()) {
                            f.log.appendAsFollower(bytes, now, f.leaderEpoch);
                        }
                        f.log.updateHighWatermark(Math.min(pd.highWatermark(), f.log.logEndOffset()));
                        if (pd.logStartOffset() > f.log.logStartOffset()) {
                            // Retention or DeleteRecords at the leader: the follower's log starts there too (as in Kafka).
                            f.log.advanceLogStart(pd.logStartOffset());
                        }
                    } else if (error == Errors.OFFSET_OUT_OF_RANGE && pd.logStartOffset() > f.log.logEndOffset()) {
                        // Everything this replica lacks was deleted at the leader: continue where its log starts.
                        f.log.truncateFullyAndStartAt(pd.logStartOffset(), now, f.leaderEpoch);
                    } else if (error == Errors.OFFSET_OUT_OF_RANGE) {
                        f.reconciled = false;
                        f.askEpoch = f.log.latestEpoch();
                    } else {
                        // Not the leader (yet), a newer or older epoch there: the next view settles it.
                        backOff = true;
                        log.debug("{}: fetch from node {}: {}", f.tp, leaderId, error);
                    }
                } catch (StaleEpochException e) {
                    // The role changed while this fetch was in flight: its answer belongs to no one now.
                    log.debug("{}: dropping a fetch answer from node {}: {}", f.tp, leaderId, e.getMessage());
                } catch (IllegalStateException e) {
                    // The leader's batches do not continue this log: reconcile again.
                    log.warn("{}: {}; reconciling with leader {} again", f.tp, e.getMessage(), leaderId);
                    f.reconciled = false;
                    f.askEpoch = f.log.latestEpoch();
                } catch (RuntimeException e) {
                    manager.followerFailed(f, e);
                    backOff = true;
                }
            }
        }
        if (backOff) {
            sleep(100);
        }
    }

    private void disconnect() {
        session.reset();
        if (connection != null) {
            connection.close();
            connection = null;
        }
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
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        disconnect();
    }
}
