package io.strata.ingest.replication;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A follower's side of an incremental fetch session (KIP-227) with one leader, as Kafka's
 * {@code FetchSessionHandler} keeps it: the first fetch names every partition and asks for a
 * session; later ones name only the partitions whose position, epochs or log start changed, and
 * list those no longer fetched as forgotten. Any refusal or lost answer starts over with a full
 * fetch, which also closes the old session at the leader. Not thread-safe: one fetcher thread.
 */
public final class FollowerFetchSession {
    private int sessionId;
    /** The epoch of the next request: 0 asks for a new session (closing {@link #sessionId}'s, if any). */
    private int epoch;
    /** What the leader was last told about each partition of the session, in the order first sent. */
    private final Map<TopicPartition, FetchRequestData.FetchPartition> sent = new LinkedHashMap<>();
    private boolean lastWasFull;

    /**
     * The next request for {@code partitions} (each with its topic), on top of {@code base}'s other
     * fields: all of them when a new session is due, else only what changed.
     */
    public FetchRequestData request(FetchRequestData base, Map<TopicPartition, FetchRequestData.FetchPartition> partitions) {
        base.setSessionId(sessionId).setSessionEpoch(epoch);
        base.topics().clear();
        base.forgottenTopicsData().clear();
        lastWasFull = epoch == 0;
        Map<String, FetchRequestData.FetchTopic> byTopic = new HashMap<>();
        if (lastWasFull) {
            sent.clear();
        }
        for (Map.Entry<TopicPartition, FetchRequestData.FetchPartition> e : partitions.entrySet()) {
            FetchRequestData.FetchPartition before = sent.get(e.getKey());
            if (lastWasFull || before == null || !same(before, e.getValue())) {
                byTopic.computeIfAbsent(e.getKey().topic(), n -> {
                    FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic().setTopic(n);
                    base.topics().add(t);
                    return t;
                }).partitions().add(e.getValue());
                sent.put(e.getKey(), e.getValue());
            }
        }
        if (!lastWasFull) {
            Map<String, FetchRequestData.ForgottenTopic> forgotten = new HashMap<>();
            for (TopicPartition tp : new ArrayList<>(sent.keySet())) {
                if (!partitions.containsKey(tp)) {
                    sent.remove(tp);
                    forgotten.computeIfAbsent(tp.topic(), n -> {
                        FetchRequestData.ForgottenTopic t = new FetchRequestData.ForgottenTopic().setTopic(n);
                        base.forgottenTopicsData().add(t);
                        return t;
                    }).partitions().add(tp.partition());
                }
            }
        }
        return base;
    }

    private static boolean same(FetchRequestData.FetchPartition a, FetchRequestData.FetchPartition b) {
        return a.fetchOffset() == b.fetchOffset() && a.currentLeaderEpoch() == b.currentLeaderEpoch()
                && a.lastFetchedEpoch() == b.lastFetchedEpoch() && a.logStartOffset() == b.logStartOffset()
                && a.partitionMaxBytes() == b.partitionMaxBytes() && Objects.equals(a.replicaDirectoryId(), b.replicaDirectoryId());
    }

    /**
     * Takes in the answer to the last request. Returns the session error that refused it (the
     * next request is then a full one), or {@link Errors#NONE}.
     */
    public Errors answered(FetchResponseData resp) {
        Errors error = Errors.forCode(resp.errorCode());
        if (error != Errors.NONE) {
            reset();
            return error;
        }
        if (resp.sessionId() == 0) {
            // No session (the leader has no room, or keeps none): every fetch is a full one, each asking again.
            sessionId = 0;
            epoch = 0;
        } else if (lastWasFull) {
            sessionId = resp.sessionId();
            epoch = 1;
        } else {
            epoch = epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
        }
        return Errors.NONE;
    }

    /** The last request may not have been answered (a lost connection): start over, closing the old session. */
    public void reset() {
        epoch = 0;
        sent.clear();
    }
}
