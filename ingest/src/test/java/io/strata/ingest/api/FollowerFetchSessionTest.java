package io.strata.ingest.api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.ingest.replication.FollowerFetchSession;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower's fetch session against the leader's session cache, in one process: what each
 * request names, what the leader reads, and how both start over after a refusal or a lost answer.
 */
class FollowerFetchSessionTest {
    private final PartitionReadsStub reads = new PartitionReadsStub();
    private FetchSessionCache leader = new FetchSessionCache(1000, System::currentTimeMillis, new SimpleMeterRegistry());
    private final FollowerFetchSession follower = new FollowerFetchSession();

    private static Map<TopicPartition, FetchRequestData.FetchPartition> wanted(long... offsets) {
        Map<TopicPartition, FetchRequestData.FetchPartition> m = new LinkedHashMap<>();
        for (int p = 0; p < offsets.length; p++) {
            if (offsets[p] >= 0) {
                m.put(new TopicPartition("t", p), new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(offsets[p])
                        .setCurrentLeaderEpoch(3).setLastFetchedEpoch(3).setLogStartOffset(0).setPartitionMaxBytes(1 << 20));
            }
        }
        return m;
    }

    private static List<String> named(FetchRequestData req) {
        List<String> out = new ArrayList<>();
        req.topics().forEach(t -> t.partitions().forEach(p -> out.add(t.topic() + "-" + p.partition() + "@" + p.fetchOffset())));
        return out;
    }

    /** One fetch round: the request the follower builds, the leader's answer, and the follower taking it in. */
    private FetchRequestData round(Map<TopicPartition, FetchRequestData.FetchPartition> wanted, Errors expected) {
        FetchRequestData req = follower.request(new FetchRequestData().setReplicaId(2).setMaxWaitMs(0).setMaxBytes(1 << 20), wanted);
        FetchResponseData resp = leader.fetch(req, (short) 12, reads).join();
        assertThat(follower.answered(resp)).isEqualTo(expected);
        return req;
    }

    @Test
    void theFirstFetchNamesEverythingAndLaterOnesOnlyWhatChanged() {
        FetchRequestData first = round(wanted(10, 20, 30), Errors.NONE);
        assertThat(first.sessionEpoch()).isZero();
        assertThat(named(first)).containsExactly("t-0@10", "t-1@20", "t-2@30");
        assertThat(leader.ids()).hasSize(1);

        FetchRequestData quiet = round(wanted(10, 20, 30), Errors.NONE);
        assertThat(quiet.sessionEpoch()).isEqualTo(1);
        assertThat(named(quiet)).isEmpty();
        assertThat(reads.lastAskedAt()).containsExactlyInAnyOrder("t-0@10", "t-1@20", "t-2@30");

        FetchRequestData moved = round(wanted(10, 25, 30), Errors.NONE);
        assertThat(moved.sessionEpoch()).isEqualTo(2);
        assertThat(named(moved)).containsExactly("t-1@25");
        assertThat(reads.lastAskedAt()).containsExactlyInAnyOrder("t-0@10", "t-1@25", "t-2@30");

        // A partition no longer followed from this leader is forgotten, and no longer read.
        FetchRequestData dropped = round(wanted(10, 25, -1), Errors.NONE);
        assertThat(named(dropped)).isEmpty();
        assertThat(dropped.forgottenTopicsData()).hasSize(1);
        assertThat(dropped.forgottenTopicsData().get(0).partitions()).containsExactly(2);
        assertThat(reads.lastAskedAt()).containsExactlyInAnyOrder("t-0@10", "t-1@25");
    }

    @Test
    void aRestartedLeaderRefusesTheSessionAndTheNextFetchOpensANewOne() {
        round(wanted(10, 20), Errors.NONE);
        round(wanted(10, 20), Errors.NONE);
        leader = new FetchSessionCache(1000, System::currentTimeMillis, new SimpleMeterRegistry());
        round(wanted(11, 20), Errors.FETCH_SESSION_ID_NOT_FOUND);
        FetchRequestData full = round(wanted(11, 20), Errors.NONE);
        assertThat(full.sessionEpoch()).isZero();
        assertThat(named(full)).containsExactly("t-0@11", "t-1@20");
        assertThat(leader.ids()).hasSize(1);
    }

    @Test
    void afterALostAnswerTheNextFetchClosesTheOldSessionAndOpensAnother() {
        round(wanted(10, 20), Errors.NONE);
        int old = leader.ids().get(0);
        // The request is built and perhaps sent, and the answer never comes.
        follower.request(new FetchRequestData().setReplicaId(2), wanted(12, 20));
        follower.reset();
        FetchRequestData full = round(wanted(12, 20), Errors.NONE);
        assertThat(full.sessionId()).isEqualTo(old);
        assertThat(full.sessionEpoch()).isZero();
        assertThat(named(full)).containsExactly("t-0@12", "t-1@20");
        assertThat(leader.ids()).hasSize(1).doesNotContain(old);
    }
}
