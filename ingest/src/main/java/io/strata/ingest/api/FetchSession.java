package io.strata.ingest.api;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One incremental fetch session (KIP-227): the partitions a client fetches, with what it last
 * asked for each and what it was last told, so that its requests name only what changed and its
 * responses carry only partitions with something new. The partitions are kept in the order the
 * broker reads them; one that returned data moves to the back, so a fetch budget spent on the
 * first partitions cannot starve the others (Kafka's rotation). Guarded by its own lock.
 */
final class FetchSession {
    final int id;
    /** A follower's session, which a consumer's cannot evict. */
    final boolean privileged;
    final long createdMs;
    private int epoch;
    private long lastUsedMs;
    private final LinkedHashMap<TopicPartition, Cached> partitions = new LinkedHashMap<>();

    /** What the client last asked for a partition, and what the broker last answered about it. */
    private static final class Cached {
        long fetchOffset;
        int maxBytes;
        int currentLeaderEpoch;
        int lastFetchedEpoch;
        long fetcherLogStartOffset;
        /** -1 until an answer tells the client; -1 again after an error, so the next good answer is sent. */
        long highWatermark = -1;
        long lastStableOffset = -1;
        long logStartOffset = -1;

        void asked(FetchRequestData.FetchPartition p) {
            fetchOffset = p.fetchOffset();
            maxBytes = p.partitionMaxBytes();
            currentLeaderEpoch = p.currentLeaderEpoch();
            lastFetchedEpoch = p.lastFetchedEpoch();
            fetcherLogStartOffset = p.logStartOffset();
        }

        FetchRequestData.FetchPartition request(int partition) {
            return new FetchRequestData.FetchPartition().setPartition(partition).setFetchOffset(fetchOffset)
                    .setPartitionMaxBytes(maxBytes).setCurrentLeaderEpoch(currentLeaderEpoch).setLastFetchedEpoch(lastFetchedEpoch)
                    .setLogStartOffset(fetcherLogStartOffset);
        }

        /**
         * Whether the client must hear about this answer (Kafka's rules: data, a moved watermark or log
         * start, an error, a preferred replica or a diverging epoch), remembering what it is told.
         */
        boolean mustSend(FetchResponseData.PartitionData pd) {
            boolean send = pd.records() != null && pd.records().sizeInBytes() > 0;
            if (pd.highWatermark() != highWatermark) {
                send = true;
                highWatermark = pd.highWatermark();
            }
            if (pd.lastStableOffset() != lastStableOffset) {
                send = true;
                lastStableOffset = pd.lastStableOffset();
            }
            if (pd.logStartOffset() != logStartOffset) {
                send = true;
                logStartOffset = pd.logStartOffset();
            }
            if (pd.preferredReadReplica() >= 0 || pd.divergingEpoch().epoch() >= 0) {
                send = true;
            }
            if (pd.errorCode() != Errors.NONE.code()) {
                send = true;
                highWatermark = -1;
            }
            return send;
        }
    }

    FetchSession(int id, boolean privileged, long nowMs) {
        this.id = id;
        this.privileged = privileged;
        this.createdMs = nowMs;
        this.epoch = nextEpoch(0);
        this.lastUsedMs = nowMs;
    }

    /** Kafka's epoch sequence: 1 after the initial 0, wrapping to 1 after the largest int; the final -1 stays. */
    static int nextEpoch(int epoch) {
        return epoch < 0 ? -1 : epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
    }

    synchronized int epoch() {
        return epoch;
    }

    synchronized long lastUsedMs() {
        return lastUsedMs;
    }

    synchronized int size() {
        return partitions.size();
    }

    /** Starts the session from a full request and the answer it got. */
    synchronized void fill(FetchRequestData req, FetchResponseData resp) {
        for (FetchRequestData.FetchTopic t : req.topics()) {
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                Cached c = new Cached();
                c.asked(p);
                partitions.put(new TopicPartition(t.topic(), p.partition()), c);
            }
        }
        for (FetchResponseData.FetchableTopicResponse t : resp.responses()) {
            for (FetchResponseData.PartitionData pd : t.partitions()) {
                Cached c = partitions.get(new TopicPartition(t.topic(), pd.partitionIndex()));
                if (c != null) {
                    c.mustSend(pd);
                }
            }
        }
    }

    /**
     * Applies an incremental request carrying {@code epoch}: its partitions are added or updated,
     * then its forgotten ones removed (Kafka's order). Returns the error to answer with when the
     * epoch is not the one this session expects, else null, with the epoch advanced.
     */
    synchronized Errors update(FetchRequestData req, long nowMs) {
        if (req.sessionEpoch() != epoch) {
            return Errors.INVALID_FETCH_SESSION_EPOCH;
        }
        for (FetchRequestData.FetchTopic t : req.topics()) {
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                partitions.computeIfAbsent(new TopicPartition(t.topic(), p.partition()), k -> new Cached()).asked(p);
            }
        }
        for (FetchRequestData.ForgottenTopic t : req.forgottenTopicsData()) {
            for (int p : t.partitions()) {
                partitions.remove(new TopicPartition(t.topic(), p));
            }
        }
        epoch = nextEpoch(epoch);
        lastUsedMs = nowMs;
        return null;
    }

    /** The request to read: every partition of the session, in its order, with the request's other fields. */
    synchronized FetchRequestData toRead(FetchRequestData req) {
        FetchRequestData out = new FetchRequestData().setClusterId(req.clusterId()).setReplicaId(req.replicaId())
                .setReplicaState(req.replicaState()).setMaxWaitMs(req.maxWaitMs()).setMinBytes(req.minBytes())
                .setMaxBytes(req.maxBytes()).setIsolationLevel(req.isolationLevel()).setSessionId(req.sessionId())
                .setSessionEpoch(req.sessionEpoch()).setRackId(req.rackId());
        String last = null;
        FetchRequestData.FetchTopic current = null;
        for (Map.Entry<TopicPartition, Cached> e : partitions.entrySet()) {
            String topic = e.getKey().topic();
            // A topic's partitions run together in the request, in their session order; a topic whose partitions
            // were rotated apart appears more than once, which the response mirrors.
            if (!topic.equals(last)) {
                current = new FetchRequestData.FetchTopic().setTopic(topic);
                out.topics().add(current);
                last = topic;
            }
            current.partitions().add(e.getValue().request(e.getKey().partition()));
        }
        return out;
    }

    /**
     * Cuts an answer to what the client must hear, remembering what it is told, and moves the
     * partitions that returned data to the back. Returns false (the answer untouched) when another
     * request of this session came in between, which the caller answers with an epoch error.
     */
    synchronized boolean trim(FetchResponseData resp, int expectedEpoch) {
        if (epoch != expectedEpoch) {
            return false;
        }
        List<TopicPartition> served = new ArrayList<>();
        for (Iterator<FetchResponseData.FetchableTopicResponse> ti = resp.responses().iterator(); ti.hasNext(); ) {
            FetchResponseData.FetchableTopicResponse t = ti.next();
            for (Iterator<FetchResponseData.PartitionData> pi = t.partitions().iterator(); pi.hasNext(); ) {
                FetchResponseData.PartitionData pd = pi.next();
                TopicPartition tp = new TopicPartition(t.topic(), pd.partitionIndex());
                Cached c = partitions.get(tp);
                if (c == null || !c.mustSend(pd)) {
                    pi.remove();
                } else if (pd.records() != null && pd.records().sizeInBytes() > 0) {
                    served.add(tp);
                }
            }
            if (t.partitions().isEmpty()) {
                ti.remove();
            }
        }
        for (TopicPartition tp : served) {
            partitions.put(tp, partitions.remove(tp));
        }
        return true;
    }
}
