package io.strata.ingest.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where each request's time went, by API and stage, as Kafka's {@code RequestMetrics} splits
 * {@code TotalTimeMs}: {@code strata_request_stage_seconds{api,stage}}, with p50 and p99 over
 * about the last minute.
 * <ul>
 * <li>{@code request_queue}: from its frame's arrival to a handler thread taking it. It includes
 * waiting behind the connection's earlier requests, which are handled one at a time in order
 * (Kafka stops reading the connection instead, and that wait is in no metric).</li>
 * <li>{@code local}: the handler's own work (a produce's appends, a fetch's first read).</li>
 * <li>{@code remote}: waiting for others after that: an acks=all produce's fsync and replicas, a
 * fetch waiting for data or reading object storage, a group join waiting for its members.</li>
 * <li>{@code response_queue}: from the answer to the connection's event loop starting to write
 * it, behind the connection's earlier answers (answers go out in request order).</li>
 * <li>{@code response_send}: writing it to the socket, until the kernel took its last byte.</li>
 * <li>{@code total}: arrival to the last byte sent.</li>
 * </ul>
 * An acks=0 produce, which is not answered, has no response stages.
 */
final class RequestStages {
    enum Stage {
        REQUEST_QUEUE, LOCAL, REMOTE, RESPONSE_QUEUE, RESPONSE_SEND, TOTAL;

        final String tag = name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The percentiles' window: about the last minute (three buffers, one replaced every 20 s), short
     * enough that a scrape after a minute's steady load shows that load, not what came before it.
     */
    static final java.time.Duration PERCENTILES_OVER = java.time.Duration.ofMinutes(1);

    /** Records nothing: for a server built without a registry (tests of the connection alone). */
    static final RequestStages NONE = new RequestStages(null);

    private final MeterRegistry registry;
    /** Per API, its timers by stage; made at an API's first request, so a node registers only the APIs it serves. */
    private final Map<ApiKeys, Timer[]> timers = java.util.Collections.synchronizedMap(new EnumMap<>(ApiKeys.class));

    RequestStages(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * One request's stages from its timestamps ({@link System#nanoTime}): arrived, taken by a
     * handler, the handler returned, its answer complete, its writing started, its last byte sent.
     * A response not sent passes {@code writing} and {@code sent} equal to {@code completed}.
     */
    void record(ApiKeys api, long arrived, long taken, long returned, long completed, long writing, long sent) {
        if (registry == null) {
            return;
        }
        Timer[] t = timers.computeIfAbsent(api, this::timersOf);
        t[Stage.REQUEST_QUEUE.ordinal()].record(taken - arrived, TimeUnit.NANOSECONDS);
        t[Stage.LOCAL.ordinal()].record(returned - taken, TimeUnit.NANOSECONDS);
        t[Stage.REMOTE.ordinal()].record(Math.max(0, completed - returned), TimeUnit.NANOSECONDS);
        t[Stage.RESPONSE_QUEUE.ordinal()].record(writing - completed, TimeUnit.NANOSECONDS);
        t[Stage.RESPONSE_SEND.ordinal()].record(sent - writing, TimeUnit.NANOSECONDS);
        t[Stage.TOTAL.ordinal()].record(sent - arrived, TimeUnit.NANOSECONDS);
    }

    private Timer[] timersOf(ApiKeys api) {
        Timer[] t = new Timer[Stage.values().length];
        for (Stage s : Stage.values()) {
            t[s.ordinal()] = Timer.builder("strata.request.stage").tag("api", api.name).tag("stage", s.tag)
                    .publishPercentiles(0.5, 0.99).distributionStatisticExpiry(PERCENTILES_OVER)
                    .description("Kafka requests' time by stage, from the frame's arrival to its answer's last byte sent")
                    .register(registry);
        }
        return t;
    }
}
