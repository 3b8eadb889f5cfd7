package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes that replicate over an SSL inter-broker listener (mutual TLS: each presents its
 * certificate, whose principal is a super user and so may fetch as a replica), with clients on
 * SASL_SSL and ACLs enforced. A user and an ACL made through one node hold on the other: they
 * live in the shared MetaStore.
 */
class SecureClusterIT {
    @TempDir
    Path dir;

    /** The nodes' key and trust stores. */
    private static List<String> stores(TestCertificates certs, Path keystore) {
        return List.of("ssl.keystore.location=" + keystore, "ssl.keystore.password=" + TestCertificates.PASSWORD,
                "ssl.truststore.location=" + certs.truststore(), "ssl.truststore.password=" + TestCertificates.PASSWORD);
    }

    /** The ISR of partition 0 of {@code topic} once it has two replicas, or as it is after 30 s. */
    private static List<org.apache.kafka.common.Node> isrOnceTwo(Admin a, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        while (d.partitions().get(0).isr().size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            d = a.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        }
        return d.partitions().get(0).isr();
    }

    @Test
    void nodesReplicateOverMutualTlsAndShareUsersAndAcls() throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        TestCertificates certs = new TestCertificates(dir.resolve("certs"));
        Path keystore = certs.issue("node", "CN=localhost,O=strata", "dns:localhost,ip:127.0.0.1");
        int[] internal = {StrataNode.freePort(), StrataNode.freePort()};
        int[] external = {StrataNode.freePort(), StrataNode.freePort()};
        try (ClusterHarness cluster = new ClusterHarness(dir)) {
            cluster.env.put("STRATA_SASL_BOOTSTRAP_PASSWORD", "admin-secret");
            cluster.common.addAll(stores(certs, keystore));
            cluster.common.addAll(List.of(
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SSL,SASL_SSL:SASL_SSL",
                    "inter.broker.listener.name=INTERNAL",
                    "ssl.client.auth=requested", "sasl.enabled.mechanisms=SCRAM-SHA-512",
                    "sasl.bootstrap.user=admin", "authorizer.enabled=true",
                    "super.users=User:admin;User:CN=localhost,O=strata"));
            cluster.startCluster(0, io.strata.metastore.postgres.PostgresServer.shared().newDatabase("secure"));
            for (int i = 0; i < 2; i++) {
                cluster.addNode("listeners=PLAINTEXT://127.0.0.1:{port},INTERNAL://127.0.0.1:" + internal[i] + ",SASL_SSL://:" + external[i]);
            }
            Properties admin = SecurityIT.saslSslAt(certs, external[0], "SCRAM-SHA-512", "admin", "admin-secret");
            try (Admin a = Admin.create(admin)) {
                a.createTopics(List.of(new NewTopic("replicated", 1, (short) 2)))
                        .all().get(30, TimeUnit.SECONDS);
                a.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("carol",
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), "carol-pw"))).all().get(10, TimeUnit.SECONDS);
                a.createAcls(List.of(
                        new AclBinding(new ResourcePattern(ResourceType.TOPIC, "replicated", PatternType.LITERAL),
                                new AccessControlEntry("User:carol", "*", AclOperation.WRITE, AclPermissionType.ALLOW)),
                        new AclBinding(new ResourcePattern(ResourceType.TOPIC, "replicated", PatternType.LITERAL),
                                new AccessControlEntry("User:carol", "*", AclOperation.READ, AclPermissionType.ALLOW)),
                        new AclBinding(new ResourcePattern(ResourceType.GROUP, "replicated-", PatternType.PREFIXED),
                                new AccessControlEntry("User:carol", "*", AclOperation.READ, AclPermissionType.ALLOW))))
                        .all().get(10, TimeUnit.SECONDS);
                assertThat(isrOnceTwo(a, "replicated")).as("the follower fetches over mutual TLS as a super user").hasSize(2);
            }
            // carol was made through node 1; she writes through node 2 only.
            Properties carol = SecurityIT.saslSslAt(certs, external[1], "SCRAM-SHA-512", "carol", "carol-pw");
            // Other nodes learn of new ACLs from the MetaStore's change signal, at the latest by their next poll (2 s).
            Thread.sleep(2500);
            SecurityIT.roundTrip(carol, "replicated", 300, false);
            try (Admin a = Admin.create(admin)) {
                assertThat(a.describeTopics(List.of("replicated")).allTopicNames().get().get("replicated").partitions().get(0).isr())
                        .as("the follower kept up, fetching over mutual TLS").hasSize(2);
            }
        }
    }

    /** Nodes that log in to each other with SCRAM over a SASL_SSL inter-broker listener, as a super user. */
    @Test
    void nodesReplicateOverASaslSslInterBrokerListenerWithScram() throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        TestCertificates certs = new TestCertificates(dir.resolve("certs"));
        Path keystore = certs.issue("node", "CN=localhost,O=strata", "dns:localhost,ip:127.0.0.1");
        int[] internal = {StrataNode.freePort(), StrataNode.freePort()};
        try (ClusterHarness cluster = new ClusterHarness(dir)) {
            cluster.env.put("STRATA_SASL_BOOTSTRAP_PASSWORD", "broker-secret");
            cluster.env.put("STRATA_SASL_INTER_BROKER_PASSWORD", "broker-secret");
            cluster.common.addAll(stores(certs, keystore));
            cluster.common.addAll(List.of(
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL",
                    "inter.broker.listener.name=INTERNAL",
                    "sasl.enabled.mechanisms=SCRAM-SHA-512", "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                    "sasl.bootstrap.user=broker", "sasl.inter.broker.user=broker",
                    "authorizer.enabled=true", "allow.everyone.if.no.acl.found=true", "super.users=User:broker"));
            cluster.startCluster(0, io.strata.metastore.postgres.PostgresServer.shared().newDatabase("sasl_inter_broker"));
            for (int i = 0; i < 2; i++) {
                cluster.addNode("listeners=PLAINTEXT://127.0.0.1:{port},INTERNAL://127.0.0.1:" + internal[i]);
            }
            Properties broker = SecurityIT.saslSslAt(certs, internal[0], "SCRAM-SHA-512", "broker", "broker-secret");
            try (Admin a = Admin.create(broker)) {
                a.createTopics(List.of(new NewTopic("over-sasl", 1, (short) 2))).all().get(30, TimeUnit.SECONDS);
                assertThat(isrOnceTwo(a, "over-sasl")).as("the follower logs in with SCRAM and fetches as a replica").hasSize(2);
            }
            SecurityIT.roundTrip(SecurityIT.saslSslAt(certs, internal[1], "SCRAM-SHA-512", "broker", "broker-secret"), "over-sasl", 300, false);
            try (Admin a = Admin.create(broker)) {
                assertThat(a.describeTopics(List.of("over-sasl")).allTopicNames().get().get("over-sasl").partitions().get(0).isr())
                        .as("the follower kept up").hasSize(2);
            }
        }
    }
}
