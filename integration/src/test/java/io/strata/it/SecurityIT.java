package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS and SASL through real clients against a real node process: kafka-clients over SSL, over
 * SASL_SSL with SCRAM-SHA-256/512 and PLAIN, users managed with Kafka's Admin API, kcat over SSL
 * and SASL_SSL/PLAIN; wrong passwords, unknown users, plaintext on a TLS port and a SASL exchange
 * that never ends are refused while the node keeps serving others; nothing but ApiVersions and
 * SASL is served before authentication; the key store is reloaded when its file changes.
 */
class SecurityIT {
    static final String ADMIN_PASSWORD = "admin-secret";
    static final String ADMIN_TOKEN = "t0ken-for-the-admin-api";

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static StrataNode node;
    static int sslPort;
    static int saslSslPort;
    static int saslPlainPort;
    static Path serverKeystore;
    static org.jose4j.jwk.RsaJsonWebKey identityProvider;
    static Path jwks;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        certs = new TestCertificates(dir.resolve("certs"));
        Path issued = certs.issue("server", "CN=localhost,O=strata", "dns:localhost,ip:127.0.0.1");
        serverKeystore = dir.resolve("server-keystore.p12");
        Files.copy(issued, serverKeystore);
        identityProvider = org.jose4j.jwk.RsaJwkGenerator.generateJwk(2048);
        identityProvider.setKeyId("idp-key-1");
        jwks = dir.resolve("jwks.json");
        Files.writeString(jwks, new org.jose4j.jwk.JsonWebKeySet(identityProvider)
                .toJson(org.jose4j.jwk.JsonWebKey.OutputControlLevel.PUBLIC_ONLY));
        sslPort = StrataNode.freePort();
        saslSslPort = StrataNode.freePort();
        saslPlainPort = StrataNode.freePort();
        node = StrataNode.startWithEnv(dir.resolve("node"), Map.of("STRATA_SASL_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD,
                        "STRATA_ADMIN_AUTH_TOKEN", ADMIN_TOKEN),
                "listeners=PLAINTEXT://127.0.0.1:{port},SSL://:" + sslPort + ",SASL_SSL://:" + saslSslPort
                        + ",SASL_PLAINTEXT://:" + saslPlainPort,
                "ssl.keystore.location=" + serverKeystore, "ssl.keystore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD,
                "ssl.client.auth=requested",
                "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN,OAUTHBEARER",
                "sasl.oauthbearer.jwks.endpoint.url=" + jwks.toUri(), "sasl.oauthbearer.expected.audience=strata",
                "sasl.oauthbearer.expected.issuer=https://idp.example.test",
                "sasl.bootstrap.user=admin",
                "connections.authentication.timeout.ms=2000");
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    static Properties ssl(int port) {
        return sslAt(certs, port);
    }

    /** An SSL client of {@code port}, trusting the test CA. */
    static Properties sslAt(TestCertificates certs, int port) {
        Properties p = new Properties();
        p.put("bootstrap.servers", "localhost:" + port);
        p.put("security.protocol", "SSL");
        p.put("ssl.truststore.location", certs.truststore().toString());
        p.put("ssl.truststore.password", TestCertificates.PASSWORD);
        p.put("ssl.truststore.type", "PKCS12");
        return p;
    }

    static Properties saslSsl(String mechanism, String user, String password) {
        return saslSslAt(certs, saslSslPort, mechanism, user, password);
    }

    /** A SASL_SSL client of {@code port} logging in as {@code user}. */
    static Properties saslSslAt(TestCertificates certs, int port, String mechanism, String user, String password) {
        Properties p = sslAt(certs, port);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", mechanism);
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
        return p;
    }

    /** Produces {@code n} records to {@code topic} and reads them back, both with {@code client} settings. */
    static void roundTrip(Properties client, String topic, int n) throws Exception {
        roundTrip(client, topic, n, true);
    }

    static void roundTrip(Properties client, String topic, int n, boolean create) throws Exception {
        if (create) {
            try (Admin admin = Admin.create(client)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
        }
        Properties pp = new Properties();
        pp.putAll(client);
        pp.put("key.serializer", StringSerializer.class.getName());
        pp.put("value.serializer", StringSerializer.class.getName());
        pp.put("acks", "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
            }
            producer.flush();
            for (var ack : acks) {
                ack.get(); // every record acknowledged, not only sent
            }
        }
        Properties cp = new Properties();
        cp.putAll(client);
        cp.put("key.deserializer", StringDeserializer.class.getName());
        cp.put("value.deserializer", StringDeserializer.class.getName());
        cp.put("group.id", topic + "-readers");
        cp.put("auto.offset.reset", "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.size() < n && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
            consumer.commitSync();
        }
        assertThat(values).hasSize(n).startsWith("v0").endsWith("v" + (n - 1));
    }

    /** The error a producer with {@code client} settings gets for its first send. */
    static Throwable firstSendFails(Properties client) {
        return firstSendFails(client, "refused");
    }

    static Throwable firstSendFails(Properties client, String topic) {
        Properties pp = new Properties();
        pp.putAll(client);
        pp.put("key.serializer", StringSerializer.class.getName());
        pp.put("value.serializer", StringSerializer.class.getName());
        pp.put("max.block.ms", "8000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            producer.send(new ProducerRecord<>(topic, "v")).get(15, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    @Test
    void sslClientsProduceConsumeAndAreToldTheTlsAddressOfTheNode() throws Exception {
        roundTrip(ssl(sslPort), "over-tls", 200);
        try (Admin admin = Admin.create(ssl(sslPort))) {
            // Metadata advertises the listener the client came in on: an SSL client is never sent to the PLAINTEXT port.
            assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).singleElement()
                    .satisfies(n -> assertThat(n.port()).isEqualTo(sslPort));
        }
    }

    @Test
    void scramUsersAreManagedWithKafkasAdminApiAndLogInOverSaslSsl() throws Exception {
        Properties admin512 = saslSsl("SCRAM-SHA-512", "admin", ADMIN_PASSWORD);
        try (Admin admin = Admin.create(admin512)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), "alice-secret"))).all().get(10, TimeUnit.SECONDS);
            var described = admin.describeUserScramCredentials(List.of("alice")).all().get(10, TimeUnit.SECONDS);
            assertThat(described.get("alice").credentialInfos()).singleElement().satisfies(c -> {
                assertThat(c.mechanism()).isEqualTo(ScramMechanism.SCRAM_SHA_256);
                assertThat(c.iterations()).isEqualTo(8192);
            });
            assertThat(admin.describeUserScramCredentials().users().get(10, TimeUnit.SECONDS)).contains("admin", "alice");
        }
        roundTrip(saslSsl("SCRAM-SHA-256", "alice", "alice-secret"), "scram-topic", 100);

        assertThat(firstSendFails(saslSsl("SCRAM-SHA-256", "alice", "wrong"))).isInstanceOf(SaslAuthenticationException.class)
                .hasMessageContaining("invalid credentials");
        assertThat(firstSendFails(saslSsl("SCRAM-SHA-512", "alice", "alice-secret")))
                .as("alice has no SCRAM-SHA-512 credential").isInstanceOf(SaslAuthenticationException.class);
        assertThat(firstSendFails(saslSsl("SCRAM-SHA-512", "mallory", "x"))).isInstanceOf(SaslAuthenticationException.class);
        assertThat(node.log()).contains("authentication failed: listener=SASL_SSL").contains("mechanism=SCRAM-SHA-256");

        try (Admin admin = Admin.create(admin512)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialDeletion("alice", ScramMechanism.SCRAM_SHA_256)))
                    .all().get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> admin.describeUserScramCredentials(List.of("alice")).description("alice").get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.ResourceNotFoundException.class);
        }
        assertThat(firstSendFails(saslSsl("SCRAM-SHA-256", "alice", "alice-secret"))).as("a deleted user cannot log in")
                .isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void plainOverTlsChecksTheSameCredentialsAndIsNotOfferedWithoutTls() throws Exception {
        roundTrip(saslSsl("PLAIN", "admin", ADMIN_PASSWORD), "plain-topic", 50);
        assertThat(firstSendFails(saslSsl("PLAIN", "admin", "nope"))).isInstanceOf(SaslAuthenticationException.class);

        try (RawKafkaConnection raw = new RawKafkaConnection(saslPlainPort)) {
            SaslHandshakeResponseData r = (SaslHandshakeResponseData) raw.send(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
            assertThat(Errors.forCode(r.errorCode())).isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM);
            assertThat(r.mechanisms()).containsExactly("SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER");
        }
    }

    @Test
    void nothingButApiVersionsAndSaslIsServedBeforeAuthentication() throws Exception {
        try (RawKafkaConnection raw = new RawKafkaConnection(saslPlainPort)) {
            ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.send(new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1"), (short) 3);
            assertThat(versions.apiKeys().find(org.apache.kafka.common.protocol.ApiKeys.SASL_HANDSHAKE.id)).isNotNull();
            raw.write(new MetadataRequestData().setTopics(null), (short) 12);
            raw.setReadTimeoutMs(5000);
            assertThat(raw.closedByPeer()).as("Metadata before authentication closes the connection").isTrue();
        }
        try (RawKafkaConnection raw = new RawKafkaConnection(saslPlainPort)) {
            SaslHandshakeResponseData r = (SaslHandshakeResponseData) raw.send(new SaslHandshakeRequestData().setMechanism("SCRAM-SHA-512"), (short) 1);
            assertThat(Errors.forCode(r.errorCode())).isEqualTo(Errors.NONE);
            // ... and then nothing: the exchange never completes.
            raw.setReadTimeoutMs(8000);
            long t0 = System.nanoTime();
            assertThat(raw.closedByPeer()).as("an exchange that never completes is cut off").isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(6000);
        }
        roundTrip(saslSsl("SCRAM-SHA-512", "admin", ADMIN_PASSWORD), "after-refusals", 10);
    }

    /** A TLS connection to {@code port} that trusts the test CA, before any SASL exchange. */
    private static RawKafkaConnection tlsConnection(int port) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(certs.truststore())) {
            trust.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        s.startHandshake();
        return new RawKafkaConnection(s);
    }

    @Test
    void theBadInputsOfBadInputITAreRefusedOnASaslSslListenerBeforeAuthentication() throws Exception {
        List<byte[]> attacks = new ArrayList<>();
        attacks.add("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        attacks.add(java.nio.ByteBuffer.allocate(4).putInt(2 * 1024 * 1024).array());
        attacks.add(java.nio.ByteBuffer.allocate(14).putInt(10).putShort((short) 999).putShort((short) 0).putInt(1).putShort((short) -1).array());
        java.nio.ByteBuffer truncated = java.nio.ByteBuffer.allocate(18).putInt(14);
        truncated.putShort((short) 3).putShort((short) 12).putInt(7).putShort((short) 4).put("abcd".getBytes(StandardCharsets.US_ASCII));
        attacks.add(truncated.array());
        for (byte[] attack : attacks) {
            try (RawKafkaConnection c = tlsConnection(saslSslPort)) {
                c.writeRaw(attack);
                c.setReadTimeoutMs(5000);
                assertThat(c.closedByPeer()).as("closed after %d bad bytes", attack.length).isTrue();
            }
        }
        // Well-formed requests are refused too until the client has authenticated: nothing is created or written.
        try (RawKafkaConnection c = tlsConnection(saslSslPort)) {
            c.write(new org.apache.kafka.common.message.CreateTopicsRequestData().setTimeoutMs(5000).setTopics(
                    new org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicCollection(java.util.List.of(
                            new org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic().setName("before-auth")
                                    .setNumPartitions(1).setReplicationFactor((short) 1)).iterator())), (short) 7);
            c.setReadTimeoutMs(5000);
            assertThat(c.closedByPeer()).isTrue();
        }
        try (Admin a = Admin.create(saslSsl("SCRAM-SHA-512", "admin", ADMIN_PASSWORD))) {
            assertThat(a.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContain("before-auth");
        }
        assertThat(node.log()).contains("CREATE_TOPICS before SASL authentication");
        roundTrip(saslSsl("SCRAM-SHA-512", "admin", ADMIN_PASSWORD), "after-bad-input", 5);
    }

    /** HostileProducerIT's lying batches from a client that did authenticate (PLAIN over TLS): Kafka's error each, the log untouched. */
    @Test
    void hostileBatchesOfAnAuthenticatedSaslSslClientGetKafkasErrorsAndLeaveTheLogAsItWas() throws Exception {
        String topic = "hostile-sasl";
        Properties admin = saslSsl("SCRAM-SHA-512", "admin", ADMIN_PASSWORD);
        roundTrip(admin, topic, 3);
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> outcomes = new ArrayList<>();
        try (Admin a = Admin.create(admin); RawKafkaConnection c = tlsConnection(saslSslPort)) {
            long end = a.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
            SaslHandshakeResponseData h = (SaslHandshakeResponseData) c.send(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
            assertThat(Errors.forCode(h.errorCode())).isEqualTo(Errors.NONE);
            org.apache.kafka.common.message.SaslAuthenticateResponseData auth = (org.apache.kafka.common.message.SaslAuthenticateResponseData)
                    c.send(new org.apache.kafka.common.message.SaslAuthenticateRequestData()
                            .setAuthBytes(("\0admin\0" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8)), (short) 2);
            assertThat(Errors.forCode(auth.errorCode())).as(auth.errorMessage()).isEqualTo(Errors.NONE);
            for (var e : io.strata.records.HostileBatches.reviewCases(System.currentTimeMillis()).entrySet()) {
                var r = HostileProducerIT.produceRaw(c, topic, e.getValue().batch());
                outcomes.add(e.getKey() + " -> " + Errors.forCode(r.errorCode()));
                assertThat(Errors.forCode(r.errorCode())).as(e.getKey() + ": " + r.errorMessage()).isEqualTo(Errors.valueOf(e.getValue().error()));
                assertThat(a.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset())
                        .as("log end offset after " + e.getKey()).isEqualTo(end);
            }
        }
        System.out.println("hostile batches over SASL_SSL: " + outcomes);
        roundTrip(admin, topic, 2, false);
    }

    @Test
    void aSessionEndsAfterConnectionsMaxReauthMsUnlessTheClientAuthenticatesAgain(@TempDir Path nodeDir) throws Exception {
        int port = StrataNode.freePort();
        try (StrataNode reauth = StrataNode.startWithEnv(nodeDir.resolve("reauth"), Map.of("STRATA_SASL_BOOTSTRAP_PASSWORD", "pw"),
                "listeners=PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:" + port,
                "sasl.enabled.mechanisms=PLAIN", "sasl.plain.allow.plaintext=true", "sasl.bootstrap.user=ops",
                "connections.max.reauth.ms=2000")) {
            try (RawKafkaConnection c = new RawKafkaConnection(port)) {
                assertThat(plainLogin(c, "ops", "pw")).as("session lifetime told to the client").isEqualTo(2000);
                assertThat(c.send(new MetadataRequestData().setTopics(null), (short) 12)).isNotNull();
                Thread.sleep(2500);
                c.write(new MetadataRequestData().setTopics(null), (short) 12);
                assertThat(c.closedByPeer()).as("a request after the session ended").isTrue();
            }
            try (RawKafkaConnection c = new RawKafkaConnection(port)) {
                plainLogin(c, "ops", "pw");
                Thread.sleep(1200);
                plainLogin(c, "ops", "pw"); // KIP-368: again, on the same connection
                Thread.sleep(1300);
                assertThat(c.send(new MetadataRequestData().setTopics(null), (short) 12)).as("served 2.5 s after the first login")
                        .isNotNull();
            }
            assertThat(reauth.log()).contains("after the SASL session expired");
        }
    }

    /** SaslHandshake and SaslAuthenticate v1 with PLAIN; the session lifetime the node granted. */
    private static long plainLogin(RawKafkaConnection c, String user, String password) throws Exception {
        SaslHandshakeResponseData h = (SaslHandshakeResponseData) c.send(new SaslHandshakeRequestData().setMechanism("PLAIN"), (short) 1);
        assertThat(Errors.forCode(h.errorCode())).isEqualTo(Errors.NONE);
        org.apache.kafka.common.message.SaslAuthenticateResponseData a = (org.apache.kafka.common.message.SaslAuthenticateResponseData)
                c.send(new org.apache.kafka.common.message.SaslAuthenticateRequestData().setAuthBytes(
                        ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)), (short) 1);
        assertThat(Errors.forCode(a.errorCode())).isEqualTo(Errors.NONE);
        return a.sessionLifetimeMs();
    }

    @Test
    void plaintextOnTheTlsPortIsRefusedAndTheNodeKeepsServing() throws Exception {
        try (RawKafkaConnection raw = new RawKafkaConnection(sslPort)) {
            raw.write(new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"), (short) 3);
            raw.setReadTimeoutMs(5000);
            assertThat(raw.closedByPeer()).isTrue();
        }
        Properties plain = new Properties();
        plain.put("bootstrap.servers", "localhost:" + sslPort);
        assertThat(firstSendFails(plain)).isNotNull();
        assertThat(node.log()).contains("TLS handshake failed");
        roundTrip(ssl(sslPort), "after-plaintext", 10);
    }

    @Test
    void kcatOverSslAndOverSaslSslWithPlain() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(KcatIT.kcatInstalled(), "kcat is not installed");
        String ca = certs.caPem().toString();
        kcat("a:1\nb:2\n", "-b", "localhost:" + sslPort, "-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + ca,
                "-t", "kcat-tls", "-P", "-K", ":");
        String out = kcat(null, "-b", "localhost:" + sslPort, "-X", "security.protocol=ssl", "-X", "ssl.ca.location=" + ca,
                "-t", "kcat-tls", "-C", "-e", "-o", "beginning", "-f", "%k=%s\n");
        assertThat(out).contains("a=1", "b=2");
        String[] sasl = {"-b", "localhost:" + saslSslPort, "-X", "security.protocol=sasl_ssl", "-X", "ssl.ca.location=" + ca,
                "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=admin", "-X", "sasl.password=" + ADMIN_PASSWORD};
        List<String> produce = new ArrayList<>(List.of(sasl));
        produce.addAll(List.of("-t", "kcat-sasl", "-P", "-K", ":"));
        kcat("c:3\n", produce.toArray(String[]::new));
        List<String> consume = new ArrayList<>(List.of(sasl));
        consume.addAll(List.of("-t", "kcat-sasl", "-C", "-e", "-o", "beginning", "-f", "%k=%s\n"));
        assertThat(kcat(null, consume.toArray(String[]::new))).contains("c=3");
    }

    /** A JWT for {@code subject}, signed by {@code key}. */
    private static String token(org.jose4j.jwk.RsaJsonWebKey key, String subject, String audience) throws Exception {
        org.jose4j.jwt.JwtClaims claims = new org.jose4j.jwt.JwtClaims();
        claims.setIssuer("https://idp.example.test");
        claims.setAudience(audience);
        claims.setSubject(subject);
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(10);
        claims.setClaim("scope", "kafka");
        org.jose4j.jws.JsonWebSignature jws = new org.jose4j.jws.JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(org.jose4j.jws.AlgorithmIdentifiers.RSA_USING_SHA256);
        return jws.getCompactSerialization();
    }

    /** A SASL_SSL client that logs in with the token in a file, as kafka-clients' OAUTHBEARER login handler reads it. */
    private static Properties oauth(String token) throws Exception {
        return oauthAt(saslSslPort, token);
    }

    private static Properties oauthAt(int port, String token) throws Exception {
        Path file = Files.createTempFile(dir, "token", ".jwt");
        Files.writeString(file, token);
        // kafka-clients 4 reads only token locations on its JVM-wide allow-lists.
        System.setProperty("org.apache.kafka.sasl.oauthbearer.allowed.urls",
                System.getProperty("org.apache.kafka.sasl.oauthbearer.allowed.urls", "") + "," + file.toUri());
        System.setProperty("org.apache.kafka.sasl.oauthbearer.allowed.files",
                System.getProperty("org.apache.kafka.sasl.oauthbearer.allowed.files", "") + "," + file);
        Properties p = sslAt(certs, port);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "OAUTHBEARER");
        p.put("sasl.login.callback.handler.class", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        p.put("sasl.oauthbearer.token.endpoint.url", file.toUri().toString());
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;");
        return p;
    }

    @Test
    void oauthBearerTokensSignedByTheIdentityProviderLogIn() throws Exception {
        roundTrip(oauth(token(identityProvider, "erin", "strata")), "oauth-topic", 20);
        assertThat(firstSendFails(oauth(token(identityProvider, "erin", "another-service"))))
                .as("a token for another audience").isInstanceOf(SaslAuthenticationException.class);
        org.jose4j.jwk.RsaJsonWebKey stranger = org.jose4j.jwk.RsaJwkGenerator.generateJwk(2048);
        stranger.setKeyId("idp-key-1");
        assertThat(firstSendFails(oauth(token(stranger, "mallory", "strata"))))
                .as("a token signed by another key").isInstanceOf(SaslAuthenticationException.class);
        assertThat(node.log()).contains("mechanism=OAUTHBEARER");
    }

    /** The identity provider's keys fetched from an https endpoint behind the test CA, trusted through the node's trust store. */
    @Test
    void oauthBearerKeysComeFromAnHttpsJwksEndpoint(@TempDir Path nodeDir) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(serverKeystore)) {
            ks.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, TestCertificates.PASSWORD.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        com.sun.net.httpserver.HttpsServer idp = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        idp.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(ctx));
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        byte[] keys = Files.readAllBytes(jwks);
        idp.createContext("/.well-known/jwks.json", x -> {
            served.incrementAndGet();
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.sendResponseHeaders(200, keys.length);
            x.getResponseBody().write(keys);
            x.close();
        });
        idp.start();
        int port = StrataNode.freePort();
        try (StrataNode https = StrataNode.start(nodeDir.resolve("node"),
                "listeners=PLAINTEXT://127.0.0.1:{port},SASL_SSL://:" + port,
                "ssl.keystore.location=" + serverKeystore, "ssl.keystore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD,
                "sasl.enabled.mechanisms=OAUTHBEARER",
                "sasl.oauthbearer.jwks.endpoint.url=https://localhost:" + idp.getAddress().getPort() + "/.well-known/jwks.json",
                "sasl.oauthbearer.expected.audience=strata", "sasl.oauthbearer.expected.issuer=https://idp.example.test")) {
            roundTrip(oauthAt(port, token(identityProvider, "frank", "strata")), "oauth-https", 5);
            org.jose4j.jwk.RsaJsonWebKey stranger = org.jose4j.jwk.RsaJwkGenerator.generateJwk(2048);
            stranger.setKeyId("idp-key-1");
            assertThat(firstSendFails(oauthAt(port, token(stranger, "mallory", "strata"))))
                    .as("a token signed by another key").isInstanceOf(SaslAuthenticationException.class);
            assertThat(served.get()).as("JWKS requests over https").isPositive();
        } finally {
            idp.stop(0);
        }
    }

    @Test
    void kafkajsOverSaslSslWithScram(@TempDir Path js) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(commandWorks(js, "npm", "--version"), "npm is not installed");
        // kafkajs from the npm registry, pinned; the script is in src/test/resources/kafkajs.
        assertThat(commandWorks(js, "npm", "install", "--no-audit", "--no-fund", "--prefix", js.toString(), "kafkajs@2.2.4"))
                .as("npm install kafkajs@2.2.4").isTrue();
        Path script = js.resolve("sasl-scram.js");
        try (var in = SecurityIT.class.getResourceAsStream("/kafkajs/sasl-scram.js")) {
            Files.copy(in, script);
        }
        String out = KcatIT.run(null, "node", script.toString(), "localhost:" + saslSslPort, certs.caPem().toString(),
                "admin", ADMIN_PASSWORD, "kafkajs-topic");
        assertThat(out).contains("kafkajs read k1=hello,k2=world").contains("wrong password: refused");
    }

    private static boolean commandWorks(Path dir, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("npm.log").toFile()).start();
            return p.waitFor(180, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static String kcat(String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("kcat");
        cmd.addAll(List.of(args));
        return KcatIT.run(input, cmd.toArray(String[]::new));
    }

    @Test
    void aReplacedKeyStoreFileIsServedToNewConnectionsWithoutARestart() throws Exception {
        assertThat(serverCertificate(sslPort).getSubjectX500Principal().getName()).contains("O=strata");
        Path rotated = certs.issue("rotated", "CN=localhost,O=rotated", "dns:localhost,ip:127.0.0.1");
        Path tmp = dir.resolve("server-keystore.tmp");
        Files.copy(rotated, tmp);
        Files.move(tmp, serverKeystore, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String subject = "";
        while (System.nanoTime() < deadline && !subject.contains("O=rotated")) {
            Thread.sleep(500);
            subject = serverCertificate(sslPort).getSubjectX500Principal().getName();
        }
        assertThat(subject).contains("O=rotated");
        roundTrip(ssl(sslPort), "after-rotation", 10);
    }

    /** The certificate a TLS handshake with the port presents. */
    private static X509Certificate serverCertificate(int port) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static int get(String path, String token) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create("http://127.0.0.1:" + node.adminPort() + path)
                .toURL().openConnection();
        if (token != null) {
            c.setRequestProperty("Authorization", "Bearer " + token);
        }
        int status = c.getResponseCode();
        if (status == 401) {
            assertThat(c.getHeaderField("WWW-Authenticate")).startsWith("Bearer");
        }
        c.disconnect();
        return status;
    }

    @Test
    void theAdminApiWantsItsTokenExceptForHealthReadinessAndMetricsAndReplayGivesIt() throws Exception {
        for (String open : List.of("/health", "/ready", "/metrics")) {
            assertThat(get(open, null)).as(open).isEqualTo(200);
        }
        assertThat(get("/api/topics", null)).isEqualTo(401);
        assertThat(get("/api/topics", "wrong")).isEqualTo(401);
        assertThat(get("/api/topics", ADMIN_TOKEN)).isEqualTo(200);
        assertThat(node.log()).contains("listener=admin-http").contains("wrong token for /api/topics");

        Properties plaintext = new Properties();
        plaintext.put("bootstrap.servers", node.bootstrap());
        roundTrip(plaintext, "replayed-securely", 50);
        io.strata.sdk.replay.Replay replay = io.strata.sdk.replay.Replay.of("replayed-securely")
                .adminUrl("http://127.0.0.1:" + node.adminPort()).bootstrap(node.bootstrap());
        assertThatThrownBy(() -> replay.run(r -> { })).hasMessageContaining("wants a token");
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        io.strata.sdk.replay.Replay.of("replayed-securely").adminUrl("http://127.0.0.1:" + node.adminPort()).bootstrap(node.bootstrap())
                .adminToken(ADMIN_TOKEN).run(r -> seen.incrementAndGet());
        assertThat(seen).hasValue(50);
    }

    @Test
    void mutualTlsRequiresAValidClientCertificate(@TempDir Path nodeDir) throws Exception {
        Path client = certs.issue("client", "CN=app,O=acme", null);
        Path expired = certs.issue("expired", "CN=old,O=acme", null, "-3d", 1);
        int port = StrataNode.freePort();
        try (StrataNode mtls = StrataNode.start(nodeDir.resolve("mtls"),
                "listeners=PLAINTEXT://127.0.0.1:{port},SSL://:" + port,
                "ssl.keystore.location=" + serverKeystore, "ssl.keystore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD,
                "ssl.client.auth=required", "ssl.principal.mapping.rules=RULE:^CN=(.*?),O=acme$/$1/,DEFAULT")) {
            assertThat(firstSendFails(ssl(port))).as("no client certificate").isNotNull();
            Properties withCert = ssl(port);
            withCert.put("ssl.keystore.location", client.toString());
            withCert.put("ssl.keystore.password", TestCertificates.PASSWORD);
            withCert.put("ssl.keystore.type", "PKCS12");
            roundTrip(withCert, "mtls-topic", 20);
            Properties old = ssl(port);
            old.put("ssl.keystore.location", expired.toString());
            old.put("ssl.keystore.password", TestCertificates.PASSWORD);
            old.put("ssl.keystore.type", "PKCS12");
            assertThat(firstSendFails(old)).as("an expired client certificate").isNotNull();
            assertThat(mtls.log()).contains("TLS handshake failed");
        }
    }

    /** The subject of the certificate a TLS listener at {@code port} presents (the client shows {@code clientKeystore} when not null). */
    private static String presentedSubject(int port, Path clientKeystore) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(certs.truststore())) {
            trust.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.KeyManager[] keys = null;
        if (clientKeystore != null) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(clientKeystore)) {
                ks.load(in, TestCertificates.PASSWORD.toCharArray());
            }
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, TestCertificates.PASSWORD.toCharArray());
            keys = kmf.getKeyManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    /** Kafka's listener.name.<name>.* settings: each listener its own certificate, client authentication and SASL mechanisms. */
    @Test
    void eachListenerTakesItsOwnTlsAndSaslSettings(@TempDir Path nodeDir) throws Exception {
        // Keystores of its own: another test replaces the shared one's certificate.
        Path externalKeystore = certs.issue("external", "CN=localhost,O=external", "dns:localhost,ip:127.0.0.1");
        Path internalKeystore = certs.issue("internal", "CN=localhost,O=internal", "dns:localhost,ip:127.0.0.1");
        Path nodeCert = certs.issue("peer", "CN=peer,O=internal", null);
        int sslAt = StrataNode.freePort();
        int internalAt = StrataNode.freePort();
        int saslAt = StrataNode.freePort();
        try (StrataNode multi = StrataNode.startWithEnv(nodeDir.resolve("node"), Map.of("STRATA_SASL_BOOTSTRAP_PASSWORD", "pw"),
                "listeners=PLAINTEXT://127.0.0.1:{port},SSL://:" + sslAt + ",INTERNAL://127.0.0.1:" + internalAt + ",SASL_SSL://:" + saslAt,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,INTERNAL:SSL,SASL_SSL:SASL_SSL",
                "ssl.keystore.location=" + externalKeystore, "ssl.keystore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD,
                "listener.name.internal.ssl.keystore.location=" + internalKeystore, "listener.name.internal.ssl.client.auth=required",
                "sasl.enabled.mechanisms=SCRAM-SHA-512", "listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN",
                "sasl.bootstrap.user=ops")) {
            assertThat(presentedSubject(sslAt, null)).contains("O=external");
            assertThat(presentedSubject(internalAt, nodeCert)).contains("O=internal");
            roundTrip(ssl(sslAt), "per-listener-ssl", 5);
            assertThat(firstSendFails(ssl(internalAt))).as("INTERNAL requires a client certificate").isNotNull();
            Properties withCert = ssl(internalAt);
            withCert.put("ssl.keystore.location", nodeCert.toString());
            withCert.put("ssl.keystore.password", TestCertificates.PASSWORD);
            withCert.put("ssl.keystore.type", "PKCS12");
            roundTrip(withCert, "per-listener-ssl", 5, false);
            roundTrip(saslSslAt(certs, saslAt, "PLAIN", "ops", "pw"), "per-listener-sasl", 5);
            assertThat(firstSendFails(saslSslAt(certs, saslAt, "SCRAM-SHA-512", "ops", "pw")))
                    .as("SCRAM is not enabled on this listener").isInstanceOf(org.apache.kafka.common.errors.UnsupportedSaslMechanismException.class);
        }
        assertThatThrownBy(() -> StrataNode.start(nodeDir.resolve("typo"), "listener.name.intrenal.ssl.client.auth=required"))
                .hasMessageContaining("name no listener");
    }

    /** A GET over HTTPS trusting the test CA, showing {@code clientKeystore} when not null; the status code. */
    private static int httpsGet(int port, String path, String token, Path clientKeystore) throws Exception {
        Properties ssl = new Properties();
        ssl.put("ssl.truststore.location", certs.truststore().toString());
        ssl.put("ssl.truststore.password", TestCertificates.PASSWORD);
        if (clientKeystore != null) {
            ssl.put("ssl.keystore.location", clientKeystore.toString());
            ssl.put("ssl.keystore.password", TestCertificates.PASSWORD);
        }
        java.util.Map<String, Object> parsed = new org.apache.kafka.common.config.ConfigDef().withClientSslSupport().parse(ssl);
        org.apache.kafka.common.security.ssl.DefaultSslEngineFactory factory = new org.apache.kafka.common.security.ssl.DefaultSslEngineFactory();
        factory.configure(parsed);
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().sslContext(factory.sslContext()).build();
        java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://localhost:" + port + path));
        if (token != null) {
            req.header("Authorization", "Bearer " + token);
        }
        return http.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** admin.ssl.enabled: the admin API over HTTPS, where a client certificate the trust store vouches for stands in for the token. */
    @Test
    void theAdminApiOverHttpsTakesAClientCertificateInsteadOfTheToken(@TempDir Path nodeDir) throws Exception {
        Path operator = certs.issue("operator", "CN=operator,O=strata", null);
        try (StrataNode https = StrataNode.startWithEnv(nodeDir.resolve("node"), Map.of("STRATA_ADMIN_AUTH_TOKEN", ADMIN_TOKEN),
                "admin.ssl.enabled=true", "ssl.keystore.location=" + serverKeystore, "ssl.keystore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD,
                "listener.name.admin.ssl.client.auth=requested")) {
            int port = https.adminPort();
            assertThat(httpsGet(port, "/health", null, null)).as("open path, no certificate").isEqualTo(200);
            assertThat(httpsGet(port, "/api/topics", null, null)).as("neither token nor certificate").isEqualTo(401);
            assertThat(httpsGet(port, "/api/topics", ADMIN_TOKEN, null)).isEqualTo(200);
            assertThat(httpsGet(port, "/api/topics", null, operator)).as("a client certificate").isEqualTo(200);
            assertThatThrownBy(() -> new java.net.URI("http://127.0.0.1:" + port + "/health").toURL().openStream().close())
                    .as("plain HTTP on the HTTPS port").isInstanceOf(java.io.IOException.class);

            Properties plaintext = new Properties();
            plaintext.put("bootstrap.servers", https.bootstrap());
            roundTrip(plaintext, "replayed-over-https", 20);
            Properties tls = new Properties();
            tls.put("ssl.truststore.location", certs.truststore().toString());
            tls.put("ssl.truststore.password", TestCertificates.PASSWORD);
            tls.put("ssl.keystore.location", operator.toString());
            tls.put("ssl.keystore.password", TestCertificates.PASSWORD);
            java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
            io.strata.sdk.replay.Replay.of("replayed-over-https").adminUrl("https://localhost:" + port).bootstrap(https.bootstrap())
                    .clientProperties(tls).run(r -> seen.incrementAndGet());
            assertThat(seen).as("the SDK's replay with the client certificate, no token").hasValue(20);
        }
    }
}
