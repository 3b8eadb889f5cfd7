package io.strata.ingest.security;

import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStores;
import io.strata.metastore.store.AclStore;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The authorization rules, as Kafka's documentation states them. */
class AclAuthorizerTest {
    @TempDir
    Path dir;
    MetaStore store;
    AclAuthorizer authorizer;

    @BeforeEach
    void open() {
        store = MetaStores.open("sqlite:" + dir.resolve("meta.db"));
        authorizer = new AclAuthorizer(new AclStore(store, new Keyspace("test")), Set.of(new KafkaPrincipal("User", "root")), false);
        authorizer.start();
    }

    @AfterEach
    void close() {
        authorizer.close();
        store.close();
    }

    private void add(String principal, String host, ResourceType type, String name, PatternType pattern, AclOperation op, AclPermissionType perm) {
        authorizer.createAcls(null, List.of(new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, host, op, perm)))).forEach(f -> assertThat(f.toCompletableFuture().join().exception()).isEmpty());
    }

    private boolean may(String user, String from, AclOperation op, ResourceType type, String name) {
        AuthorizableRequestContext ctx = new AuthorizableRequestContext() {
            public String listenerName() { return "SASL_SSL"; }
            public SecurityProtocol securityProtocol() { return SecurityProtocol.SASL_SSL; }
            public KafkaPrincipal principal() { return new KafkaPrincipal("User", user); }
            public InetAddress clientAddress() {
                try {
                    return InetAddress.getByName(from);
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
            public int requestType() { return 0; }
            public int requestVersion() { return 0; }
            public String clientId() { return "t"; }
            public int correlationId() { return 1; }
        };
        return authorizer.authorize(ctx, List.of(new Action(op, new ResourcePattern(type, name, PatternType.LITERAL), 1, false, false)))
                .get(0) == AuthorizationResult.ALLOWED;
    }

    @Test
    void rules() {
        assertThat(may("root", "10.0.0.1", AclOperation.DELETE, ResourceType.TOPIC, "any")).as("super user").isTrue();
        assertThat(may("alice", "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "t")).as("no ACL, allow.everyone off").isFalse();

        add("User:alice", "*", ResourceType.TOPIC, "logs.", PatternType.PREFIXED, AclOperation.READ, AclPermissionType.ALLOW);
        assertThat(may("alice", "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "logs.app")).isTrue();
        assertThat(may("alice", "10.0.0.1", AclOperation.DESCRIBE, ResourceType.TOPIC, "logs.app")).as("READ implies DESCRIBE").isTrue();
        assertThat(may("alice", "10.0.0.1", AclOperation.WRITE, ResourceType.TOPIC, "logs.app")).isFalse();
        assertThat(may("alice", "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "log")).as("shorter than the prefix").isFalse();
        assertThat(may("bob", "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "logs.app")).isFalse();

        add("User:*", "10.0.0.9", ResourceType.TOPIC, "*", PatternType.LITERAL, AclOperation.ALL, AclPermissionType.ALLOW);
        assertThat(may("bob", "10.0.0.9", AclOperation.WRITE, ResourceType.TOPIC, "x")).as("wildcard principal and resource, host").isTrue();
        assertThat(may("bob", "10.0.0.8", AclOperation.WRITE, ResourceType.TOPIC, "x")).as("another host").isFalse();

        add("User:bob", "*", ResourceType.TOPIC, "x", PatternType.LITERAL, AclOperation.WRITE, AclPermissionType.DENY);
        assertThat(may("bob", "10.0.0.9", AclOperation.WRITE, ResourceType.TOPIC, "x")).as("DENY wins").isFalse();
        assertThat(may("bob", "10.0.0.9", AclOperation.READ, ResourceType.TOPIC, "x")).as("a DENY of WRITE leaves READ").isTrue();

        add("User:carol", "*", ResourceType.TOPIC, "cfg", PatternType.LITERAL, AclOperation.ALTER_CONFIGS, AclPermissionType.ALLOW);
        assertThat(may("carol", "10.0.0.1", AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, "cfg")).as("ALTER_CONFIGS implies DESCRIBE_CONFIGS").isTrue();
        assertThat(may("carol", "10.0.0.1", AclOperation.DESCRIBE, ResourceType.TOPIC, "cfg")).isFalse();
        assertThat(may("carol", "10.0.0.1", AclOperation.READ, ResourceType.GROUP, "cfg")).as("resource types are apart").isFalse();
    }

    @Test
    void allowEveryoneIfNoAclFoundOpensOnlyResourcesWithoutAnyAcl() {
        AclAuthorizer open = new AclAuthorizer(new AclStore(store, new Keyspace("test")), Set.of(), true);
        open.start();
        try {
            add("User:alice", "*", ResourceType.TOPIC, "private", PatternType.LITERAL, AclOperation.READ, AclPermissionType.ALLOW);
            open.reloadQuietly();
            authorizer = open;
            assertThat(may("bob", "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "public")).isTrue();
            assertThat(may("bob", "10.0.0.1", AclOperation.READ, ResourceType.TOPIC, "private")).isFalse();
        } finally {
            open.close();
        }
    }
}
