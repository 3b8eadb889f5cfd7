package io.strata.sdk.queue;

import io.strata.sdk.StrataClient;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import io.strata.sdk.JsonSerde;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A point-to-point queue over a topic: each message goes to one worker thread, with its key and
 * value decoded by the queue's deserialisers (raw bytes unless {@link Builder#deserializers} says otherwise); a worker
 * acknowledges it by returning from the handler. A message whose handler does not return within
 * the ack timeout is delivered again (to any worker). A message whose handler throws is retried
 * after a backoff that doubles from {@link Builder#retryBackoff} up to its cap; after
 * {@link Builder#maxAttempts} failed attempts (at once, if it cannot be deserialised) it goes to the dead-letter topic ({@code <topic>.dlq}
 * by default, created on first use; the failure travels in the headers {@code strata.dlq.error},
 * {@code strata.dlq.attempts}, {@code strata.dlq.topic}, {@code strata.dlq.partition},
 * {@code strata.dlq.offset}) and counts as handled, so the queue moves on. Per partition, the
 * committed offset advances only over a contiguous run of handled messages.
 *
 * <p>Several queue instances with the same group id share the topic's partitions (a Kafka consumer
 * group); when an instance dies, its partitions move to the others, which resume from the last
 * committed offset.
 *
 * <p><b>Guarantee: at-least-once.</b> Every message is handled at least once. It can be handled
 * twice when a handler exceeded the ack timeout (it was redelivered while still running), when a
 * handler failed after doing part of its work, or when an instance died after handling messages
 * whose offsets were not yet committed — those are handled again by the instance that takes over.
 * Handlers should therefore be idempotent.
 */
public final class WorkQueue<K, V> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);

    /** Processes one message; returning acknowledges it, throwing asks for redelivery. */
    public interface Handler<K, V> {
        void handle(ConsumerRecord<K, V> message) throws Exception;
    }

    /** A queue of raw bytes; {@link Builder#deserializers}, {@link Builder#strings} or {@link Builder#json} type it. */
    public static Builder<byte[], byte[]> builder(StrataClient client, String topic, String groupId) {
        return new Builder<>(client, topic, groupId, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Queue settings. */
    public static final class Builder<K, V> {
        private final StrataClient client;
        private final String topic;
        private final String groupId;
        private int workers = 4;
        private Duration ackTimeout = Duration.ofSeconds(30);
        private int maxInFlight = 1000;
        private Duration retryBackoff = Duration.ofMillis(100);
        private Duration maxRetryBackoff = Duration.ofSeconds(10);
        private int maxAttempts = 10;
        private String deadLetterTopic;
        private final Deserializer<K> keys;
        private final Deserializer<V> values;

        Builder(StrataClient client, String topic, String groupId, Deserializer<K> keys, Deserializer<V> values) {
            this.client = client;
            this.topic = topic;
            this.groupId = groupId;
            this.keys = keys;
            this.values = values;
        }

        /**
         * Hands the handler keys and values decoded by these deserialisers (kafka-clients' own).
         * A message that cannot be decoded is not retried: it goes to the dead-letter topic at once,
         * its bytes unchanged.
         */
        public <K2, V2> Builder<K2, V2> deserializers(Deserializer<K2> keys, Deserializer<V2> values) {
            Builder<K2, V2> b = new Builder<>(client, topic, groupId, keys, values);
            b.workers = workers;
            b.ackTimeout = ackTimeout;
            b.maxInFlight = maxInFlight;
            b.retryBackoff = retryBackoff;
            b.maxRetryBackoff = maxRetryBackoff;
            b.maxAttempts = maxAttempts;
            b.deadLetterTopic = deadLetterTopic;
            return b;
        }

        /** String keys and values (UTF-8). */
        public Builder<String, String> strings() {
            return deserializers(new StringDeserializer(), new StringDeserializer());
        }

        /** String keys and JSON values read into {@code type} with Jackson. */
        public <T> Builder<String, T> json(Class<T> type) {
            return deserializers(new StringDeserializer(), new JsonSerde<>(type));
        }

        public Builder<K, V> workers(int n) {
            this.workers = n;
            return this;
        }

        public Builder<K, V> ackTimeout(Duration timeout) {
            this.ackTimeout = timeout;
            return this;
        }

        public Builder<K, V> maxInFlight(int n) {
            this.maxInFlight = n;
            return this;
        }

        /** The wait before the first retry of a failed message, doubling at each further failure up to {@code max}. */
        public Builder<K, V> retryBackoff(Duration initial, Duration max) {
            this.retryBackoff = initial;
            this.maxRetryBackoff = max;
            return this;
        }

        /** Failed attempts after which a message goes to the dead-letter topic (default 10). */
        public Builder<K, V> maxAttempts(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, got " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        /** Where messages go after {@link #maxAttempts} failures (default {@code <topic>.dlq}). */
        public Builder<K, V> deadLetterTopic(String topic) {
            this.deadLetterTopic = topic;
            return this;
        }

        /** Starts consuming; messages go to {@code handler} on the worker threads. */
        public WorkQueue<K, V> start(Handler<K, V> handler) {
            WorkQueue<K, V> q = new WorkQueue<>(this, handler);
            q.poller.start();
            return q;
        }
    }

    private static final class Pending {
        final ConsumerRecord<byte[], byte[]> record;
        boolean acked;
        long deliveredAtNanos;
        int attempt;
        /** Set while a failed message waits for its next attempt (0: not waiting). */
        long retryAtNanos;
        String lastError;

        Pending(ConsumerRecord<byte[], byte[]> record) {
            this.record = record;
        }
    }

    /** A handler's outcome; {@code undecodable}: the message cannot be deserialised, so retrying is pointless. */
    private record Ack(TopicPartition tp, long offset, int attempt, boolean ok, String error, boolean undecodable) {
        Ack(TopicPartition tp, long offset, int attempt, boolean ok, String error) {
            this(tp, offset, attempt, ok, error, false);
        }
    }

    private final Builder<K, V> cfg;
    private final Handler<K, V> handler;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ExecutorService workers;
    private final Thread poller;
    private final Map<TopicPartition, TreeMap<Long, Pending>> pending = new HashMap<>();
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean commitOnExit = true;
    private long redeliveries;
    private org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> deadLetters;

    private WorkQueue(Builder<K, V> cfg, Handler<K, V> handler) {
        this.cfg = cfg;
        this.handler = handler;
        this.consumer = cfg.client.consumer(cfg.groupId, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                Map.of("max.poll.records", Math.max(1, cfg.maxInFlight / 2)));
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(cfg.workers, r -> {
            Thread t = new Thread(r, "queue-" + cfg.topic + "-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.poller = new Thread(this::loop, "queue-" + cfg.topic + "-poller");
        this.poller.setDaemon(true);
    }

    private void loop() {
        consumer.subscribe(List.of(cfg.topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                drainAcks();
                commit(true);
                partitions.forEach(pending::remove);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                partitions.forEach(pending::remove);
            }
        });
        try {
            while (running) {
                boolean full = inFlight.get() >= cfg.maxInFlight;
                if (full) {
                    consumer.pause(consumer.assignment());
                } else {
                    consumer.resume(consumer.paused());
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Pending p = new Pending(r);
                    pending.computeIfAbsent(tp, k -> new TreeMap<>()).put(r.offset(), p);
                    dispatch(tp, p);
                }
                drainAcks();
                retryDue();
                redeliverExpired();
                commit(false);
            }
            if (commitOnExit) {
                workers.shutdown();
                workers.awaitTermination(cfg.ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
                drainAcks();
                commit(true);
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(commitOnExit ? Duration.ofSeconds(5) : Duration.ZERO);
            if (deadLetters != null) {
                deadLetters.close(Duration.ofSeconds(5));
            }
        }
    }

    private void dispatch(TopicPartition tp, Pending p) {
        p.attempt++;
        p.deliveredAtNanos = System.nanoTime();
        int attempt = p.attempt;
        inFlight.incrementAndGet();
        workers.execute(() -> {
            boolean ok = false;
            boolean undecodable = false;
            String error = null;
            try {
                ConsumerRecord<K, V> typed;
                try {
                    typed = decode(p.record);
                } catch (RuntimeException e) {
                    undecodable = true;
                    throw new SerializationException("cannot deserialise: " + e.getMessage(), e);
                }
                handler.handle(typed);
                ok = true;
            } catch (Exception e) {
                error = e.toString();
                log.warn("handler failed on {}@{} (attempt {} of {}): {}", tp, p.record.offset(), attempt, cfg.maxAttempts, error);
            } finally {
                inFlight.decrementAndGet();
                acks.add(new Ack(tp, p.record.offset(), attempt, ok, error, undecodable));
            }
        });
    }

    private ConsumerRecord<K, V> decode(ConsumerRecord<byte[], byte[]> raw) {
        K key = raw.key() == null ? null : cfg.keys.deserialize(raw.topic(), raw.headers(), raw.key());
        V value = raw.value() == null ? null : cfg.values.deserialize(raw.topic(), raw.headers(), raw.value());
        return new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.timestamp(), raw.timestampType(),
                raw.serializedKeySize(), raw.serializedValueSize(), key, value, raw.headers(), raw.leaderEpoch());
    }

    private void drainAcks() {
        Ack a;
        while ((a = acks.poll()) != null) {
            TreeMap<Long, Pending> ps = pending.get(a.tp());
            Pending p = ps == null ? null : ps.get(a.offset());
            if (p == null || p.acked) {
                continue;
            }
            if (a.ok()) {
                p.acked = true;
            } else if (a.attempt() == p.attempt && running) {
                p.lastError = a.error();
                if (p.attempt >= cfg.maxAttempts || a.undecodable()) {
                    p.retryAtNanos = DEAD_LETTERING;
                    deadLetter(a.tp(), p);
                } else {
                    // Exponential backoff, capped: a failing message does not spin the workers.
                    long backoff = Math.min(cfg.maxRetryBackoff.toNanos(), cfg.retryBackoff.toNanos() << Math.min(20, p.attempt - 1));
                    p.retryAtNanos = System.nanoTime() + Math.max(1, backoff);
                }
            }
        }
    }

    /** Redelivers failed messages whose backoff has passed. */
    private void retryDue() {
        long now = System.nanoTime();
        for (Map.Entry<TopicPartition, TreeMap<Long, Pending>> e : pending.entrySet()) {
            for (Pending p : e.getValue().values()) {
                if (p.retryAtNanos != 0 && p.retryAtNanos != DEAD_LETTERING && !p.acked && now - p.retryAtNanos >= 0) {
                    p.retryAtNanos = 0;
                    redeliveries++;
                    dispatch(e.getKey(), p);
                }
            }
        }
    }

    /** Hands a message that failed every attempt to the dead-letter topic; it counts as handled once that write is acknowledged. */
    private void deadLetter(TopicPartition tp, Pending p) {
        String dlq = cfg.deadLetterTopic != null ? cfg.deadLetterTopic : cfg.topic + ".dlq";
        if (deadLetters == null) {
            deadLetters = cfg.client.producer(new org.apache.kafka.common.serialization.ByteArraySerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer(), Map.of("acks", "all", "enable.idempotence", true));
        }
        org.apache.kafka.clients.producer.ProducerRecord<byte[], byte[]> out =
                new org.apache.kafka.clients.producer.ProducerRecord<>(dlq, null, p.record.timestamp(), p.record.key(), p.record.value());
        p.record.headers().forEach(h -> out.headers().add(h));
        out.headers().add("strata.dlq.error", String.valueOf(p.lastError).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.headers().add("strata.dlq.attempts", Integer.toString(p.attempt).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.headers().add("strata.dlq.topic", tp.topic().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.headers().add("strata.dlq.partition", Integer.toString(tp.partition()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.headers().add("strata.dlq.offset", Long.toString(p.record.offset()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        int attempt = p.attempt;
        deadLetters.send(out, (md, e) -> {
            if (e == null) {
                log.warn("{}@{} failed {} time(s) and went to {} (last error: {})", tp, p.record.offset(), attempt, dlq, p.lastError);
                acks.add(new Ack(tp, p.record.offset(), attempt, true, null));
                deadLettersSent.incrementAndGet();
            } else {
                log.warn("{}@{} could not go to {}: {}; retrying", tp, p.record.offset(), dlq, e.toString());
                acks.add(new Ack(tp, p.record.offset(), attempt, false, p.lastError));
            }
        });
    }

    /** A message on its way to the dead-letter topic: neither retried nor redelivered meanwhile. */
    private static final long DEAD_LETTERING = Long.MAX_VALUE;

    private final java.util.concurrent.atomic.AtomicLong deadLettersSent = new java.util.concurrent.atomic.AtomicLong();

    /** How many messages this instance sent to the dead-letter topic. */
    public long deadLettered() {
        return deadLettersSent.get();
    }

    private void redeliverExpired() {
        long timeout = cfg.ackTimeout.toNanos();
        long now = System.nanoTime();
        for (Map.Entry<TopicPartition, TreeMap<Long, Pending>> e : pending.entrySet()) {
            for (Pending p : e.getValue().values()) {
                if (!p.acked && p.retryAtNanos == 0 && now - p.deliveredAtNanos > timeout) {
                    log.warn("{}@{} not acknowledged within {}: redelivering", e.getKey(), p.record.offset(), cfg.ackTimeout);
                    redeliveries++;
                    dispatch(e.getKey(), p);
                }
            }
        }
    }

    /** Commits, per partition, the offset after the contiguous run of acknowledged messages. */
    private void commit(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (Map.Entry<TopicPartition, TreeMap<Long, Pending>> e : pending.entrySet()) {
            TreeMap<Long, Pending> ps = e.getValue();
            Long next = null;
            while (!ps.isEmpty() && ps.firstEntry().getValue().acked) {
                next = ps.pollFirstEntry().getKey() + 1;
            }
            if (next != null) {
                offsets.put(e.getKey(), new OffsetAndMetadata(next));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, (o, ex) -> {
                if (ex != null) {
                    log.debug("commit failed (will be retried by the next commit): {}", ex.toString());
                }
            });
        }
    }

    /** How many deliveries were repeats (failures and ack timeouts) on this instance. */
    public long redeliveries() {
        return redeliveries;
    }

    /** Stops taking messages, lets in-flight handlers finish (up to the ack timeout), commits, and leaves. */
    @Override
    public void close() {
        running = false;
        try {
            poller.join(cfg.ackTimeout.toMillis() + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops at once without committing what was handled since the last commit, as a crashed
     * process would; its partitions move to the other instances, which redeliver from the last commit.
     */
    public void abort() {
        commitOnExit = false;
        running = false;
        workers.shutdownNow();
        try {
            poller.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
