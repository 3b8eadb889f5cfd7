package io.strata.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A producer load in its own JVM, as Kafka's ProducerPerformance runs: {@code ProducePerf
 * BOOTSTRAP TOPIC RECORDS SIZE}, idempotent, acks=all, linger 5 ms, 128 KiB batches. Prints one
 * line: {@code RESULT records bytes seconds p50ms p99ms}.
 */
public final class ProducePerf {
    private ProducePerf() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int records = Integer.parseInt(args[2]);
        int size = Integer.parseInt(args[3]);
        Map<String, Object> cfg = new HashMap<>(Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true,
                "linger.ms", 5, "batch.size", 131072, "key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer",
                "value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer"));
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'x');
        long[] latencies = new long[records];
        AtomicLong done = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        long t0;
        long t1;
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(cfg)) {
            p.partitionsFor(topic);
            t0 = System.nanoTime();
            for (int i = 0; i < records; i++) {
                int n = i;
                long sent = System.nanoTime();
                p.send(new ProducerRecord<>(topic, value), (md, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                    latencies[n] = System.nanoTime() - sent;
                    done.incrementAndGet();
                });
            }
            p.flush();
            t1 = System.nanoTime();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        Arrays.sort(latencies);
        System.out.printf("RESULT %d %d %.3f %.1f %.1f%n", records, (long) records * size, (t1 - t0) / 1e9,
                latencies[records / 2] / 1e6, latencies[(int) (records * 0.99)] / 1e6);
    }
}
