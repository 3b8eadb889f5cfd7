package io.strata.bench;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The measurements Kafka's own tools do not make, as a separate client process (kafka-clients
 * only, started from Kafka's distribution class path):
 * <ul>
 *   <li>{@code e2e BOOTSTRAP TOPIC RATE SECONDS}: a producer at a fixed rate (1 KiB records, the
 *   comparison's producer settings) and a consumer in the same process; prints
 *   {@code e2e p50=… p99=…} in ms, from send() to poll() returning the record; the first record goes
 *   alone, before the schedule starts, so that the clients' first requests delay one record, not
 *   the hundreds the schedule would send meanwhile.</li>
 *   <li>{@code first-record BOOTSTRAP TOPIC GROUP}: a new group subscribes to a topic that has
 *   records; prints {@code first-record ms=…} from subscribe() to the first record.</li>
 * </ul>
 */
public final class ClientProbe {
    /** The end-to-end probe's steady state starts this many seconds after its first send. */
    static final int STEADY_AFTER_SECONDS = 5;

    private ClientProbe() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "e2e" -> endToEnd(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "first-record" -> firstRecord(args[1], args[2], args[3]);
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.exit(0);
    }

    static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "5");
        p.put("batch.size", Integer.toString(128 * 1024));
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        return p;
    }

    static Properties consumerProps(String bootstrap, String group) {
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        if (group != null) {
            c.put("group.id", group);
        }
        c.put("auto.offset.reset", "earliest");
        c.put("key.deserializer", ByteArrayDeserializer.class.getName());
        c.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return c;
    }

    private static void endToEnd(String bootstrap, String topic, int rate, int seconds) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        int total = rate * seconds;
        long[] latency = new long[total];
        long[] sentAt = new long[total];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(bootstrap));
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(bootstrap, null))) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            // One record sent and received before the schedule starts, its latency the first sample, as Kafka's EndToEndLatency
            // tool counts its first: the producer's metadata and producer id and the consumer's first fetch are in by then. With
            // the schedule running while they were asked for (110-220 ms on either broker), a burst of 1 % of the records, the
            // p99 itself, measured the clients' start.
            long start = System.nanoTime();
            byte[] first = new byte[Workloads.RECORD];
            ByteBuffer.wrap(first).putLong(start);
            producer.send(new ProducerRecord<>(topic, 0, null, first)).get();
            int received = receive(consumer, 0, 1, start, start + TimeUnit.SECONDS.toNanos(60), latency, sentAt);
            if (received == 0) {
                throw new IllegalStateException("the first record did not come back in 60 s");
            }
            ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();
            long periodNanos = 1_000_000_000L / rate;
            int[] sent = {1};
            // The seconds of the per-second maxima and of the steady state count from the schedule's start.
            long scheduleStart = System.nanoTime();
            sender.scheduleAtFixedRate(() -> {
                if (sent[0] < total) {
                    byte[] value = new byte[Workloads.RECORD];
                    ByteBuffer.wrap(value).putLong(System.nanoTime());
                    producer.send(new ProducerRecord<>(topic, 0, null, value));
                    sent[0]++;
                }
            }, 0, periodNanos, TimeUnit.NANOSECONDS);
            received = receive(consumer, received, total, scheduleStart, System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds + 60L),
                    latency, sentAt);
            sender.shutdownNow();
            // Where the slow records fell: the largest latency of each second of sending.
            long[] windowMax = new long[seconds + 1];
            for (int i = 0; i < received; i++) {
                int w = (int) Math.min(seconds, Math.max(0, sentAt[i] / 1_000_000_000L));
                windowMax[w] = Math.max(windowMax[w], latency[i]);
            }
            long[] got = Arrays.copyOf(latency, received);
            Arrays.sort(got);
            StringBuilder windows = new StringBuilder();
            for (long w : windowMax) {
                windows.append(windows.length() == 0 ? "" : ",").append(Math.round(w / 1e6));
            }
            // The same after the first STEADY_AFTER_SECONDS of the schedule: the records the clients sent with their JIT still
            // cold left out; the same seconds for every broker.
            long[] steady = java.util.stream.IntStream.range(0, received).filter(i -> sentAt[i] >= STEADY_AFTER_SECONDS * 1_000_000_000L)
                    .mapToLong(i -> latency[i]).sorted().toArray();
            System.out.printf(java.util.Locale.ROOT, "e2e records=%d p50=%.2f p99=%.2f max=%.2f; after %d s: records=%d p50=%.2f p99=%.2f; max ms of each second: %s%n",
                    received, pct(got, 0.50) / 1e6, pct(got, 0.99) / 1e6, got.length == 0 ? Double.NaN : got[got.length - 1] / 1e6,
                    STEADY_AFTER_SECONDS, steady.length, pct(steady, 0.50) / 1e6, pct(steady, 0.99) / 1e6, windows);
        }
    }

    /**
     * Polls until {@code upTo} records are in or {@code deadline} passes, from {@code received} on: each record's latency
     * (its value starts with its send time) and its send time after {@code origin}. Returns the records in by then.
     */
    private static int receive(KafkaConsumer<byte[], byte[]> consumer, int received, int upTo, long origin, long deadline,
                               long[] latency, long[] sentAt) {
        while (received < upTo && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                if (received < upTo) {
                    long t = ByteBuffer.wrap(r.value()).getLong();
                    sentAt[received] = t - origin;
                    latency[received++] = System.nanoTime() - t;
                }
            }
        }
        return received;
    }

    private static void firstRecord(String bootstrap, String topic, String group) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(bootstrap, group))) {
            long t0 = System.nanoTime();
            consumer.subscribe(List.of(topic));
            while (consumer.poll(Duration.ofMillis(10)).isEmpty()) {
                if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(60)) {
                    throw new IllegalStateException("no record in 60 s");
                }
            }
            System.out.printf("first-record ms=%.1f%n", (System.nanoTime() - t0) / 1e6);
        }
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
