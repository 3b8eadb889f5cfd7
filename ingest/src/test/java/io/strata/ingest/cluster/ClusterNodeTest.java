package io.strata.ingest.cluster;

import io.strata.metastore.Keyspace;
import io.strata.metastore.sqlite.SqliteMetaStore;
import io.strata.metastore.store.ClusterControl;
import io.strata.metastore.store.NodeRegistry;
import io.strata.metastore.store.TopicCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The controller lease of one node, on a real embedded MetaStore and a clock the test moves. */
class ClusterNodeTest {
    private static final long SESSION_MS = 9000;
    private static final long HEARTBEAT_MS = 2000;

    @TempDir
    Path dir;
    SqliteMetaStore store;
    Keyspace keyspace = new Keyspace("test");
    ClusterControl control;
    AtomicLong clock = new AtomicLong(1000);
    ClusterNode node;

    @BeforeEach
    void start() {
        store = SqliteMetaStore.open(dir.resolve("meta.db"));
        control = new ClusterControl(store, keyspace);
        node = new ClusterNode(new NodeRegistry(store, keyspace), control, new TopicCatalog(store, keyspace), 1, "127.0.0.1", 9092, "",
                SESSION_MS, HEARTBEAT_MS, clock::get);
        node.start();
    }

    @AfterEach
    void stop() throws Exception {
        node.close();
        store.close();
    }

    @Test
    void theControllerWritesItsLeaseEveryHeartbeatNotEveryRound() {
        assertThat(node.isController()).isTrue();
        assertThat(control.controller().orElseThrow().leaseExpiryMs()).isEqualTo(1000 + SESSION_MS);
        for (long t = 1200; t < 1000 + HEARTBEAT_MS; t += 200) {
            clock.set(t);
            node.runOnLoop();
        }
        assertThat(control.controller().orElseThrow().leaseExpiryMs()).as("no write between renewals (each is a durable MetaStore commit)")
                .isEqualTo(1000 + SESSION_MS);
        clock.set(1000 + HEARTBEAT_MS);
        node.runOnLoop();
        assertThat(control.controller().orElseThrow().leaseExpiryMs()).as("renewed a heartbeat after the last write")
                .isEqualTo(1000 + HEARTBEAT_MS + SESSION_MS);
        assertThat(node.isController()).isTrue();
    }

    @Test
    void aNodeRegisteredSinceTheLastRoundIsKnownBeforeTheNextOne() {
        new NodeRegistry(store, keyspace).register(2, "127.0.0.1", 9093, java.util.Map.of(), "", clock.get(), SESSION_MS);
        assertThat(node.isRegistered(2)).as("read from the MetaStore, not only from the last round's view").isTrue();
        assertThat(node.isRegistered(3)).isFalse();
    }

    @Test
    void aClockThatWentBackRenewsTheLeaseAtOnce() {
        clock.set(400);
        node.runOnLoop();
        assertThat(control.controller().orElseThrow().leaseExpiryMs()).as("renewed from the earlier time, not 2 s after it has caught up")
                .isEqualTo(400 + SESSION_MS);
        assertThat(node.isController()).isTrue();
    }

    @Test
    void aControllerWhoseLeaseWasTakenBetweenRenewalsStopsActingAsOneAtItsNextRound() {
        assertThat(node.isController()).isTrue();
        // Another node whose clock says the lease ran out (skew, or this one's pause) takes it over.
        assertThat(control.tryLead(2, 7, 1000 + SESSION_MS + 1, SESSION_MS)).isPresent();
        clock.set(1200);
        node.runOnLoop();
        assertThat(node.isController()).as("the record read in the round names another controller").isFalse();
    }

    @Test
    void aNodeFencedByANewerRegistrationOfItsIdHoldsNoControllerLease() {
        assertThat(node.isController()).isTrue();
        // Another process registers node.id 1 from the same address (a restart elsewhere of this node's identity).
        new NodeRegistry(store, keyspace).register(1, "127.0.0.1", 9092, "", 1100, SESSION_MS);
        clock.set(1000 + HEARTBEAT_MS);
        node.runOnLoop();
        assertThat(node.isFenced()).isTrue();
        assertThat(node.isController()).as("the lease belonged to the replaced registration").isFalse();
    }

    @Test
    void aFencedNodeTellsItsViewListenersOnceWhichStopLeadingThen() {
        java.util.List<Boolean> fencedAtEachView = new java.util.concurrent.CopyOnWriteArrayList<>();
        node.addViewListener(v -> fencedAtEachView.add(node.isFenced()));
        new NodeRegistry(store, keyspace).register(1, "127.0.0.1", 9092, "", 1100, SESSION_MS);
        clock.set(1000 + HEARTBEAT_MS);
        node.runOnLoop();
        clock.set(1000 + 2 * HEARTBEAT_MS);
        node.runOnLoop();
        // No round runs once fenced: without this call replication would go on leading with the roles it last applied.
        assertThat(fencedAtEachView).as("views applied, and whether the node was fenced at each").containsExactly(true);
    }
}
