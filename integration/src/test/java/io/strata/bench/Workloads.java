package io.strata.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/** The benchmark workloads, identical for every broker: kafka-clients against a bootstrap address. */
final class Workloads {
    static final int RECORD = 1024;

    private Workloads() {
    }

    record ProduceResult(double recordsPerSec, double mbPerSec, double p50Ms, double p99Ms, double p999Ms, long failed) {
    }

    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
    }

    static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "5");
        p.put("batch.size", Integer.toString(128 * 1024));
        p.put("buffer.memory", Long.toString(256L << 20));
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    /** Unthrottled: {@code count} records of 1 KiB, latency per record from send() to its callback. */
    static ProduceResult produce(String bootstrap, String topic, int count) throws Exception {
        byte[] value = new byte[RECORD];
        new Random(42).nextBytes(value);
        long[] lat = new long[count];
        AtomicLong failures = new AtomicLong();
        long t0;
        long t1;
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            p.partitionsFor(topic);
            t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                int idx = i;
                long sent = System.nanoTime();
                p.send(new ProducerRecord<>(topic, value), (md, e) -> {
                    lat[idx] = System.nanoTime() - sent;
                    if (e != null && failures.incrementAndGet() == 1) {
                        System.err.println("first failed record on " + topic + ": " + e);
                    }
                });
            }
            p.flush();
            t1 = System.nanoTime();
        }
        Arrays.sort(lat);
        double secs = (t1 - t0) / 1e9;
        return new ProduceResult(count / secs, (double) count * RECORD / secs / 1e6, lat[count / 2] / 1e6,
                lat[(int) (count * 0.99)] / 1e6, lat[(int) (count * 0.999)] / 1e6, failures.get());
    }

    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("max.partition.fetch.bytes", Integer.toString(4 << 20));
        p.put("fetch.max.bytes", Integer.toString(64 << 20));
        return new KafkaConsumer<>(p);
    }

    /** Reads {@code count} records from the start of every partition; MB/s. */
    static double consume(String bootstrap, String topic, int partitions, int count) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long n = 0;
            long bytes = 0;
            long t0 = System.nanoTime();
            long deadline = System.currentTimeMillis() + 300_000;
            while (n < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    n++;
                    bytes += r.serializedValueSize();
                }
            }
            return bytes / ((System.nanoTime() - t0) / 1e9) / 1e6;
        }
    }

    /** A fixed modest rate (1,000 records/s for 10 s): time from send to a consumer's poll; p50 and p99 in ms. */
    static double[] endToEnd(String bootstrap, String topic) throws Exception {
        int count = 10_000;
        long[] lat = new long[count];
        AtomicLong received = new AtomicLong();
        Thread reader = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
                TopicPartition tp = new TopicPartition(topic, 0);
                c.assign(List.of(tp));
                c.seekToEnd(List.of(tp));
                c.position(tp);
                long deadline = System.currentTimeMillis() + 60_000;
                while (received.get() < count && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        int i = (int) received.getAndIncrement();
                        if (i < count) {
                            lat[i] = now - ByteBuffer.wrap(r.value()).getLong();
                        }
                    }
                }
            }
        });
        reader.start();
        Thread.sleep(2000);
        try (KafkaProducer<byte[], byte[]> p = producer(bootstrap)) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long due = start + i * 1_000_000L;
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                byte[] v = new byte[RECORD];
                ByteBuffer.wrap(v).putLong(System.nanoTime());
                p.send(new ProducerRecord<>(topic, 0, null, v));
            }
            p.flush();
        }
        reader.join(70_000);
        int n = (int) Math.min(received.get(), count);
        long[] got = Arrays.copyOf(lat, n);
        Arrays.sort(got);
        return new double[] {got[n / 2] / 1e6, got[(int) (n * 0.99)] / 1e6};
    }

}
