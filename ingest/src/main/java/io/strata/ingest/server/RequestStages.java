package io.strata.ingest.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * Where each request's time went, by API and stage, as Kafka's {@code RequestMetrics} splits
 * {@code TotalTimeMs}: {@code strata_request_stage_seconds{api,stage}}, and the whole of it in
 * {@code strata_request_total_seconds{api}}, each with p50 and p99 over about the last minute.
 * <ul>
 * <li>{@code request_queue}: from its frame's arrival, before it is parsed, to a handler thread
 * taking it. It includes waiting behind the connection's earlier requests, which are handled one
 * at a time in order (Kafka stops reading the connection instead, and that wait is in no metric).</li>
 * <li>{@code local}: the handler's own work (a produce's appends, a fetch's first read).</li>
 * <li>{@code remote}: waiting for others after that: an acks=all produce's fsync and replicas, a
 * fetch waiting for data or reading object storage, a group join waiting for its members.</li>
 * <li>{@code response_queue}: from the answer to its bytes being queued on the connection: the
 * hop to the connection's event loop, waiting behind its earlier answers (answers go out in
 * request order), and encoding.</li>
 * <li>{@code response_send}: from there until the kernel took its last byte (the answers
 * written together are flushed together).</li>
 * </ul>
 * An acks=0 produce is not answered: it has no response stages, and its total ends with its handling.
 */
final class RequestStages {
    enum Stage {
        REQUEST_QUEUE, LOCAL, REMOTE, RESPONSE_QUEUE, RESPONSE_SEND;

        final String tag = name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The percentiles' window: about the last minute (three buffers, one replaced every 20 s), short
     * enough that a scrape after a minute's steady load shows that load, not what came before it.
     */
    static final java.time.Duration PERCENTILES_OVER = java.time.Duration.ofMinutes(1);

    /** Records nothing: for a connection built without a registry (tests of the connection alone). */
    static final RequestStages NONE = new RequestStages(null, System::nanoTime);

    private final MeterRegistry registry;
    private final LongSupplier clock;
    /** By API ordinal: its stages' timers, then its total's; made at the API's first request, so a node registers only what it serves. */
    private final AtomicReferenceArray<Timer[]> timers = new AtomicReferenceArray<>(ApiKeys.values().length);

    RequestStages(MeterRegistry registry) {
        this(registry, System::nanoTime);
    }

    /** With {@code clock} for every timestamp ({@link System#nanoTime} but in tests). */
    RequestStages(MeterRegistry registry, LongSupplier clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /** The time now, in nanoseconds, for the timestamps passed back to {@link #answered} and {@link #unanswered}. */
    long now() {
        return clock.getAsLong();
    }

    /**
     * An answered request's stages from its timestamps: arrived, taken by a handler, the handler
     * returned, its answer complete, its bytes queued on the connection, its last byte sent.
     */
    void answered(ApiKeys api, long arrived, long taken, long returned, long completed, long written, long sent) {
        Timer[] t = timersOf(api);
        if (t == null) {
            return;
        }
        recordHandling(t, arrived, taken, returned, completed);
        record(t[Stage.RESPONSE_QUEUE.ordinal()], written - completed);
        record(t[Stage.RESPONSE_SEND.ordinal()], sent - written);
        record(t[t.length - 1], sent - arrived);
    }

    /** A request not answered (acks=0 produce): its stages up to its handling's end, which ends its total. */
    void unanswered(ApiKeys api, long arrived, long taken, long returned, long completed) {
        Timer[] t = timersOf(api);
        if (t == null) {
            return;
        }
        recordHandling(t, arrived, taken, returned, completed);
        record(t[t.length - 1], completed - arrived);
    }

    private static void recordHandling(Timer[] t, long arrived, long taken, long returned, long completed) {
        record(t[Stage.REQUEST_QUEUE.ordinal()], taken - arrived);
        record(t[Stage.LOCAL.ordinal()], returned - taken);
        record(t[Stage.REMOTE.ordinal()], completed - returned);
    }

    private static void record(Timer t, long nanos) {
        t.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    private Timer[] timersOf(ApiKeys api) {
        if (registry == null) {
            return null;
        }
        Timer[] t = timers.get(api.ordinal());
        if (t == null) {
            // Two threads may build them at once: Micrometer hands both the same registered timers.
            t = new Timer[Stage.values().length + 1];
            for (Stage s : Stage.values()) {
                t[s.ordinal()] = Timer.builder("strata.request.stage").tag("api", api.name).tag("stage", s.tag)
                        .publishPercentiles(0.5, 0.99).distributionStatisticExpiry(PERCENTILES_OVER)
                        .description("Kafka requests' time by stage, from the frame's arrival to its answer's last byte sent")
                        .register(registry);
            }
            t[t.length - 1] = Timer.builder("strata.request.total").tag("api", api.name)
                    .publishPercentiles(0.5, 0.99).distributionStatisticExpiry(PERCENTILES_OVER)
                    .description("Kafka requests' time from the frame's arrival to its answer's last byte sent")
                    .register(registry);
            timers.compareAndSet(api.ordinal(), null, t);
        }
        return t;
    }
}
