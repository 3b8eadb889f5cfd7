package io.strata.bench;

import io.strata.it.TestCertificates;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What TLS and SASL cost a producer: one node with a PLAINTEXT and a SASL_SSL (SCRAM-SHA-512)
 * listener, Kafka's ProducerPerformance in its own JVM against each in alternating rounds (the
 * workload of the Kafka comparison: 1 KiB records, acks=all, idempotent, linger 5 ms, 128 KiB
 * batches, 6 partitions), and the ratio of the medians.
 */
final class SecurityOverheadBench {
    private SecurityOverheadBench() {
    }

    static String run(Path out) throws Exception {
        int rounds = Integer.getInteger("strata.bench.rounds", 3);
        int records = Integer.getInteger("strata.bench.records", 500_000);
        Path dir = Files.createTempDirectory("strata-security-bench");
        Files.createDirectories(dir.resolve("certs"));
        TestCertificates certs = new TestCertificates(dir.resolve("certs"));
        Path keystore = certs.issue("node", "CN=localhost", "dns:localhost,ip:127.0.0.1");
        int saslPort = io.strata.it.StrataNode.freePort();
        String password = "bench-secret";
        List<String> yaml = List.of(
                "listeners: PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:" + saslPort,
                "advertised.listeners: PLAINTEXT://127.0.0.1:{port},SASL_SSL://localhost:" + saslPort,
                "ssl.keystore.location: " + keystore, "ssl.keystore.password: " + TestCertificates.PASSWORD,
                "sasl.enabled.mechanisms: SCRAM-SHA-512", "sasl.bootstrap.user: bench", "sasl.bootstrap.password: " + password);
        List<String> sasl = List.of("security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"bench\" password=\"" + password + "\";",
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.type=PKCS12");
        double[] plain = new double[rounds];
        double[] secure = new double[rounds];
        double[] plainP99 = new double[rounds];
        double[] secureP99 = new double[rounds];
        StringBuilder log = new StringBuilder();
        try (BrokerProcess broker = StrataBroker.start(dir.resolve("strata"), "-Xms1G -Xmx1G", yaml)) {
            String plaintext = broker.bootstrap();
            String saslSsl = "localhost:" + saslPort;
            Workloads.createTopic(plaintext, "warmup", 6);
            ClientProcess.produce(plaintext, "warmup", records / 5, -1);
            ClientProcess.produce(saslSsl, "warmup", records / 5, -1, sasl);
            for (int r = 0; r < rounds; r++) {
                // Alternate which goes first, so neither always runs on a warmer or fuller disk.
                for (int k = 0; k < 2; k++) {
                    boolean secureTurn = (r + k) % 2 == 1;
                    String topic = (secureTurn ? "sasl-ssl-" : "plaintext-") + r;
                    Workloads.createTopic(plaintext, topic, 6);
                    HostLoad load = new HostLoad();
                    ClientProcess.Produced p = secureTurn ? ClientProcess.produce(saslSsl, topic, records, -1, sasl)
                            : ClientProcess.produce(plaintext, topic, records, -1);
                    (secureTurn ? secure : plain)[r] = p.mibPerSec();
                    (secureTurn ? secureP99 : plainP99)[r] = p.p99Ms();
                    log.append(String.format("| %d | %s | %.1f | %.0f | %.0f | %s |%n", r + 1, secureTurn ? "SASL_SSL (SCRAM-SHA-512)" : "PLAINTEXT",
                            p.mibPerSec(), p.p50Ms(), p.p99Ms(), load.since()));
                }
            }
        }
        double ratio = median(secure) / median(plain);
        String md = "## Produce over SASL_SSL against PLAINTEXT (one node)\n\n"
                + "Kafka's ProducerPerformance in its own JVM, " + records + " records of 1 KiB per run, acks=all, idempotent, linger 5 ms,"
                + " 128 KiB batches, 6 partitions, " + rounds + " alternating rounds; node started with `./strata broker` and a 1 GiB heap, on "
                + Runtime.getRuntime().availableProcessors() + " cores.\n\n"
                + "| round | listener | MB/s | p50 ms | p99 ms | host |\n|---|---|---|---|---|---|\n" + log
                + String.format("%nMedian MB/s: PLAINTEXT %.1f, SASL_SSL %.1f: **SASL_SSL / PLAINTEXT = %.2f**; median p99: %.0f ms and %.0f ms.%n",
                median(plain), median(secure), ratio, median(plainP99), median(secureP99));
        return md;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
