package io.strata.bench;

import io.strata.it.Clients;
import io.strata.it.StrataNode;
import io.strata.tiering.store.S3Location;
import io.strata.tiering.store.S3ObjectStore;
import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Segment upload and remote read throughput of Strata against the raw PUT and GET throughput of
 * the same S3 server (s3proxy on this machine), as ratios.
 */
final class TieringBench {
    static final int OBJECT = 8 * 1024 * 1024;
    static final int OBJECTS = 25;
    static final long BYTES = 200L * 1000 * 1000;

    private TieringBench() {
    }

    static String run() throws Exception {
        System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
        Path tmp = Files.createTempDirectory("strata-bench-tiering");
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            double rawPut;
            double rawGet;
            try (S3ObjectStore raw = new S3ObjectStore(S3Location.parse(s3.url("raw", "")))) {
                raw.ensureBucket().get();
                byte[] data = new byte[OBJECT];
                new Random(1).nextBytes(data);
                Path file = tmp.resolve("object");
                Files.write(file, data);
                Semaphore inFlight = new Semaphore(4);
                List<CompletableFuture<Void>> puts = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < OBJECTS; i++) {
                    inFlight.acquire();
                    puts.add(raw.put("o" + i, file).whenComplete((v, e) -> inFlight.release()));
                }
                CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get();
                rawPut = (double) OBJECTS * OBJECT / ((System.nanoTime() - t0) / 1e9);
                long t1 = System.nanoTime();
                for (int i = 0; i < OBJECTS; i++) {
                    for (long off = 0; off < OBJECT; off += 1 << 20) {
                        raw.getRange("o" + i, off, 1 << 20).get();
                    }
                }
                rawGet = (double) OBJECTS * OBJECT / ((System.nanoTime() - t1) / 1e9);
            }

            double upload;
            double remoteRead;
            double replay;
            try (StrataNode node = StrataNode.startWithEnv(tmp.resolve("node"), Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
                            "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY, "AWS_REGION", "us-east-1"),
                    "object.store=" + s3.url("bench", "strata"), "metastore=sqlite:" + tmp.resolve("meta.db"),
                    "log.segment.bytes=" + OBJECT, "log.local.retention.bytes=0", "log.retention.check.interval.ms=500",
                    "tiering.check.interval.ms=50", "tiering.max.untiered.bytes=1000000000000");
                 Admin admin = Clients.admin(node)) {
                admin.createTopics(List.of(new NewTopic("bench", 3, (short) 1))).all().get();
                s3.stopProcess();
                byte[] value = new byte[1000];
                new Random(2).nextBytes(value);
                try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("linger.ms", 5, "batch.size", 131072))) {
                    for (long i = 0; i < BYTES / 1000; i++) {
                        p.send(new ProducerRecord<>("bench", (int) (i % 3), null, value));
                    }
                    p.flush();
                }
                double before = node.metric("strata_tiering_upload_bytes_total");
                s3.startProcess();
                long t0 = System.nanoTime();
                double last = before;
                long lastChange = System.nanoTime();
                while (System.nanoTime() - lastChange < 3_000_000_000L) {
                    Thread.sleep(100);
                    double now = node.metric("strata_tiering_upload_bytes_total");
                    if (now > last) {
                        last = now;
                        lastChange = System.nanoTime();
                    }
                }
                upload = (last - before) / ((lastChange - t0) / 1e9);

                try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("max.partition.fetch.bytes", 8 << 20, "fetch.max.bytes", 64 << 20))) {
                    List<TopicPartition> tps = List.of(new TopicPartition("bench", 0), new TopicPartition("bench", 1), new TopicPartition("bench", 2));
                    c.assign(tps);
                    c.seekToBeginning(tps);
                    long target = node.metric("strata_tiering_upload_bytes_total") > 0 ? BYTES / 1000 : 0;
                    long n = 0;
                    long bytes = 0;
                    long t1 = System.nanoTime();
                    long deadline = System.currentTimeMillis() + 300_000;
                    while (n < target * 9 / 10 && System.currentTimeMillis() < deadline) {
                        for (var r : c.poll(Duration.ofMillis(500))) {
                            n++;
                            bytes += r.serializedValueSize();
                        }
                    }
                    remoteRead = bytes / ((System.nanoTime() - t1) / 1e9);
                }
                long t2 = System.nanoTime();
                io.strata.sdk.replay.Replay.Result rr = io.strata.sdk.replay.Replay.of("bench").parallelism(3)
                        .adminUrl("http://127.0.0.1:" + node.adminPort()).bootstrap(node.bootstrap()).run(rec -> { });
                replay = rr.bytes() / ((System.nanoTime() - t2) / 1e9);
            }
            return "## Tiering (s3proxy on this machine, " + OBJECT / (1 << 20) + " MiB segments, 200 MB)\n\n"
                    + "| measure | Strata | raw S3 server | Strata / raw |\n|---|---|---|---|\n"
                    + String.format("| segment upload (catch-up after an outage) vs PUT (4 in flight) | %.1f MB/s | %.1f MB/s | %.2f |%n", upload / 1e6, rawPut / 1e6, upload / rawPut)
                    + String.format("| remote read (kafka-clients consumer from offset 0) vs sequential 1 MiB ranged GETs | %.1f MB/s | %.1f MB/s | %.2f |%n", remoteRead / 1e6, rawGet / 1e6, remoteRead / rawGet)
                    + String.format("| SDK replay straight from the bucket (3 partitions in parallel) vs sequential 1 MiB ranged GETs | %.1f MB/s | %.1f MB/s | %.2f |%n", replay / 1e6, rawGet / 1e6, replay / rawGet)
                    + String.format("%nSDK replay vs a kafka-clients consumer reading the same history through the broker: %.2f%n", replay / remoteRead);
        }
    }
}
