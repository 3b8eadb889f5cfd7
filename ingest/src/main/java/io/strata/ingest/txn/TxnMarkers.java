package io.strata.ingest.txn;

import io.strata.ingest.cluster.ClusterNode;
import io.strata.ingest.replication.NodeRequests;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.PartitionKey;
import io.strata.metastore.store.PartitionPlacement;
import io.strata.metastore.store.TopicRecord;
import io.strata.records.TxnMarker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Writes a transaction's markers to all its partitions, wherever they are led: through
 * {@link MarkerAppender} for partitions this node leads, with WriteTxnMarkers to the leader for
 * the rest. A partition whose leader is moving or unreachable is tried again every
 * {@value #RETRY_MS} ms for as long as this node still coordinates the transaction (a marker must
 * land eventually, or the partition's last stable offset would stay behind for good); a
 * partition of a deleted topic needs none.
 *
 * <p>Threads: rounds run on {@code txn-markers}; requests to other nodes block on
 * {@code txn-marker-send} threads.
 */
public final class TxnMarkers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TxnMarkers.class);
    static final long RETRY_MS = 100;
    private static final int WRITE_TIMEOUT_MS = 30_000;

    private final TopicManager topics;
    private final ClusterNode cluster;
    private final MarkerAppender local;
    private final NodeRequests nodes;
    private final ScheduledExecutorService rounds = io.strata.ingest.util.NamedThreads.scheduled("txn-markers");
    private final ExecutorService sends = java.util.concurrent.Executors.newCachedThreadPool(
            io.strata.ingest.util.NamedThreads.daemon("txn-marker-send", true));

    public TxnMarkers(TopicManager topics, ClusterNode cluster, MarkerAppender local, NodeRequests nodes) {
        this.topics = topics;
        this.cluster = cluster;
        this.local = local;
        this.nodes = nodes;
    }

    /** Completes once every partition has the marker; fails once {@code stillOwned} says this node no longer coordinates. */
    public CompletableFuture<Void> write(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                         List<PartitionKey> partitions, BooleanSupplier stillOwned) {
        Round r = new Round(producerId, producerEpoch, new TxnMarker(commit, coordinatorEpoch), new LinkedHashSet<>(partitions), stillOwned);
        rounds.execute(r::attempt);
        return r.done;
    }

    private final class Round {
        final long producerId;
        final short epoch;
        final TxnMarker marker;
        final Set<PartitionKey> remaining;
        final BooleanSupplier stillOwned;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        int attempts;

        Round(long producerId, short epoch, TxnMarker marker, Set<PartitionKey> remaining, BooleanSupplier stillOwned) {
            this.producerId = producerId;
            this.epoch = epoch;
            this.marker = marker;
            this.remaining = ConcurrentHashMap.newKeySet();
            this.remaining.addAll(remaining);
            this.stillOwned = stillOwned;
        }

        void attempt() {
            if (remaining.isEmpty()) {
                done.complete(null);
                return;
            }
            if (!stillOwned.getAsBoolean()) {
                done.completeExceptionally(new IllegalStateException("this node no longer coordinates the transaction"));
                return;
            }
            attempts++;
            Map<Integer, List<PartitionKey>> byLeader = new HashMap<>();
            for (PartitionKey p : remaining) {
                byLeader.computeIfAbsent(leaderOf(p), k -> new ArrayList<>()).add(p);
            }
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (Map.Entry<Integer, List<PartitionKey>> e : byLeader.entrySet()) {
                int leader = e.getKey();
                if (leader == cluster.nodeId() || leader < 0) {
                    for (PartitionKey p : e.getValue()) {
                        all.add(local.append(new TopicPartition(p.topic(), p.partition()), producerId, epoch, marker, WRITE_TIMEOUT_MS)
                                .thenAccept(err -> settle(p, err)));
                    }
                } else {
                    all.add(CompletableFuture.runAsync(() -> sendTo(leader, e.getValue()), sends));
                }
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, t) -> {
                if (remaining.isEmpty()) {
                    done.complete(null);
                } else {
                    if (attempts % 50 == 1) {
                        log.info("markers of producer {} epoch {} still to write to {} (attempt {})", producerId, epoch, remaining, attempts);
                    }
                    rounds.schedule(this::attempt, RETRY_MS, TimeUnit.MILLISECONDS);
                }
            });
        }

        /** Takes a partition's answer: written, or not needed any more, or to be tried again. */
        void settle(PartitionKey p, Errors err) {
            switch (err) {
                case NONE -> remaining.remove(p);
                case UNKNOWN_TOPIC_OR_PARTITION -> {
                    if (topics.topic(p.topic()).isEmpty()) {
                        remaining.remove(p);
                    }
                }
                case INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED -> {
                    // A newer epoch of the producer or a newer coordinator already decided this partition's transaction.
                    log.warn("marker of producer {} epoch {} for {} not written: {}", producerId, epoch, p, err);
                    remaining.remove(p);
                }
                default -> log.debug("marker of producer {} epoch {} for {}: {}, retrying", producerId, epoch, p, err);
            }
        }

        void sendTo(int leader, List<PartitionKey> partitions) {
            Map<String, WriteTxnMarkersRequestData.WritableTxnMarkerTopic> byTopic = new HashMap<>();
            for (PartitionKey p : partitions) {
                byTopic.computeIfAbsent(p.topic(), t -> new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(t))
                        .partitionIndexes().add(p.partition());
            }
            WriteTxnMarkersRequestData req = new WriteTxnMarkersRequestData().setMarkers(List.of(
                    new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(producerId).setProducerEpoch(epoch)
                            .setTransactionResult(marker.commit()).setCoordinatorEpoch(marker.coordinatorEpoch())
                            .setTopics(new ArrayList<>(byTopic.values()))));
            try {
                WriteTxnMarkersResponseData resp = (WriteTxnMarkersResponseData) nodes.send(leader, req, (short) 1);
                for (WriteTxnMarkersResponseData.WritableTxnMarkerResult m : resp.markers()) {
                    for (WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult t : m.topics()) {
                        for (WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult pr : t.partitions()) {
                            settle(new PartitionKey(t.name(), pr.partitionIndex()), Errors.forCode(pr.errorCode()));
                        }
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                log.debug("markers to node {} failed: {}", leader, e.toString());
            }
        }
    }

    /** The node that leads {@code p} in this node's view; -1 when unknown (tried locally, which answers whether it leads). */
    private int leaderOf(PartitionKey p) {
        Optional<TopicRecord> t = topics.topic(p.topic());
        if (t.isEmpty()) {
            return -1;
        }
        return cluster.view().placement(t.get().id(), p.partition()).map(PartitionPlacement::leader).orElse(-1);
    }

    @Override
    public void close() {
        rounds.shutdownNow();
        sends.shutdownNow();
    }
}
