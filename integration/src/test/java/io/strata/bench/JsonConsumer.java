package io.strata.bench;

import io.strata.ingest.cli.JsonLinesWriter;
import io.strata.sdk.replay.ReplayRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What a Kafka user writes to dump a topic's history: one kafka-clients consumer reading every
 * partition from the beginning through the broker, writing the same JSON lines as
 * {@code strata replay --out} with the same writer (or, with {@code -}, only counting). Run as
 * its own process: {@code JsonConsumer BOOTSTRAP TOPIC PARTITIONS RECORDS OUT|-}; prints
 * {@code consumed records=N bytes=B seconds=S reading=R cpu=C}, R the seconds from the first record to the
 * last, C the CPU seconds the process used.
 */
public final class JsonConsumer {
    private JsonConsumer() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int partitions = Integer.parseInt(args[2]);
        long want = Long.parseLong(args[3]);
        boolean write = !args[4].equals("-");
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("enable.auto.commit", "false");
        // The largest fetches the broker serves, so the client asks for as much as it can per round trip.
        p.put("max.partition.fetch.bytes", Integer.toString(8 << 20));
        p.put("fetch.max.bytes", Integer.toString(64 << 20));
        long t0 = System.nanoTime();
        long n = 0;
        long bytes = 0;
        long first = 0;
        long t1;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             OutputStream file = write ? Files.newOutputStream(Path.of(args[4])) : OutputStream.nullOutputStream();
             JsonLinesWriter out = new JsonLinesWriter(file)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 600_000;
            while (n < want && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (first == 0) {
                        first = System.nanoTime();
                    }
                    if (write) {
                        List<Map.Entry<String, byte[]>> headers = new ArrayList<>();
                        r.headers().forEach(h -> headers.add(Map.entry(h.key(), h.value() == null ? new byte[0] : h.value())));
                        out.write(new ReplayRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), headers));
                    }
                    n++;
                    bytes += r.serializedValueSize();
                }
            }
            // As strata replay stops its clock: once the output is written, before the clients close.
            out.flush();
            t1 = System.nanoTime();
        }
        System.out.printf("consumed records=%d bytes=%d seconds=%.3f reading=%.3f cpu=%.3f%n", n, bytes, (t1 - t0) / 1e9,
                first == 0 ? 0.0 : (t1 - first) / 1e9, HostLoad.cpuSeconds(ProcessHandle.current().pid()));
    }
}
