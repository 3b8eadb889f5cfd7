package io.strata.it;

import io.strata.sdk.Strata;
import io.strata.sdk.StrataClient;
import io.strata.sdk.queue.WorkQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The SDK's point-to-point queue: three workers, one dies mid-stream; every message is processed. */
class WorkQueueIT {
    @TempDir
    Path dir;

    @Test
    void everyMessageIsProcessedWhenAWorkerDiesMidStream() throws Exception {
        int messages = 3000;
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             StrataClient strata = Strata.connect(node.bootstrap())) {
            assertThat(strata.createTopic("jobs", 6, Map.of())).isTrue();
            assertThat(strata.createTopic("jobs", 6, Map.of())).as("second create is a no-op").isFalse();
            try (KafkaProducer<String, String> p = strata.stringProducer()) {
                for (int i = 0; i < messages; i++) {
                    p.send(new ProducerRecord<>("jobs", "job-" + i, "job-" + i));
                }
            }
            Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();
            AtomicInteger poisonAttempts = new AtomicInteger();
            WorkQueue.Handler handler = m -> {
                String job = new String(m.value(), StandardCharsets.UTF_8);
                if (job.equals("job-7") && poisonAttempts.incrementAndGet() == 1) {
                    throw new IllegalStateException("transient failure on the first attempt");
                }
                Thread.sleep(1);
                processed.computeIfAbsent(job, k -> new AtomicInteger()).incrementAndGet();
                total.incrementAndGet();
            };
            WorkQueue a = strata.queue("jobs", "workers").workers(2).ackTimeout(Duration.ofSeconds(10)).start(handler);
            WorkQueue b = strata.queue("jobs", "workers").workers(2).ackTimeout(Duration.ofSeconds(10)).start(handler);
            WorkQueue c = strata.queue("jobs", "workers").workers(2).ackTimeout(Duration.ofSeconds(10)).start(handler);
            long deadline = System.currentTimeMillis() + 60_000;
            while (total.get() < messages / 3 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            c.abort();
            while (processed.size() < messages && System.currentTimeMillis() < deadline + 60_000) {
                Thread.sleep(50);
            }
            a.close();
            b.close();
            assertThat(processed).as("every message processed").hasSize(messages);
            long twice = processed.values().stream().filter(n -> n.get() > 1).count();
            System.out.println("WorkQueueIT: " + messages + " messages, " + twice + " processed more than once after a worker died");
            assertThat(poisonAttempts.get()).as("a failed message is delivered again").isGreaterThanOrEqualTo(2);
            assertThat(processed.get("job-7").get()).isGreaterThanOrEqualTo(1);
        }
    }
}
