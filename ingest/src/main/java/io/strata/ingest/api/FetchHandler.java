package io.strata.ingest.api;

import io.strata.ingest.log.FetchResult;
import io.strata.ingest.log.NotLocalException;
import io.strata.ingest.tier.TieringService;
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
 * Fetch: reads whole batches per partition within the partition and request byte limits. When
 * fewer than {@code min_bytes} are available the request waits up to {@code max_wait_ms} and is
 * woken by the first append to any of its partitions. No fetch sessions: the response carries
 * session id 0, which tells clients to send full fetch requests.
 */
final class FetchHandler implements TopicManager.AppendListener {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FetchHandler.class);
    private final TopicManager topics;
    private final ScheduledExecutorService timer;
    private final Map<TopicPartition, Set<WaitingFetch>> waiting = new ConcurrentHashMap<>();

    private final TieringService tiering;

    private final io.micrometer.core.instrument.MeterRegistry metrics;

    FetchHandler(TopicManager topics, ScheduledExecutorService timer, TieringService tiering, io.micrometer.core.instrument.MeterRegistry metrics) {
        this.topics = topics;
        this.timer = timer;
        this.tiering = tiering;
        this.metrics = metrics;
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
        if (first.bytes >= req.minBytes() || req.maxWaitMs() <= 0 || first.hasError) {
            return CompletableFuture.completedFuture(counted(first.response));
        }
        WaitingFetch w = new WaitingFetch(req);
        for (FetchRequestData.FetchTopic t : req.topics()) {
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                waiting.computeIfAbsent(new TopicPartition(t.topic(), p.partition()), k -> ConcurrentHashMap.newKeySet()).add(w);
            }
        }
        timer.schedule(() -> w.complete(true), req.maxWaitMs(), TimeUnit.MILLISECONDS);
        // An append may have landed between the first read and the registration.
        w.retry();
        return w.result;
    }

    @Override
    public void appended(TopicPartition tp) {
        Set<WaitingFetch> ws = waiting.get(tp);
        if (ws != null && !ws.isEmpty()) {
            for (WaitingFetch w : List.copyOf(ws)) {
                timer.execute(w::retry);
            }
        }
    }

    private final class WaitingFetch {
        final FetchRequestData req;
        final CompletableFuture<FetchResponseData> result = new CompletableFuture<>();
        final AtomicBoolean done = new AtomicBoolean();

        WaitingFetch(FetchRequestData req) {
            this.req = req;
        }

        void retry() {
            if (done.get()) {
                return;
            }
            Read r = read(req);
            if (r.bytes >= req.minBytes() || r.hasError) {
                finish(r.response);
            }
        }

        void complete(boolean timedOut) {
            if (!done.get()) {
                finish(read(req).response);
            }
        }

        private void finish(FetchResponseData response) {
            if (done.compareAndSet(false, true)) {
                for (FetchRequestData.FetchTopic t : req.topics()) {
                    for (FetchRequestData.FetchPartition p : t.partitions()) {
                        Set<WaitingFetch> ws = waiting.get(new TopicPartition(t.topic(), p.partition()));
                        if (ws != null) {
                            ws.remove(this);
                        }
                    }
                }
                result.complete(counted(response));
            }
        }
    }

    private record Read(FetchResponseData response, int bytes, boolean hasError) {
    }

    private Read read(FetchRequestData req) {
        FetchResponseData resp = new FetchResponseData().setSessionId(0).setErrorCode(Errors.NONE.code());
        int budget = req.maxBytes() <= 0 ? Integer.MAX_VALUE : req.maxBytes();
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
                PartitionLog log = pl.get();
                try {
                    // Once the request budget is spent, others get no data this round (Kafka's rule: the first
                    // partition with data always gets at least one batch so no consumer can be stuck).
                    int limit = Math.min(p.partitionMaxBytes(), budget - total);
                    FetchResult r = limit <= 0 && total > 0
                            ? new FetchResult(ByteBuffer.allocate(0), log.highWatermark(), log.logStartOffset())
                            : log.read(p.fetchOffset(), Math.max(limit, 1));
                    total += r.records().remaining();
                    pd.setHighWatermark(r.highWatermark()).setLastStableOffset(r.highWatermark())
                            .setLogStartOffset(r.logStartOffset()).setRecords(Batches.toRecords(r.records()));
                } catch (NotLocalException e) {
                    int limit = Math.max(1, Math.min(p.partitionMaxBytes(), budget - total));
                    try {
                        ByteBuffer remote = tiering == null ? ByteBuffer.allocate(0)
                                : tiering.read(new TopicPartition(t.topic(), p.partition()), p.fetchOffset(), limit);
                        total += remote.remaining();
                        pd.setHighWatermark(log.highWatermark()).setLastStableOffset(log.highWatermark())
                                .setLogStartOffset(log.logStartOffset()).setRecords(Batches.toRecords(remote));
                    } catch (CorruptSegmentObjectException ce) {
                        LOG.error("fetch of {}-{} at {}: {}", t.topic(), p.partition(), p.fetchOffset(), ce.getMessage());
                        pd.setErrorCode(Errors.CORRUPT_MESSAGE.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                        error = true;
                    } catch (ObjectStoreException oe) {
                        LOG.warn("fetch of {}-{} at {} from object storage failed: {}", t.topic(), p.partition(), p.fetchOffset(), oe.getMessage());
                        pd.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                        error = true;
                    }
                } catch (io.strata.ingest.log.LogOfflineException e) {
                    // Kafka answers a partition on a failed log directory this way; clients retry elsewhere.
                    pd.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code()).setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                } catch (OffsetOutOfRangeException e) {
                    pd.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code()).setHighWatermark(log.highWatermark())
                            .setLastStableOffset(log.highWatermark()).setLogStartOffset(log.logStartOffset())
                            .setRecords(Batches.toRecords(ByteBuffer.allocate(0)));
                    error = true;
                }
            }
        }
        return new Read(resp, total, error);
    }
}
