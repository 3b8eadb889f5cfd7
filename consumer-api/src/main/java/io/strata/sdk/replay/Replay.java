package io.strata.sdk.replay;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.strata.records.BatchHeader;
import io.strata.records.InvalidBatchException;
import io.strata.records.RecordCursor;
import io.strata.tiering.segment.CorruptSegmentObjectException;
import io.strata.tiering.segment.ReadAheadPool;
import io.strata.tiering.segment.RemoteSegmentReader;
import io.strata.tiering.segment.SequentialSegmentReader;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import io.strata.tiering.store.ObjectStore;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replays a topic's history straight from object storage, leaving the brokers alone:
 * <pre>{@code
 * Replay.of("orders").from(Instant.parse("2026-06-01T00:00:00Z")).toNow().parallelism(8)
 *       .adminUrl("http://broker:9644").bootstrap("broker:9092").checkpoint(Path.of("orders.ckpt"))
 *       .run(record -> …);
 * }</pre>
 * Sealed segments are found in the segment manifest (the broker's admin API) and read from the
 * bucket with 8 MiB ranged GETs (the first 1 MiB), {@link #readAhead} of them in flight per
 * partition, partitions in parallel, each decoded on its own thread with no copy of a record's
 * bytes until the handler asks for them ({@link ReplayRecord}); the part of the range not yet
 * tiered is read through the Kafka protocol at the end. Records reach the handler in offset order within each
 * partition (partitions concurrently: the handler must be thread-safe). Time bounds resolve to
 * offsets exactly as kafka-clients' {@code offsetsForTimes} does: {@code from} inclusive,
 * {@code to} exclusive. A checkpoint file records the next offset per partition: a replay
 * stopped with {@link #stop()} resumes with no duplicate and no gap (after a crash, records since
 * the last checkpoint write are delivered again). A batch that fails its CRC stops the replay
 * with a {@link ReplayException} naming the object and offset; it is never delivered. The S3
 * client is shared by the replays of one process and closed a minute after the last of them ends.
 */
public final class Replay {
    /** Receives replayed records. */
    public interface RecordHandler {
        void handle(ReplayRecord record) throws Exception;

        /**
         * Called before the replay writes its checkpoint: a handler that buffers what it was
         * handed makes it durable here, so the checkpoint never counts a record that was lost.
         */
        default void flush() throws Exception {
        }
    }

    /** What a run did. */
    public record Result(long records, long bytes, Map<Integer, Long> nextOffsets, boolean complete, boolean alreadyComplete) {
        public Result(long records, long bytes, Map<Integer, Long> nextOffsets, boolean complete) {
            this(records, bytes, nextOffsets, complete, false);
        }

    }

    private final String topic;
    private Long fromOffset;
    private Instant fromTime;
    private Long toOffset;
    private Instant toTime;
    private int parallelism = 4;
    private int readAhead = 3;
    private String adminUrl = "http://localhost:9644";
    private String bootstrap = "localhost:9092";
    private String adminToken;
    private final Properties clientProperties = new Properties();
    private String objectStoreUrl;
    private Set<Integer> partitions;
    private Path checkpointFile;
    private volatile boolean stopped;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final Map<Integer, Long> next = new ConcurrentHashMap<>();
    private final Map<Integer, Long> end = new ConcurrentHashMap<>();

    private Replay(String topic) {
        this.topic = topic;
    }

    public static Replay of(String topic) {
        return new Replay(topic);
    }

    /**
     * Closes the object-store clients that finished replays keep open for the next one (for a
     * minute): for a program that is done replaying and about to exit, which then exits at once
     * instead of waiting for their I/O threads.
     */
    public static void closeIdleClients() {
        SharedObjectStores.process().closeUnused();
    }

    public Replay from(long offset) {
        this.fromOffset = offset;
        return this;
    }

    public Replay from(Instant time) {
        this.fromTime = time;
        return this;
    }

    public Replay to(long offsetExclusive) {
        this.toOffset = offsetExclusive;
        return this;
    }

    public Replay to(Instant time) {
        this.toTime = time;
        return this;
    }

    /** Up to the high watermark at the start of the run (the default). */
    public Replay toNow() {
        this.toOffset = null;
        this.toTime = null;
        return this;
    }

    public Replay parallelism(int n) {
        this.parallelism = n;
        return this;
    }

    /**
     * Ranged GETs of 8 MiB kept in flight per partition (default 3): the next ones download
     * while the handler works through this one. A partition that has finished lends its GETs to
     * those still reading (up to twice their own), so the last ones do not read on alone with the
     * bucket half idle. Memory is about parallelism × readAhead × 8 MiB.
     */
    public Replay readAhead(int spans) {
        if (spans < 1) {
            throw new IllegalArgumentException("readAhead must be at least 1, got " + spans);
        }
        this.readAhead = spans;
        return this;
    }

    public Replay partitions(Set<Integer> only) {
        this.partitions = new TreeSet<>(only);
        return this;
    }

    public Replay adminUrl(String url) {
        this.adminUrl = url;
        return this;
    }

    /** The node's {@code admin.auth.token}, when its admin API wants one. */
    public Replay adminToken(String token) {
        this.adminToken = token;
        return this;
    }

    /**
     * Client settings for the Kafka connection (security.protocol, sasl.*, ssl.*), as a Kafka
     * consumer takes them; an https admin URL is trusted, and answered with a client certificate,
     * through the same ssl.truststore.* and ssl.keystore.*.
     */
    public Replay clientProperties(Properties properties) {
        this.clientProperties.putAll(properties);
        return this;
    }

    public Replay bootstrap(String servers) {
        this.bootstrap = servers;
        return this;
    }

    /** The bucket URL, when it differs from what the broker reports (e.g. other credentials or endpoint). */
    public Replay objectStore(String url) {
        this.objectStoreUrl = url;
        return this;
    }

    public Replay checkpoint(Path file) {
        this.checkpointFile = file;
        return this;
    }

    /** Asks a running replay to stop after the record in hand; the checkpoint then holds the exact position. */
    public void stop() {
        stopped = true;
    }

    /** Records delivered so far (for progress reporting). */
    public long recordsDelivered() {
        return records.get();
    }

    public long bytesDelivered() {
        return bytes.get();
    }

    /** Offsets the run covers, per partition, once known. */
    public Map<Integer, long[]> ranges() {
        Map<Integer, long[]> out = new HashMap<>();
        end.forEach((p, e) -> out.put(p, new long[] {next.getOrDefault(p, e), e}));
        return out;
    }

    public Result run(RecordHandler handler) {
        ManifestClient manifests = new ManifestClient(adminUrl, adminToken, clientProperties);
        // The whole topic's manifests in one request; only some partitions of it, one request each, as a topic is asked for
        // by a node too old for that answer, or whose answer would be too large (ManifestClient.topicManifests).
        java.util.Optional<java.util.SortedMap<Integer, ManifestClient.Manifest>> all = partitions == null
                ? manifests.topicManifests(topic) : java.util.Optional.empty();
        int count = all.isPresent() ? all.get().size() : manifests.partitions(topic);
        if (partitions != null && !partitions.isEmpty() && partitions.stream().anyMatch(p -> p < 0 || p >= count)) {
            throw new ReplayException(topic + " has " + count + " partition(s) (0 to " + (count - 1) + "); cannot replay partitions "
                    + partitions.stream().filter(p -> p < 0 || p >= count).toList(), null);
        }
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            if (partitions == null || partitions.contains(p)) {
                parts.add(p);
            }
        }
        Checkpoint ckpt = checkpointFile == null ? null : new Checkpoint(checkpointFile);
        Checkpoint.State resumed = ckpt == null ? null : ckpt.read();
        String range = rangeSpec();
        boolean alreadyComplete = false;
        if (resumed != null) {
            // A checkpoint resumes the replay it was written for, and only that one.
            if (!resumed.topic().equals(topic) || (resumed.range() != null && !resumed.range().equals(range))) {
                throw new ReplayException("checkpoint " + checkpointFile + " belongs to a replay of " + resumed.topic() + " "
                        + (resumed.range() == null ? "" : resumed.range()) + "; this one asks for " + topic + " " + range
                        + ": give another checkpoint file, or delete it to start over", null);
            }
            next.putAll(resumed.next());
            end.putAll(resumed.end());
            alreadyComplete = parts.stream().allMatch(p -> next.getOrDefault(p, 0L) >= end.getOrDefault(p, 0L));
        }
        // Logging is initialised here first: two threads initialising SLF4J at once print a warning about replayed calls.
        org.slf4j.LoggerFactory.getILoggerFactory();
        // The manifests are read side by side, and the S3 client opens as soon as the bucket is known (given, or named by
        // the first manifest to arrive): in a fresh process opening it costs a good part of a second. A process that has
        // replayed from the bucket in the last minute still has it open (SharedObjectStores).
        StoreOpening opening = new StoreOpening();
        if (objectStoreUrl != null) {
            opening.open(objectStoreUrl);
        }
        Map<Integer, CompletableFuture<ManifestClient.Manifest>> asked = new HashMap<>();
        // Read already, or all asked for at once: the manifest client keeps a few in flight (ManifestClient.THREADS) and
        // queues the rest.
        for (int p : parts) {
            CompletableFuture<ManifestClient.Manifest> manifest = all.isPresent()
                    ? CompletableFuture.completedFuture(all.get().get(p)) : manifests.manifestAsync(topic, p);
            asked.put(p, manifest.whenComplete((m, t) -> {
                if (m != null && m.objectStore() != null) {
                    opening.open(m.objectStore());
                }
            }));
        }
        Map<Integer, ManifestClient.Manifest> byPartition = new HashMap<>();
        RuntimeException setupFailure = null;
        for (int p : parts) {
            try {
                byPartition.put(p, join(asked.get(p)));
            } catch (RuntimeException e) {
                if (setupFailure == null) {
                    setupFailure = e;
                }
            }
        }
        // Offset bounds (or none: the whole log, to the watermark) resolve from the manifests when the node that answered
        // leads every partition. Otherwise they come from the brokers through a Kafka client, which costs a fresh process
        // most of a second, as does the S3 client: the two then start side by side.
        CompletableFuture<Void> ranges = resumed != null || (setupFailure == null && rangeFromManifests(parts, byPartition))
                ? CompletableFuture.completedFuture(null)
                : CompletableFuture.runAsync(() -> resolveRange(parts), runnable -> daemon("replay-offsets", runnable).start());
        ObjectStore opened = null;
        try {
            opened = opening.await();
        } catch (RuntimeException e) {
            setupFailure = firstOf(setupFailure, e);
        }
        try {
            join(ranges);
        } catch (RuntimeException e) {
            setupFailure = firstOf(setupFailure, e);
        }
        if (setupFailure != null) {
            if (opened != null) {
                opened.close();
            }
            throw setupFailure;
        }
        ObjectStore store = opened;
        // Only for segment indexes: the data is read by each partition's SequentialSegmentReader, not through a cache.
        RemoteSegmentReader reader = store == null ? null : new RemoteSegmentReader(store, 0, new SimpleMeterRegistry());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallelism));
        // The partitions read at once share their spans in flight: one that finishes leaves its GETs to the next to start,
        // or to those still reading. Only the partitions with history in the bucket open a reader.
        long reading = store == null ? 0 : parts.stream().filter(p -> next.get(p) < end.get(p)).count();
        ReadAheadPool spans = new ReadAheadPool(Math.max(1, parallelism), (int) reading);
        ReplayException failure = null;
        boolean interrupted = false;
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (int p : parts) {
                tasks.add(pool.submit(() -> {
                    replayPartition(p, byPartition.get(p), store, reader, spans, handler);
                    return null;
                }));
            }
            for (Future<?> f : tasks) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            stopped = true;
            Throwable c = e.getCause();
            failure = c instanceof ReplayException re ? re : new ReplayException("replay of " + topic + " failed: " + c, c);
        } catch (InterruptedException e) {
            stopped = true;
            interrupted = true;
            failure = new ReplayException("interrupted", e);
        } finally {
            // Not shutdownNow: an interrupted handler may be mid-write (an interrupted write closes a file channel).
            pool.shutdown();
            try {
                if (ckpt != null) {
                    // Stopped threads may still be in the handler: wait briefly, then record only what it was given.
                    pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
                    Map<Integer, Long> given = Map.copyOf(next);
                    handler.flush();
                    ckpt.write(topic, given, end, range);
                }
            } catch (Exception e) {
                ReplayException f = new ReplayException("the handler could not flush before the checkpoint was written: " + e, e);
                if (failure == null) {
                    failure = f;
                } else {
                    failure.addSuppressed(f);
                }
            } finally {
                pool.shutdownNow();
                if (store != null) {
                    store.close();
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        boolean complete = parts.stream().allMatch(p -> next.get(p) >= end.get(p));
        return new Result(records.get(), bytes.get(), Map.copyOf(next), complete, alreadyComplete);
    }

    /** The bounds asked for, as a checkpoint remembers them. */
    private String rangeSpec() {
        return "from " + (fromOffset != null ? "offset " + fromOffset : fromTime != null ? fromTime.toString() : "earliest")
                + " to " + (toOffset != null ? "offset " + toOffset : toTime != null ? toTime.toString() : "now")
                + ", partitions " + (partitions == null ? "all" : partitions.toString());
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The set-up failure to throw: the first one, with later ones suppressed in it. */
    private static RuntimeException firstOf(RuntimeException first, RuntimeException later) {
        if (first == null) {
            return later;
        }
        first.addSuppressed(later);
        return first;
    }

    /** Waits for a set-up step, rethrowing what it threw as it threw it. */
    private static <T> T join(CompletableFuture<T> step) {
        try {
            return step.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * The S3 client, leased on its own thread from the first bucket URL it is given (the process's
     * open one for that bucket, or a new one); later URLs are ignored (every manifest of a topic
     * names the same bucket). Null when none was given.
     */
    private static final class StoreOpening {
        private CompletableFuture<ObjectStore> store;

        synchronized void open(String url) {
            if (store == null) {
                store = CompletableFuture.supplyAsync(() -> SharedObjectStores.process().lease(url), runnable -> daemon("replay-open-store", runnable).start());
            }
        }

        ObjectStore await() {
            CompletableFuture<ObjectStore> s;
            synchronized (this) {
                s = store;
            }
            return s == null ? null : join(s);
        }
    }

    /**
     * The range from the manifests' log start offsets and high watermarks, as a Kafka client's
     * beginningOffsets and endOffsets would give it; false (nothing set) when a bound is a time,
     * or when the node that answered does not lead a partition and so may trail its watermark.
     */
    private boolean rangeFromManifests(List<Integer> parts, Map<Integer, ManifestClient.Manifest> byPartition) {
        if (fromTime != null || toTime != null || parts.stream().anyMatch(p -> !byPartition.get(p).leader())) {
            return false;
        }
        for (int p : parts) {
            ManifestClient.Manifest m = byPartition.get(p);
            long f = fromOffset != null ? Math.max(fromOffset, m.logStartOffset()) : m.logStartOffset();
            long t = toOffset != null ? Math.min(toOffset, m.highWatermark()) : m.highWatermark();
            next.put(p, f);
            end.put(p, Math.max(f, t));
        }
        return true;
    }

    private void resolveRange(List<Integer> parts) {
        try (Closing closing = new Closing(consumer())) {
            KafkaConsumer<byte[], byte[]> c = closing.consumer();
            List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p)).toList();
            Map<TopicPartition, Long> begin = c.beginningOffsets(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps);
            Map<TopicPartition, OffsetAndTimestamp> fromT = fromTime == null ? Map.of() : c.offsetsForTimes(times(tps, fromTime));
            Map<TopicPartition, OffsetAndTimestamp> toT = toTime == null ? Map.of() : c.offsetsForTimes(times(tps, toTime));
            for (TopicPartition tp : tps) {
                long f = fromOffset != null ? Math.max(fromOffset, begin.get(tp))
                        : fromTime != null ? (fromT.get(tp) == null ? ends.get(tp) : fromT.get(tp).offset()) : begin.get(tp);
                long t = toOffset != null ? Math.min(toOffset, ends.get(tp))
                        : toTime != null ? (toT.get(tp) == null ? ends.get(tp) : toT.get(tp).offset()) : ends.get(tp);
                next.put(tp.partition(), f);
                end.put(tp.partition(), Math.max(f, t));
            }
        }
    }

    private static Map<TopicPartition, Long> times(List<TopicPartition> tps, Instant t) {
        Map<TopicPartition, Long> m = new HashMap<>();
        tps.forEach(tp -> m.put(tp, t.toEpochMilli()));
        return m;
    }

    /**
     * A consumer closed without waiting: it commits nothing, and a graceful close waits for its
     * fetch sessions to be closed on the broker, which made each partition's tail cost up to seconds.
     */
    private record Closing(KafkaConsumer<byte[], byte[]> consumer) implements AutoCloseable {
        @Override
        public void close() {
            consumer.close(Duration.ZERO);
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Bytes of one ranged GET: large enough that a request's round trip is a small part of its time. */
    static final int SPAN_BYTES = 8 << 20;
    /**
     * A partition's first GET: it goes out with the read-ahead, which keeps the bucket busy from
     * the start, and shares the bandwidth with it; an 8 MiB one made the first records wait for
     * 18 spans' worth of downloads (180 ms here, against 67 ms for 1 MiB).
     */
    static final int FIRST_SPAN_BYTES = 1 << 20;

    private void replayPartition(int p, ManifestClient.Manifest manifest, ObjectStore store, RemoteSegmentReader indexes,
                                 ReadAheadPool spans, RecordHandler handler) throws Exception {
        long to = end.get(p);
        if (store != null && next.get(p) < to) {
            List<SequentialSegmentReader.Segment> segments = new ArrayList<>();
            for (ManifestClient.Segment s : manifest.segments()) {
                segments.add(new SequentialSegmentReader.Segment(s.objectKey(), s.sizeBytes(), s.baseOffset(), s.lastOffset()));
            }
            // The position and the counts are kept here and published once per run of batches (and on the way out), not
            // per record: six partition threads updating shared maps and counters for every record contend for them.
            long position = next.get(p);
            long delivered = 0;
            long deliveredBytes = 0;
            try (SequentialSegmentReader reader = new SequentialSegmentReader(store, indexes, segments, position, to,
                    SPAN_BYTES, FIRST_SPAN_BYTES, readAhead, spans)) {
                ByteBuffer run;
                while (!stopped && position < to && (run = reader.next()) != null) {
                    long lastInRun = -1;
                    for (int at = run.position(); at < run.limit(); ) {
                        ByteBuffer batch = run.duplicate().position(at);
                        BatchHeader h = BatchHeader.parse(batch);
                        batch.limit(at + h.totalSize());
                        at += h.totalSize();
                        lastInRun = h.lastOffset();
                        if (h.isControl() || h.lastOffset() < position) {
                            continue;
                        }
                        if (h.baseOffset() >= to) {
                            break;
                        }
                        if (RecordCursor.readable(h)) {
                            RecordCursor r = new RecordCursor(batch, h);
                            while (r.next()) {
                                if (stopped) {
                                    return;
                                }
                                long offset = r.offset();
                                if (offset < position || offset >= to) {
                                    continue;
                                }
                                handler.handle(ReplayRecord.inBatch(topic, p, offset, r.timestamp(), r.batch(), r.keyAt(), r.keyLength(), r.valueAt(),
                                        r.valueLength(), r.headers()));
                                position = offset + 1;
                                delivered++;
                                deliveredBytes += r.keySize() + r.valueSize();
                            }
                            continue;
                        }
                        // Compressed (or an older format): Kafka's iterator reads it.
                        for (Record r : MemoryRecords.readableRecords(batch.slice()).batches().iterator().next()) {
                            if (stopped) {
                                return;
                            }
                            long offset = r.offset();
                            if (offset < position || offset >= to) {
                                continue;
                            }
                            ByteBuffer key = r.key();
                            ByteBuffer value = r.value();
                            handler.handle(new ReplayRecord(topic, p, offset, r.timestamp(), key, value, headers(r)));
                            position = offset + 1;
                            delivered++;
                            deliveredBytes += (key == null ? 0 : key.remaining()) + (value == null ? 0 : value.remaining());
                        }
                    }
                    if (!stopped && lastInRun >= 0) {
                        // Past control batches and compacted-away offsets too.
                        position = Math.max(position, Math.min(lastInRun + 1, to));
                    }
                    published(p, position, delivered, deliveredBytes);
                    delivered = 0;
                    deliveredBytes = 0;
                }
            } catch (CorruptSegmentObjectException e) {
                throw new ReplayException(e.getMessage(), e);
            } catch (InvalidBatchException | org.apache.kafka.common.KafkaException e) {
                throw new ReplayException(topic + "-" + p + ": " + e.getMessage(), e);
            } finally {
                // Exact on every way out (a stop, a handler's exception): the checkpoint counts what the handler was given.
                published(p, position, delivered, deliveredBytes);
            }
        }
        if (!stopped && next.get(p) < to) {
            tail(p, to, handler);
        }
    }

    private static List<Map.Entry<String, byte[]>> headers(Record r) {
        org.apache.kafka.common.header.Header[] hs = r.headers();
        if (hs.length == 0) {
            return List.of();
        }
        List<Map.Entry<String, byte[]>> out = new ArrayList<>(hs.length);
        for (org.apache.kafka.common.header.Header h : hs) {
            out.add(Map.entry(h.key(), h.value() == null ? new byte[0] : h.value()));
        }
        return out;
    }

    /** The part of the range not in object storage yet, through the Kafka protocol. */
    private void tail(int p, long to, RecordHandler handler) throws Exception {
        TopicPartition tp = new TopicPartition(topic, p);
        try (Closing closing = new Closing(consumer())) {
            KafkaConsumer<byte[], byte[]> c = closing.consumer();
            c.assign(List.of(tp));
            c.seek(tp, next.get(p));
            long deadline = System.currentTimeMillis() + 120_000;
            while (!stopped && next.get(p) < to && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (stopped || r.offset() >= to) {
                        break;
                    }
                    List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
                    r.headers().forEach(h -> headers.add(Map.entry(h.key(), h.value() == null ? new byte[0] : h.value())));
                    deliver(p, r.offset(), r.timestamp(), r.key(), r.value(), headers, handler);
                }
                if (!stopped && c.position(tp) >= to) {
                    next.put(p, to);
                }
            }
        }
    }

    private void deliver(int p, long offset, long ts, byte[] key, byte[] value, List<Map.Entry<String, byte[]>> headers,
                         RecordHandler handler) throws Exception {
        handler.handle(new ReplayRecord(topic, p, offset, ts, key, value, headers));
        delivered(p, offset, (key == null ? 0 : key.length) + (value == null ? 0 : value.length));
    }

    /** A partition thread's position and what it delivered since it last said, made visible to progress and the checkpoint. */
    private void published(int p, long position, long recordsSince, long bytesSince) {
        next.put(p, position);
        records.addAndGet(recordsSince);
        bytes.addAndGet(bytesSince);
    }

    private void delivered(int p, long offset, int size) {
        next.put(p, offset + 1);
        records.incrementAndGet();
        bytes.addAndGet(size);
    }
}
