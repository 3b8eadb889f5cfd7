package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * ACLs enforced on a real node, checked through kafka-clients as three principals (alice and bob
 * over SASL SCRAM, an anonymous PLAINTEXT client) against what Kafka's documentation specifies:
 * literal, prefixed and wildcard patterns, DENY over ALLOW, implied DESCRIBE, group and cluster
 * permissions, unauthorized topics absent from Metadata; ACLs managed with Admin and with
 * {@code ./strata acls}; ACLs and users survive a restart.
 */
class AclIT {
    static final String ADMIN_PASSWORD = "admin-secret";

    @TempDir
    static Path dir;
    static StrataNode node;
    static int saslPort;
    static Path adminProperties;

    @BeforeAll
    static void start() throws Exception {
        saslPort = StrataNode.freePort();
        node = startNode();
        try (Admin admin = Admin.create(client("admin", ADMIN_PASSWORD))) {
            admin.alterUserScramCredentials(List.of(
                    new UserScramCredentialUpsertion("alice", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "alice-pw"),
                    new UserScramCredentialUpsertion("bob", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "bob-pw")))
                    .all().get(10, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1), new NewTopic("payments", 1, (short) 1),
                    new NewTopic("team-a.events", 1, (short) 1), new NewTopic("team-b.events", 1, (short) 1),
                    new NewTopic("invoices", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.createAcls(List.of(
                    allow("User:alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.WRITE),
                    allow("User:alice", ResourceType.TOPIC, "team-a.", PatternType.PREFIXED, AclOperation.READ),
                    allow("User:alice", ResourceType.GROUP, "alice-", PatternType.PREFIXED, AclOperation.READ),
                    allow("User:bob", ResourceType.TOPIC, "*", PatternType.LITERAL, AclOperation.ALL),
                    allow("User:bob", ResourceType.GROUP, "*", PatternType.LITERAL, AclOperation.READ),
                    new AclBinding(new ResourcePattern(ResourceType.TOPIC, "payments", PatternType.LITERAL),
                            new AccessControlEntry("User:bob", "*", AclOperation.READ, AclPermissionType.DENY))))
                    .all().get(10, TimeUnit.SECONDS);
        }
        for (String topic : List.of("orders", "payments", "team-a.events", "team-b.events", "invoices")) {
            assertThat(produce(client("admin", ADMIN_PASSWORD), topic)).as("a super user may do anything").isNull();
        }
        adminProperties = dir.resolve("admin.properties");
        Properties p = client("admin", ADMIN_PASSWORD);
        p.remove("bootstrap.servers");
        try (var w = Files.newBufferedWriter(adminProperties)) {
            p.store(w, null);
        }
    }

    static StrataNode startNode() throws Exception {
        return StrataNode.startWithEnv(dir.resolve("node"), Map.of("STRATA_SASL_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD),
                "listeners=PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://:" + saslPort,
                "sasl.bootstrap.user=admin", "authorizer.enabled=true", "super.users=User:admin");
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }

    static Properties client(String user, String password) {
        Properties p = new Properties();
        p.put("bootstrap.servers", "localhost:" + saslPort);
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";");
        return p;
    }

    static Properties anonymous() {
        Properties p = new Properties();
        p.put("bootstrap.servers", node.bootstrap());
        return p;
    }

    /** Sends one record; the error, or null when it was written. */
    static Throwable produce(Properties client, String topic) {
        Properties pp = new Properties();
        pp.putAll(client);
        pp.put("key.serializer", StringSerializer.class.getName());
        pp.put("value.serializer", StringSerializer.class.getName());
        pp.put("max.block.ms", "10000");
        pp.put("delivery.timeout.ms", "10000");
        pp.put("request.timeout.ms", "5000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            producer.send(new ProducerRecord<>(topic, "k", "v")).get(20, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (KafkaException e) {
            // A refusal of InitProducerId that reaches the client before send() is thrown by send() itself,
            // wrapped ("in an error state") with the refusal as its cause; one that comes later fails the future.
            return e.getCause() instanceof ApiException ? e.getCause() : e;
        } catch (Exception e) {
            return e;
        }
    }

    /** Reads {@code topic} from the beginning as {@code group}; the error, or null when records came. */
    static Throwable consume(Properties client, String topic, String group) {
        Properties cp = new Properties();
        cp.putAll(client);
        cp.put("key.deserializer", StringDeserializer.class.getName());
        cp.put("value.deserializer", StringDeserializer.class.getName());
        cp.put("group.id", group);
        cp.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    consumer.commitSync();
                    return null;
                }
            }
            return new AssertionError("no records from " + topic + " in 20 s");
        } catch (Exception e) {
            return e;
        }
    }

    static Set<String> visibleTopics(Properties client) throws Exception {
        try (Admin admin = Admin.create(client)) {
            return admin.listTopics().names().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aReadRevokedWhileAConsumerFetchesEndsItsFetchesThoughItsSessionNoLongerNamesThePartition() throws Exception {
        AclBinding read = allow("User:alice", ResourceType.TOPIC, "receipts", PatternType.LITERAL, AclOperation.READ);
        try (Admin admin = Admin.create(client("admin", ADMIN_PASSWORD))) {
            admin.createTopics(List.of(new NewTopic("receipts", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.createAcls(List.of(read)).all().get(10, TimeUnit.SECONDS);
        }
        assertThat(produce(client("admin", ADMIN_PASSWORD), "receipts")).isNull();
        Properties cp = client("alice", "alice-pw");
        cp.put("key.deserializer", StringDeserializer.class.getName());
        cp.put("value.deserializer", StringDeserializer.class.getName());
        cp.put("fetch.max.wait.ms", "100");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            List<org.apache.kafka.common.TopicPartition> tps = List.of(new org.apache.kafka.common.TopicPartition("receipts", 0));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int got = 0;
            while (got == 0 && System.nanoTime() < deadline) {
                got = consumer.poll(Duration.ofMillis(200)).count();
            }
            assertThat(got).as("records read while allowed").isPositive();
            // From here the consumer's incremental fetches name no partition: its session holds it.
            try (Admin admin = Admin.create(client("admin", ADMIN_PASSWORD))) {
                admin.deleteAcls(List.of(read.toFilter())).all().get(10, TimeUnit.SECONDS);
            }
            Throwable refused = null;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (refused == null && System.nanoTime() < deadline) {
                try {
                    consumer.poll(Duration.ofMillis(200));
                } catch (TopicAuthorizationException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("a fetch refused once READ is revoked").isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void literalPrefixedAndWildcardAclsGrantWhatKafkaSpecifiesAndDenyWins() throws Exception {
        Properties alice = client("alice", "alice-pw");
        Properties bob = client("bob", "bob-pw");
        assertThat(produce(alice, "orders")).as("alice: WRITE on orders").isNull();
        assertThat(produce(alice, "payments")).isInstanceOf(TopicAuthorizationException.class);
        assertThat(produce(alice, "team-a.events")).as("READ does not imply WRITE").isInstanceOf(TopicAuthorizationException.class);
        assertThat(consume(alice, "team-a.events", "alice-readers")).as("alice: prefixed READ on team-a., READ on group alice-*").isNull();
        assertThat(consume(alice, "team-a.events", "other-readers")).isInstanceOf(GroupAuthorizationException.class);
        assertThat(consume(alice, "team-b.events", "alice-readers")).isInstanceOf(TopicAuthorizationException.class);
        // WRITE and READ imply DESCRIBE; nothing else is listed.
        assertThat(visibleTopics(alice)).contains("orders", "team-a.events").doesNotContain("payments", "team-b.events");

        assertThat(produce(bob, "payments")).as("bob: ALL on every topic").isNull();
        assertThat(consume(bob, "payments", "bob-readers")).as("a DENY wins over ALL").isInstanceOf(TopicAuthorizationException.class);
        assertThat(consume(bob, "team-b.events", "bob-readers")).isNull();
        assertThat(visibleTopics(bob)).contains("orders", "payments", "team-a.events", "team-b.events");

        assertThat(visibleTopics(anonymous())).as("no ACL for ANONYMOUS: nothing is visible").doesNotContain("orders", "payments");
        assertThat(produce(anonymous(), "orders")).isNotNull();
        assertThat(node.log()).contains("denied: principal=User:alice").contains("operation=DESCRIBE resource=TOPIC:payments")
                .contains("operation=WRITE resource=TOPIC:team-a.events");
    }

    @Test
    void topicAdministrationAndClusterApisNeedTheirOwnPermissions() throws Exception {
        try (Admin alice = Admin.create(client("alice", "alice-pw"))) {
            assertThatThrownBy(() -> alice.createTopics(List.of(new NewTopic("alice-new", 1, (short) 1))).all().get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> alice.deleteTopics(List.of("orders")).all().get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> alice.describeAcls(AclBindingFilter.ANY).values().get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ClusterAuthorizationException.class);
            assertThatThrownBy(() -> alice.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "x"))).all().get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(ClusterAuthorizationException.class);
        }
        try (Admin bob = Admin.create(client("bob", "bob-pw"))) {
            // ALL on topics includes CREATE and DELETE on them.
            bob.createTopics(List.of(new NewTopic("bob-new", 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
            bob.deleteTopics(List.of("bob-new")).all().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theCliManagesAclsAndTheyLastAcrossARestart() throws Exception {
        OperationsIT.Cli added = cli("acls", "add", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Describe",
                "--topic", "invoices", "--group", "invoices-readers");
        assertThat(added.code()).as(added.out()).isZero();
        assertThat(added.out()).contains("4 ACL(s) added");
        OperationsIT.Cli listed = cli("acls", "list", "--principal", "User:alice", "--json");
        assertThat(listed.code()).as(listed.out()).isZero();
        assertThat(listed.json().findValuesAsText("resource")).contains("invoices", "invoices-readers", "orders", "team-a.");
        Properties alice = client("alice", "alice-pw");
        assertThat(consume(alice, "invoices", "invoices-readers")).isNull();

        node.kill9();
        node.launch();
        assertThat(produce(client("admin", ADMIN_PASSWORD), "invoices")).isNull();
        assertThat(consume(alice, "invoices", "invoices-readers")).as("users and ACLs come back with the node").isNull();
        assertThat(produce(alice, "invoices")).isInstanceOf(TopicAuthorizationException.class);

        OperationsIT.Cli removed = cli("acls", "remove", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Describe",
                "--topic", "invoices");
        assertThat(removed.out()).contains("2 ACL(s) removed");
        await("alice refused once her read ACL is gone").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> consume(alice, "invoices", "invoices-readers") instanceof TopicAuthorizationException);
        assertThat(consume(alice, "invoices", "invoices-readers")).isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    void kafkasOwnKafkaAclsAndKafkaConfigsManageAclsAndScramUsers() throws Exception {
        OperationsIT.Cli user = kafkaTool("org.apache.kafka.tools.ConfigCommand", "--alter", "--entity-type", "users", "--entity-name", "dave",
                "--add-config", "SCRAM-SHA-512=[iterations=8192,password=dave-pw]");
        assertThat(user.code()).as(user.out()).isZero();
        OperationsIT.Cli described = kafkaTool("org.apache.kafka.tools.ConfigCommand", "--describe", "--entity-type", "users", "--entity-name", "dave");
        assertThat(described.out()).contains("SCRAM-SHA-512=iterations=8192");
        OperationsIT.Cli acl = kafkaTool("org.apache.kafka.tools.AclCommand", "--add", "--allow-principal", "User:dave",
                "--operation", "Read", "--topic", "team-b.", "--resource-pattern-type", "prefixed", "--group", "dave-group");
        assertThat(acl.code()).as(acl.out()).isZero();
        OperationsIT.Cli listed = kafkaTool("org.apache.kafka.tools.AclCommand", "--list", "--principal", "User:dave");
        assertThat(listed.out()).contains("User:dave").contains("team-b.").contains("PREFIXED").contains("dave-group");
        assertThat(consume(client("dave", "dave-pw"), "team-b.events", "dave-group")).isNull();
        // An idempotent producer with no WRITE anywhere is refused at InitProducerId, as Kafka refuses it (KIP-679).
        assertThat(produce(client("dave", "dave-pw"), "team-b.events")).isInstanceOf(ClusterAuthorizationException.class);
    }

    /** Runs one of Kafka's tools (from kafka-tools) as its own process, as the admin. */
    static OperationsIT.Cli kafkaTool(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), mainClass, "--bootstrap-server", "localhost:" + saslPort,
                "--command-config", adminProperties.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new OperationsIT.Cli(p.exitValue(), out);
    }

    static OperationsIT.Cli cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", StrataNode.jar().toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--bootstrap-server", "localhost:" + saslPort, "--command-config", adminProperties.toString()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new OperationsIT.Cli(p.exitValue(), out + err);
    }
}
