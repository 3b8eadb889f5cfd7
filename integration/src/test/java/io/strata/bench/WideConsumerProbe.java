package io.strata.bench;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A consumer of every partition of a wide topic, as its own client process (kafka-clients only):
 * {@code BOOTSTRAP TOPIC PARTITIONS BROKER_PID SECONDS RATE}. After a 15 s warm-up it stays caught
 * up for SECONDS with nothing produced, then for SECONDS while a producer in the same process
 * writes RATE records/s of 100 bytes round the partitions (acks=1, no linger: one record a
 * request). For each phase it prints {@code wide phase=… brokerCpu=… fetches=… requestBytes=…
 * responseBytes=… records=… seconds=…}: the broker's CPU seconds (read from /proc) and the
 * consumer's fetches and bytes on its connection to the broker (its own network metrics).
 */
public final class WideConsumerProbe {
    private WideConsumerProbe() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int partitions = Integer.parseInt(args[2]);
        long brokerPid = Long.parseLong(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int rate = Integer.parseInt(args[5]);
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("key.deserializer", ByteArrayDeserializer.class.getName());
        c.put("value.deserializer", ByteArrayDeserializer.class.getName());
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("acks", "1");
        p.put("linger.ms", "0");
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        List<TopicPartition> tps = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            tps.add(new TopicPartition(topic, i));
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c); KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            // A broker that has just created a thousand partitions may still be busy with them: both settle first.
            long warm = System.nanoTime() + 15_000_000_000L;
            while (System.nanoTime() < warm) {
                consumer.poll(Duration.ofMillis(100));
            }
            for (String phase : List.of("idle", "load")) {
                boolean load = phase.equals("load");
                double[] before = connection(consumer);
                double cpu0 = HostLoad.cpuSeconds(brokerPid);
                long t0 = System.nanoTime();
                long end = t0 + seconds * 1_000_000_000L;
                long next = t0;
                long sent = 0;
                long received = 0;
                byte[] value = new byte[100];
                while (System.nanoTime() < end) {
                    while (load && System.nanoTime() >= next) {
                        producer.send(new ProducerRecord<>(topic, (int) (sent % partitions), null, value));
                        sent++;
                        next += 1_000_000_000L / rate;
                    }
                    received += consumer.poll(Duration.ofMillis(load ? 1 : 100)).count();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                double[] after = connection(consumer);
                System.out.printf("wide phase=%s brokerCpu=%.3f fetches=%.0f requestBytes=%.0f responseBytes=%.0f records=%d seconds=%.3f%n", phase,
                        HostLoad.cpuSeconds(brokerPid) - cpu0, after[1] - before[1], after[0] - before[0], after[2] - before[2], received, s);
            }
        }
    }

    /** Bytes sent, requests sent and bytes received on the consumer's connections to brokers (not the bootstrap one). */
    private static double[] connection(KafkaConsumer<byte[], byte[]> c) {
        double[] out = new double[3];
        for (Map.Entry<MetricName, ? extends Metric> e : c.metrics().entrySet()) {
            MetricName n = e.getKey();
            String node = n.tags().get("node-id");
            if (!n.group().equals("consumer-node-metrics") || node == null || node.startsWith("node--")) {
                continue;
            }
            double v = ((Number) e.getValue().metricValue()).doubleValue();
            switch (n.name()) {
                case "outgoing-byte-total" -> out[0] += v;
                case "request-total" -> out[1] += v;
                case "incoming-byte-total" -> out[2] += v;
                default -> {
                }
            }
        }
        return out;
    }
}
