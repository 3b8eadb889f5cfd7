package io.strata.ingest.api;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A stand-in for the broker's partition reads behind {@link FetchSessionCache}: records what each
 * fetch asked to read and answers every partition with the watermark (10 unless set) and data it
 * is told to.
 */
final class PartitionReadsStub implements Function<FetchRequestData, CompletableFuture<FetchResponseData>> {
    final Map<String, Long> highWatermark = new HashMap<>();
    final Map<String, Boolean> hasData = new HashMap<>();
    final List<List<String>> asked = new ArrayList<>();
    final Map<String, Long> offsets = new HashMap<>();
    private final List<List<String>> askedAt = new ArrayList<>();

    @Override
    public CompletableFuture<FetchResponseData> apply(FetchRequestData req) {
        List<String> names = new ArrayList<>();
        List<String> at = new ArrayList<>();
        FetchResponseData resp = new FetchResponseData();
        for (FetchRequestData.FetchTopic t : req.topics()) {
            FetchResponseData.FetchableTopicResponse tr = new FetchResponseData.FetchableTopicResponse().setTopic(t.topic());
            resp.responses().add(tr);
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                String name = t.topic() + "-" + p.partition();
                names.add(name);
                at.add(name + "@" + p.fetchOffset());
                offsets.put(name, p.fetchOffset());
                tr.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(p.partition())
                        .setHighWatermark(highWatermark.getOrDefault(name, 10L)).setLastStableOffset(highWatermark.getOrDefault(name, 10L))
                        .setLogStartOffset(0).setRecords(hasData.getOrDefault(name, false)
                                ? MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes()))
                                : MemoryRecords.EMPTY));
            }
        }
        asked.add(names);
        askedAt.add(at);
        return CompletableFuture.completedFuture(resp);
    }

    /** The partitions the last fetch read, as {@code topic-partition}. */
    List<String> lastAsked() {
        return asked.get(asked.size() - 1);
    }

    /** The same, as {@code topic-partition@fetchOffset}. */
    List<String> lastAskedAt() {
        return askedAt.get(askedAt.size() - 1);
    }
}
