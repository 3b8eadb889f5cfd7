package io.strata.ingest.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.strata.ingest.group.GroupCoordinator;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.store.CommittedOffset;
import io.strata.metastore.store.PartitionKey;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Series whose label sets change as topics and groups come and go, recomputed at each scrape:
 * per-partition log end offset, high watermark and log start offset, and per group and partition
 * the committed offset and lag (high watermark minus committed offset).
 */
public final class ScrapeTimeMetrics {
    private static final Logger log = LoggerFactory.getLogger(ScrapeTimeMetrics.class);

    private final TopicManager topics;
    private final GroupCoordinator groups;
    private final MultiGauge logEnd;
    private final MultiGauge highWatermark;
    private final MultiGauge logStart;
    private final MultiGauge committed;
    private final MultiGauge lag;

    public ScrapeTimeMetrics(MeterRegistry registry, TopicManager topics, GroupCoordinator groups) {
        this.topics = topics;
        this.groups = groups;
        this.logEnd = MultiGauge.builder("strata.partition.log.end.offset").register(registry);
        this.highWatermark = MultiGauge.builder("strata.partition.high.watermark").register(registry);
        this.logStart = MultiGauge.builder("strata.partition.log.start.offset").register(registry);
        this.committed = MultiGauge.builder("strata.group.committed.offset").register(registry);
        this.lag = MultiGauge.builder("strata.group.lag").description("High watermark minus committed offset").register(registry);
    }

    public void refresh() {
        Map<TopicPartition, PartitionLog> logs = topics.logs();
        List<MultiGauge.Row<?>> ends = new ArrayList<>();
        List<MultiGauge.Row<?>> hws = new ArrayList<>();
        List<MultiGauge.Row<?>> starts = new ArrayList<>();
        logs.forEach((tp, pl) -> {
            Tags t = Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
            ends.add(MultiGauge.Row.of(t, pl.logEndOffset()));
            hws.add(MultiGauge.Row.of(t, pl.highWatermark()));
            starts.add(MultiGauge.Row.of(t, pl.logStartOffset()));
        });
        logEnd.register(ends, true);
        highWatermark.register(hws, true);
        logStart.register(starts, true);

        List<MultiGauge.Row<?>> commits = new ArrayList<>();
        List<MultiGauge.Row<?>> lags = new ArrayList<>();
        try {
            for (GroupCoordinator.GroupView g : groups.list()) {
                Map<PartitionKey, CommittedOffset> offsets = groups.fetchOffsets(g.groupId()).get(5, TimeUnit.SECONDS);
                offsets.forEach((k, o) -> {
                    PartitionLog pl = logs.get(new TopicPartition(k.topic(), k.partition()));
                    Tags t = Tags.of("group", g.groupId(), "topic", k.topic(), "partition", Integer.toString(k.partition()));
                    commits.add(MultiGauge.Row.of(t, o.offset()));
                    if (pl != null) {
                        lags.add(MultiGauge.Row.of(t, Math.max(0, pl.highWatermark() - o.offset())));
                    }
                });
            }
        } catch (Exception e) {
            log.debug("group lag not refreshed: {}", e.getMessage());
            return;
        }
        committed.register(commits, true);
        lag.register(lags, true);
    }
}
