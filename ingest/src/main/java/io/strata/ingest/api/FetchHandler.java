package io.strata.ingest.api;

import io.strata.ingest.log.SegmentRecords;
import io.strata.ingest.log.NotLocalException;
import io.strata.tiering.service.TieringService;
import io.strata.tiering.segment.CorruptSegmentObjectException;
import io.strata.tiering.store.ObjectStoreException;
import io.strata.ingest.log.OffsetOutOfRangeException;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import io.strata.records.Batches;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fetch: reads whole batches per partition within the partition and request byte limits (the
 * request's {@code max_bytes}, capped by the broker's {@code fetch.max.bytes} as in Kafka, so a
 * client cannot make the broker allocate more). When fewer than {@code min_bytes} are available
 * the request waits up to {@code max_wait_ms} in the fetch purgatory and is woken by the first
 * append to any of its partitions. Offsets only in object storage are read asynchronously on the
 * tiering service's {@code remote-read} threads, never on a request handler thread. Every
 * failure completes the request with an error code; none is swallowed. It reads the partitions it
 * is given: for an incremental fetch, {@link FetchSessionCache} gives it all of the session's.
 *
 * <p>Threads: {@link #handle} runs on {@code kafka-io}; waiting fetches are retried and expired
 * on the single {@code fetch-purgatory} thread; remote reads complete on {@code remote-read}.
 */
final class FetchHandler implements TopicManager.AppendListener, AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FetchHandler.class);
    private final TopicManager topics;
    private final ScheduledExecutorService purgatory;
    private final Map<TopicPartition, Set<WaitingFetch>> waiting = new ConcurrentHashMap<>();
    private final TieringService tiering;
    private final int fetchMaxBytes;
    private final io.micrometer.core.instrument.MeterRegistry metrics;

    private final Leadership leadership;
    private final io.strata.ingest.replication.ReplicationManager replication;

    FetchHandler(TopicManager topics, int fetchMaxBytes, TieringService tiering, Leadership leadership,
                 io.strata.ingest.replication.ReplicationManager replication, io.micrometer.core.instrument.MeterRegistry metrics) {
        this.leadership = leadership;
        this.replication = replication;
        this.topics = topics;
        this.fetchMaxBytes = fetchMaxBytes;
        this.purgatory = io.strata.ingest.util.NamedThreads.scheduled("fetch-purgatory");
        this.tiering = tiering;
        this.metrics = metrics;
    }

    @Override
    public void close() {
        purgatory.shutdownNow();
    }

    /** Counts the bytes a response hands out, per topic, once it is final. */
    private FetchResponseData counted(FetchResponseData resp) {
        for (FetchResponseData.FetchableTopicResponse t : resp.responses()) {
            long bytes = 0;
            for (FetchResponseData.PartitionData p : t.partitions()) {
                bytes += p.records() == null ? 0 : p.records().sizeInBytes();
            }
            if (bytes > 0) {
                metrics.counter("strata.topic.bytes.out", "topic", t.topic()).increment(bytes);
            }
        }
        return resp;
    }

    CompletableFuture<FetchResponseData> handle(FetchRequestData req) {
        Read first = read(req);
        if (!first.remote.isEmpty()) {
            // Data exists (in object storage): answer as soon as it is read, without waiting for more.
            return first.completeRemote().thenApply(this::counted);
        }
        // A fetch naming no partition has nothing to wait for: a consumer closing its fetch session sends one and waits
        // for the answer, which Kafka gives at once; parked, it would hold that close() for max.wait.ms.
        if (first.bytes >= req.minBytes() || req.maxWaitMs() <= 0 || first.hasError || namesNoPartition(req)) {
            return CompletableFuture.completedFuture(counted(first.response));
        }
        WaitingFetch w = new WaitingFetch(req);
        for (FetchRequestData.FetchTopic t : req.topics()) {
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                waiting.computeIfAbsent(new TopicPartition(t.topic(), p.partition()), k -> ConcurrentHashMap.newKeySet()).add(w);
            }
        }
        purgatory.schedule(w::expire, req.maxWaitMs(), TimeUnit.MILLISECONDS);
        // An append may have landed between the first read and the registration.
        purgatory.execute(w::retry);
        return w.result;
    }

    private static boolean namesNoPartition(FetchRequestData req) {
        return req.topics().stream().allMatch(t -> t.partitions().isEmpty());
    }

    @Override
    public void appended(TopicPartition tp) {
        Set<WaitingFetch> ws = waiting.get(tp);
        if (ws != null && !ws.isEmpty()) {
            for (WaitingFetch w : List.copyOf(ws)) {
                purgatory.execute(w::retry);
            }
        }
    }

    /** A fetch waiting for data; its methods run on the purgatory thread and never throw. */
    private final class WaitingFetch {
        final FetchRequestData req;
        final CompletableFuture<FetchResponseData> result = new CompletableFuture<>();
        final AtomicBoolean done = new AtomicBoolean();

        WaitingFetch(FetchRequestData req) {
            this.req = req;
        }

        void retry() {
            attempt(false);
        }

        void expire() {
            attempt(true);
        }

        private void attempt(boolean timedOut) {
            if (done.get()) {
                return;
            }
            try {
                Read r = read(req);
                if (!r.remote.isEmpty()) {
                    if (unregister()) {
                        r.completeRemote().whenComplete((resp, t) -> {
                            if (t != null) {
                                result.completeExceptionally(t);
                            } else {
                                result.complete(counted(resp));
                            }
                        });
                    }
                } else if (timedOut || r.bytes >= req.minBytes() || r.hasError) {
                    if (unregister()) {
                        result.complete(counted(r.response));
                    }
                }
            } catch (RuntimeException e) {
                LOG.error("delayed fetch failed", e);
                if (unregister()) {
                    // The dispatcher turns this into an error response of the request's shape.
                    result.completeExceptionally(e);
                }
            }
        }

        /** Takes this fetch out of the purgatory; true for the one caller that may complete it. */
        private boolean unregister() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            for (FetchRequestData.FetchTopic t : req.topics()) {
                for (FetchRequestData.FetchPartition p : t.partitions()) {
                    Set<WaitingFetch> ws = waiting.get(new TopicPartition(t.topic(), p.partition()));
                    if (ws != null) {
                        ws.remove(this);
                    }
                }
            }
            return true;
        }
    }

    /** A partition whose data is being read from object storage. */
    private record RemoteRead(FetchResponseData.PartitionData pd, TopicPartition tp, PartitionLog log, long offset,
                              CompletableFuture<ByteBuffer> bytes, boolean readCommitted) {
    }

    /**
     * Fills a partition's answer with {@code bytes} read at {@code offset}. For a
     * {@code read_committed} fetch the bytes end before the last stable offset (batches past it
     * are cut, as a remote read does not know it) and the answer names the aborted transactions
     * with data in them, which the consumer drops (KIP-98).
     */
    static void fill(FetchResponseData.PartitionData pd, PartitionLog log, long offset, ByteBuffer bytes, boolean readCommitted) {
        long lso = log.lastStableOffset();
        if (readCommitted && bytes.hasRemaining()) {
            List<Batches.Batch> batches = Batches.of(bytes);
            int keep = 0;
            long last = -1;
            for (Batches.Batch b : batches) {
                if (b.baseOffset() >= lso) {
                    break;
                }
                keep += b.sizeInBytes();
                last = b.lastOffset();
            }
            ByteBuffer kept = bytes.duplicate();
            kept.limit(kept.position() + keep);
            bytes = kept.slice();
            if (last >= 0) {
                for (io.strata.records.AbortedTxn a : log.abortedTransactions(offset, last)) {
                    pd.abortedTransactions().add(new FetchResponseData.AbortedTransaction()
                            .setProducerId(a.producerId()).setFirstOffset(a.firstOffset()));
                }
            }
        }
        pd.setHighWatermark(log.highWatermark()).setLastStableOffset(lso)
                .setLogStartOffset(log.logStartOffset()).setRecords(Batches.toRecords(bytes));
    }

    /**
     * Fills a partition's answer with batches located in a segment file. They already end before
     * the last stable offset for a {@code read_committed} fetch; the answer names the aborted
     * transactions with data in them.
     */
    private static void fillLocal(FetchResponseData.PartitionData pd, PartitionLog log, long offset, SegmentRecords records,
                                  boolean readCommitted) {
        if (readCommitted && records.sizeInBytes() > 0) {
            for (io.strata.records.AbortedTxn a : log.abortedTransactions(offset, records.lastOffset())) {
                pd.abortedTransactions().add(new FetchResponseData.AbortedTransaction()
                        .setProducerId(a.producerId()).setFirstOffset(a.firstOffset()));
            }
        }
        pd.setHighWatermark(log.highWatermark()).setLastStableOffset(log.lastStableOffset())
                .setLogStartOffset(log.logStartOffset()).setRecords(records);
    }

    private record Read(FetchResponseData response, int bytes, boolean hasError, List<RemoteRead> remote) {
        /** Fills in the partitions read from object storage, each with its data or its error. */
        CompletableFuture<FetchResponseData> completeRemote() {
            CompletableFuture<?>[] all = remote.stream().map(r -> r.bytes().handle((b, t) -> {
                fill(r, b, t);
                return null;
            })).toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(all).thenApply(v -> response);
        }

        private static void fill(RemoteRead r, ByteBuffer bytes, Throwable error) {
            if (error == null) {
                FetchHandler.fill(r.pd(), r.log(), r.offset(), bytes, r.readCommitted());
                return;
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
            Errors code;
            if (r.offset() < r.log().logStartOffset()) {
                // Retention removed the segment while it was being read.
                code = Errors.OFFSET_OUT_OF_RANGE;
            } else if (cause instanceof CorruptSegmentObjectException) {
                LOG.error("fetch of {} at {}: {}", r.tp(), r.offset(), cause.getMessage());
                code = Errors.CORRUPT_MESSAGE;
            } else {
                LOG.warn("fetch of {} at {} from object storage failed: {}", r.tp(), r.offset(), cause.getMessage());
                code = Errors.KAFKA_STORAGE_ERROR;
            }
            r.pd().setErrorCode(code.code()).setHighWatermark(r.log().highWatermark()).setLastStableOffset(r.log().highWatermark())
                    .setLogStartOffset(r.log().logStartOffset()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
        }
    }

    private Read read(FetchRequestData req) {
        // A follower's fetch (Kafka's replica id): it reads up to the log end and reports its own.
        boolean replicaFetch = req.replicaId() >= 0 && replication != null;
        FetchResponseData resp = new FetchResponseData().setSessionId(0).setErrorCode(Errors.NONE.code());
        int budget = req.maxBytes() <= 0 ? fetchMaxBytes : Math.min(req.maxBytes(), fetchMaxBytes);
        List<RemoteRead> remote = new ArrayList<>();
        List<PendingRead> toRead = new ArrayList<>();
        int total = 0;
        boolean error = false;
        boolean readCommitted = req.isolationLevel() == 1;
        for (FetchRequestData.FetchTopic t : req.topics()) {
            FetchResponseData.FetchableTopicResponse tr = new FetchResponseData.FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId());
            resp.responses().add(tr);
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                FetchResponseData.PartitionData pd = new FetchResponseData.PartitionData().setPartitionIndex(p.partition())
                        .setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1).setPreferredReadReplica(-1)
                        .setAbortedTransactions(readCommitted ? new ArrayList<>() : null);
                tr.partitions().add(pd);
                Optional<PartitionLog> pl = topics.partition(new TopicPartition(t.topic(), p.partition()));
                if (pl.isEmpty()) {
                    pd.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                    continue;
                }
                Errors epochCheck = leadership.check(new TopicPartition(t.topic(), p.partition()), p.currentLeaderEpoch());
                if (epochCheck != Errors.NONE) {
                    pd.setErrorCode(epochCheck.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                    continue;
                }
                PartitionLog log = pl.get();
                if (replicaFetch && p.fetchOffset() <= log.logEndOffset()) {
                    replication.replicaFetched(new TopicPartition(t.topic(), p.partition()), req.replicaId(), p.fetchOffset());
                }
                try {
                    // Once the request budget is spent, others get no data this round (Kafka's rule: the first
                    // partition with data always gets at least one batch so no consumer can be stuck).
                    int limit = Math.min(p.partitionMaxBytes(), budget - total);
                    PartitionLog.ReadBound bound = replicaFetch ? PartitionLog.ReadBound.LOG_END
                            : readCommitted ? PartitionLog.ReadBound.LAST_STABLE_OFFSET : PartitionLog.ReadBound.HIGH_WATERMARK;
                    // Located, not read: the bytes go from the segment file to the socket when the response is written.
                    SegmentRecords r = limit <= 0 && total > 0
                            ? SegmentRecords.EMPTY
                            : log.slice(p.fetchOffset(), Math.max(limit, 1), bound).records();
                    total += r.sizeInBytes();
                    fillLocal(pd, log, p.fetchOffset(), r, readCommitted && !replicaFetch);
                } catch (NotLocalException e) {
                    int limit = Math.max(1, Math.min(p.partitionMaxBytes(), budget - total));
                    TopicPartition tp = new TopicPartition(t.topic(), p.partition());
                    if (tiering == null) {
                        pd.setHighWatermark(log.highWatermark()).setLastStableOffset(log.highWatermark())
                                .setLogStartOffset(log.logStartOffset()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    } else {
                        // Reserve the partition's share of the budget; the read starts once every partition is looked at.
                        total += limit;
                        toRead.add(new PendingRead(pd, tp, log, p.fetchOffset(), limit));
                    }
                } catch (io.strata.ingest.log.LogOfflineException e) {
                    // Kafka answers a partition on a failed log directory this way; clients retry elsewhere.
                    pd.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                } catch (OffsetOutOfRangeException e) {
                    pd.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code()).setHighWatermark(log.highWatermark())
                            .setLastStableOffset(log.lastStableOffset()).setLogStartOffset(log.logStartOffset())
                            .setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                } catch (RuntimeException e) {
                    // Anything else is answered for this partition, never left to hang the request.
                    LOG.error("fetch of {}-{} at {} failed", t.topic(), p.partition(), p.fetchOffset(), e);
                    pd.setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                }
            }
        }
        if (!toRead.isEmpty()) {
            // All of them count among the readers sharing the remote-read cache before the first starts: each takes its share.
            try {
                tiering.readingTogether(toRead.stream().map(PendingRead::tp).toList());
            } catch (RuntimeException e) {
                // Only how deep the reads prefetch depends on it: they go on.
                LOG.warn("counting the remote reads of a fetch failed", e);
            }
            for (PendingRead r : toRead) {
                CompletableFuture<ByteBuffer> bytes;
                try {
                    bytes = tiering.readAsync(r.tp(), r.offset(), r.limit());
                } catch (RuntimeException e) {
                    LOG.error("fetch of {} at {} failed", r.tp(), r.offset(), e);
                    r.pd().setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                    continue;
                }
                remote.add(new RemoteRead(r.pd(), r.tp(), r.log(), r.offset(), bytes, readCommitted));
            }
        }
        return new Read(resp, total, error, remote);
    }

    /** A partition to be read from object storage, at most {@code limit} bytes. */
    private record PendingRead(FetchResponseData.PartitionData pd, TopicPartition tp, PartitionLog log, long offset, int limit) {
    }
}
