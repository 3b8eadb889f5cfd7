package io.strata.ingest.api;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Incremental fetch sessions as KIP-227 and Kafka's FetchManager define them, against a stand-in
 * for the partition reads ({@link PartitionReadsStub}).
 */
class FetchSessionCacheTest {
    private static final short V12 = 12;
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    private static FetchRequestData request(int sessionId, int epoch, String... partitions) {
        FetchRequestData req = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(500).setMinBytes(1).setMaxBytes(1 << 20)
                .setSessionId(sessionId).setSessionEpoch(epoch);
        for (String tp : partitions) {
            String topic = tp.substring(0, tp.lastIndexOf('-'));
            int partition = Integer.parseInt(tp.substring(tp.lastIndexOf('-') + 1));
            FetchRequestData.FetchTopic t = req.topics().stream().filter(x -> x.topic().equals(topic)).findFirst().orElseGet(() -> {
                FetchRequestData.FetchTopic n = new FetchRequestData.FetchTopic().setTopic(topic);
                req.topics().add(n);
                return n;
            });
            t.partitions().add(new FetchRequestData.FetchPartition().setPartition(partition).setFetchOffset(5).setPartitionMaxBytes(1 << 20));
        }
        return req;
    }

    private static List<String> answered(FetchResponseData resp) {
        List<String> out = new ArrayList<>();
        resp.responses().forEach(t -> t.partitions().forEach(p -> out.add(t.topic() + "-" + p.partitionIndex())));
        return out;
    }

    private FetchResponseData fetch(FetchSessionCache cache, FetchRequestData req, PartitionReadsStub reads) {
        return cache.fetch(req, V12, reads).join();
    }

    @Test
    void aFullFetchOpensASessionWhoseFetchesReadEveryPartitionAndAnswerOnlyWhatChanged() {
        FetchSessionCache cache = new FetchSessionCache(1000, now::get, metrics);
        PartitionReadsStub reads = new PartitionReadsStub();
        FetchResponseData first = fetch(cache, request(0, 0, "t-0", "t-1", "t-2"), reads);
        assertThat(first.sessionId()).isNotZero();
        assertThat(answered(first)).containsExactly("t-0", "t-1", "t-2");

        // Nothing named, nothing new: all three read, none answered.
        FetchResponseData quiet = fetch(cache, request(first.sessionId(), 1), reads);
        assertThat(reads.lastAsked()).containsExactlyInAnyOrder("t-0", "t-1", "t-2");
        assertThat(quiet.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(quiet.sessionId()).isEqualTo(first.sessionId());
        assertThat(answered(quiet)).isEmpty();

        // Data on one partition, a moved watermark on another.
        reads.hasData.put("t-1", true);
        reads.highWatermark.put("t-2", 11L);
        FetchResponseData changed = fetch(cache, request(first.sessionId(), 2), reads);
        assertThat(answered(changed)).containsExactlyInAnyOrder("t-1", "t-2");
        assertThat(metrics.get("strata.fetch.sessions").gauge().value()).isEqualTo(1.0);
        assertThat(metrics.get("strata.fetch.sessions.partitions").gauge().value()).isEqualTo(3.0);
    }

    @Test
    void aNamedPartitionUpdatesItsPositionAndAForgottenOneIsNoLongerRead() {
        FetchSessionCache cache = new FetchSessionCache(1000, now::get, metrics);
        PartitionReadsStub reads = new PartitionReadsStub();
        int id = fetch(cache, request(0, 0, "t-0", "t-1"), reads).sessionId();
        FetchRequestData req = request(id, 1, "t-0", "u-0");
        req.topics().get(0).partitions().get(0).setFetchOffset(42);
        req.forgottenTopicsData().add(new FetchRequestData.ForgottenTopic().setTopic("t").setPartitions(List.of(1)));
        FetchResponseData resp = fetch(cache, req, reads);
        assertThat(reads.lastAsked()).containsExactlyInAnyOrder("t-0", "u-0");
        assertThat(reads.offsets.get("t-0")).isEqualTo(42);
        // The added partition is new to the client: answered, though it has no data.
        assertThat(answered(resp)).containsExactly("u-0");
    }

    @Test
    void aFetchOfTheWrongEpochOrAnUnknownSessionIsRefusedWithoutReading() {
        FetchSessionCache cache = new FetchSessionCache(1000, now::get, metrics);
        PartitionReadsStub reads = new PartitionReadsStub();
        int id = fetch(cache, request(0, 0, "t-0"), reads).sessionId();
        int readsBefore = reads.asked.size();
        FetchResponseData stale = fetch(cache, request(id, 2), reads);
        assertThat(Errors.forCode(stale.errorCode())).isEqualTo(Errors.INVALID_FETCH_SESSION_EPOCH);
        int other = id == Integer.MAX_VALUE - 1 ? 1 : id + 1;
        FetchResponseData unknown = fetch(cache, request(other, 1), reads);
        assertThat(Errors.forCode(unknown.errorCode())).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
        assertThat(reads.asked).hasSize(readsBefore);
        // The session is still there, at the epoch it expects.
        assertThat(fetch(cache, request(id, 1), reads).errorCode()).isEqualTo(Errors.NONE.code());
    }

    @Test
    void theFinalEpochClosesTheSessionAndIsAnsweredInFullWithoutOne() {
        FetchSessionCache cache = new FetchSessionCache(1000, now::get, metrics);
        PartitionReadsStub reads = new PartitionReadsStub();
        int id = fetch(cache, request(0, 0, "t-0", "t-1"), reads).sessionId();
        FetchResponseData closing = fetch(cache, request(id, -1, "t-0"), reads);
        assertThat(closing.sessionId()).isZero();
        assertThat(answered(closing)).containsExactly("t-0");
        assertThat(cache.ids()).isEmpty();
        assertThat(Errors.forCode(fetch(cache, request(id, 1), reads).errorCode())).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
        // A new full fetch naming the old session closes it and opens another.
        int second = fetch(cache, request(0, 0, "t-0"), reads).sessionId();
        int third = fetch(cache, request(second, 0, "t-0"), reads).sessionId();
        assertThat(cache.ids()).containsExactly(third);
    }

    @Test
    void aPartitionThatReturnedDataIsReadLastNextTime() {
        FetchSessionCache cache = new FetchSessionCache(1000, now::get, metrics);
        PartitionReadsStub reads = new PartitionReadsStub();
        int id = fetch(cache, request(0, 0, "t-0", "t-1", "t-2"), reads).sessionId();
        reads.hasData.put("t-0", true);
        fetch(cache, request(id, 1), reads);
        reads.hasData.clear();
        fetch(cache, request(id, 2), reads);
        assertThat(reads.lastAsked()).containsExactly("t-1", "t-2", "t-0");
    }

    @Test
    void noSessionWithoutSlotsOrBeforeVersion7() {
        PartitionReadsStub reads = new PartitionReadsStub();
        FetchSessionCache none = new FetchSessionCache(0, now::get, metrics);
        assertThat(fetch(none, request(0, 0, "t-0"), reads).sessionId()).isZero();
        FetchSessionCache cache = new FetchSessionCache(1000, now::get, new SimpleMeterRegistry());
        assertThat(cache.fetch(request(0, 0, "t-0"), (short) 6, reads).join().sessionId()).isZero();
        assertThat(cache.ids()).isEmpty();
    }

    @Test
    void aFullCacheMakesRoomOnlyAsKafkaDoes() {
        FetchSessionCache cache = new FetchSessionCache(1, now::get, metrics);
        PartitionReadsStub reads = new PartitionReadsStub();
        int a = fetch(cache, request(0, 0, "t-0", "t-1"), reads).sessionId();
        assertThat(a).isNotZero();
        // Neither a smaller session nor a larger one may take the slot of one created moments ago.
        assertThat(fetch(cache, request(0, 0, "t-0"), reads).sessionId()).isZero();
        assertThat(fetch(cache, request(0, 0, "t-0", "t-1", "t-2"), reads).sessionId()).isZero();
        // Created over two minutes ago and still in use: a larger session replaces it.
        now.addAndGet(60_000);
        assertThat(fetch(cache, request(a, 1), reads).errorCode()).isEqualTo(Errors.NONE.code());
        now.addAndGet(FetchSessionCache.EVICTION_MS - 60_000 + 1);
        int b = fetch(cache, request(0, 0, "t-0", "t-1", "t-2"), reads).sessionId();
        assertThat(cache.ids()).containsExactly(b);
        // A follower's session replaces a consumer's, however new and large.
        int f = fetch(cache, request(0, 0, "t-0").setReplicaId(2), reads).sessionId();
        assertThat(cache.ids()).containsExactly(f);
        // Which no consumer's can take, until it has been unused for over the eviction time.
        assertThat(fetch(cache, request(0, 0, "t-0", "t-1", "t-2", "t-3"), reads).sessionId()).isZero();
        now.addAndGet(FetchSessionCache.EVICTION_MS);
        assertThat(fetch(cache, request(0, 0, "t-0"), reads).sessionId()).isZero();
        now.addAndGet(1);
        int late = fetch(cache, request(0, 0, "t-0"), reads).sessionId();
        assertThat(cache.ids()).containsExactly(late);
        assertThat(metrics.get("strata.fetch.sessions.evicted").counter().count()).isEqualTo(3.0);
    }
}
