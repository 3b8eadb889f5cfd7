package io.strata.metastore.store;

import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.sqlite.SqliteMetaStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TypedStoresTest {
    @TempDir
    Path dir;
    MetaStore store;
    Keyspace keyspace = new Keyspace("test");

    @BeforeEach
    void open() {
        store = SqliteMetaStore.open(dir.resolve("meta.db"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void topicIsCreatedOnceAndKeepsItsIdAcrossUpdates() {
        TopicCatalog catalog = new TopicCatalog(store, keyspace);
        TopicCatalog.CreateResult first = catalog.create("orders", 3, (short) 1, Map.of("retention.ms", "1000"));
        TopicCatalog.CreateResult second = catalog.create("orders", 5, (short) 1, Map.of());
        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.topic()).isEqualTo(first.topic());

        assertThat(catalog.update(first.topic().withPartitions(6))).isTrue();
        TopicRecord stored = catalog.get("orders").orElseThrow();
        assertThat(stored.partitions()).isEqualTo(6);
        assertThat(stored.id()).isEqualTo(first.topic().id());
        assertThat(stored.configs()).containsEntry("retention.ms", "1000");

        assertThat(catalog.delete("orders")).isPresent();
        assertThat(catalog.get("orders")).isEmpty();
        assertThat(catalog.update(stored)).as("update of a deleted topic").isFalse();
    }

    @Test
    void offsetsAndGroupsRoundTripAndDeleteTogether() throws Exception {
        GroupStore groups = new GroupStore(store, keyspace);
        PartitionKey p0 = new PartitionKey("t", 0);
        PartitionKey p1 = new PartitionKey("t", 1);
        groups.commitOffsets("g", Map.of(p0, new CommittedOffset(10, 3, "meta", 99), p1, new CommittedOffset(20, -1, null, 100))).get();
        groups.commitOffsets("other", Map.of(p0, new CommittedOffset(1, -1, "", 1))).get();
        groups.saveGroup(new GroupRecord("g", "consumer", "range", 4, "m1",
                List.of(new GroupRecord.Member("m1", null, "c", "/h", 10000, 30000, new byte[] {1, 2})))).get();

        Map<PartitionKey, CommittedOffset> read = groups.fetchOffsets("g").get();
        assertThat(read).containsEntry(p0, new CommittedOffset(10, 3, "meta", 99))
                .containsEntry(p1, new CommittedOffset(20, -1, null, 100)).hasSize(2);
        GroupRecord g = groups.loadGroups().get(0);
        assertThat(g.generation()).isEqualTo(4);
        assertThat(g.members().get(0).assignment()).containsExactly(1, 2);
        assertThat(groups.groupIds()).containsExactly("g", "other");

        groups.deleteGroup("g").get();
        assertThat(groups.fetchOffsets("g").get()).isEmpty();
        assertThat(groups.fetchOffsets("other").get()).hasSize(1);
        assertThat(groups.groupIds()).containsExactly("other");
    }

    @Test
    void aCommitOfAStaleGenerationIsRefusedInItsOwnTransaction() throws Exception {
        GroupStore groups = new GroupStore(store, keyspace);
        PartitionKey p0 = new PartitionKey("t", 0);
        groups.saveGroup(new GroupRecord("g", "consumer", "range", 3, "m1", List.of())).get();
        groups.commitOffsets("g", 3, Map.of(p0, new CommittedOffset(50, -1, "", 1))).get();
        assertThatThrownBy(() -> groups.commitOffsets("g", 2, Map.of(p0, new CommittedOffset(10, -1, "", 2))).get())
                .hasCauseInstanceOf(GroupStore.StaleGenerationException.class).hasMessageContaining("generation 3");
        assertThat(groups.fetchOffsets("g").get().get(p0).offset()).as("the late commit did not go back in time").isEqualTo(50);
        groups.commitOffsets("g", -1, Map.of(p0, new CommittedOffset(60, -1, "", 3))).get();
        assertThat(groups.fetchOffsets("g").get().get(p0).offset()).as("simple commits are not generation-checked").isEqualTo(60);
    }

    @Test
    void offsetsOfADeletedTopicGoButThoseOfItsSuccessorStay() throws Exception {
        GroupStore groups = new GroupStore(store, keyspace);
        PartitionKey old = new PartitionKey("t", 0);
        groups.commitOffsets("g", Map.of(old, new CommittedOffset(10, -1, "", 1, "id-old"),
                new PartitionKey("u", 0), new CommittedOffset(5, -1, "", 1, "id-u"))).get();
        groups.commitOffsets("h", Map.of(old, new CommittedOffset(7, -1, "", 1, "id-new"))).get();
        assertThat(groups.fetchOffsets("g").get().get(old).topicId()).isEqualTo("id-old");
        groups.deleteOffsetsOfTopic("t", "id-old");
        assertThat(groups.fetchOffsets("g").get()).containsOnlyKeys(new PartitionKey("u", 0));
        assertThat(groups.fetchOffsets("h").get()).containsKey(old);
    }

    @Test
    void aSegmentIsNotCommittedForATopicDeletedDuringItsUpload() {
        TopicCatalog catalog = new TopicCatalog(store, keyspace);
        SegmentManifestStore manifest = new SegmentManifestStore(store, keyspace);
        TopicRecord t = catalog.create("uploads", 1, (short) 1, Map.of()).topic();
        String key = "c/" + t.id() + "/0/" + String.format("%020d", 0) + "-0-u1.seg";
        SegmentEntry e = new SegmentEntry(0, 9, key, 100, 1, 2, 0, 3);
        assertThat(catalog.delete("uploads")).isPresent();
        TopicRecord recreated = catalog.create("uploads", 1, (short) 1, Map.of()).topic();
        assertThat(recreated.id()).isNotEqualTo(t.id());
        assertThatThrownBy(() -> manifest.commit(t.id(), 0, e, tx -> {
            if (!catalog.isLive(tx, "uploads", t.id())) {
                throw new IllegalStateException("topic gone");
            }
        })).hasMessageContaining("topic gone");
        assertThat(manifest.list(t.id(), 0)).isEmpty();
        assertThat(manifest.names(key)).isFalse();

        SegmentEntry ok = new SegmentEntry(0, 9, "c/" + recreated.id() + "/0/" + String.format("%020d", 0) + "-0-u2.seg", 100, 1, 2, 0, 3);
        manifest.commit(recreated.id(), 0, ok, tx -> assertThat(catalog.isLive(tx, "uploads", recreated.id())).isTrue());
        assertThat(manifest.names(ok.objectKey())).isTrue();
        assertThat(manifest.names(key)).as("same offsets, another attempt's object").isFalse();
    }

    @Test
    void manifestCommitsAreIdempotentAndNeverLeaveAGap() {
        SegmentManifestStore manifest = new SegmentManifestStore(store, keyspace);
        java.util.UUID topic = java.util.UUID.randomUUID();
        SegmentEntry first = new SegmentEntry(0, 99, "k/a.seg", 10, 1, 2, 0, 3);
        assertThat(manifest.commit(topic, 0, first)).isEqualTo(first);
        SegmentEntry retry = new SegmentEntry(0, 99, "k/b.seg", 10, 1, 2, 0, 4);
        assertThat(manifest.commit(topic, 0, retry)).as("a second attempt for the same offsets gets the first").isEqualTo(first);
        assertThatThrownBy(() -> manifest.commit(topic, 0, new SegmentEntry(150, 199, "k/c.seg", 10, 1, 2, 0, 5)))
                .hasMessageContaining("gap");
        SegmentEntry next = new SegmentEntry(100, 199, "k/d.seg", 10, 1, 2, 0, 6);
        assertThat(manifest.commit(topic, 0, next)).isEqualTo(next);
        assertThat(manifest.list(topic, 0)).containsExactly(first, next);
        assertThat(manifest.deleteTopic(topic)).containsExactlyInAnyOrder("k/a.seg", "k/d.seg");
        assertThat(manifest.list(topic, 0)).isEmpty();
    }

    @Test
    void nodesRegisterWithGrowingBrokerEpochsAndAReplacedNodeIsFenced() {
        NodeRegistry nodes = new NodeRegistry(store, keyspace);
        NodeRecord a = nodes.register(1, "h1", 9092, "az1", 1000, 5000);
        NodeRecord b = nodes.register(2, "h2", 9092, "az2", 1000, 5000);
        assertThat(b.brokerEpoch()).isGreaterThan(a.brokerEpoch());
        assertThatThrownBy(() -> nodes.register(1, "h3", 9092, null, 2000, 5000))
                .isInstanceOf(NodeRegistry.NodeIdInUseException.class).hasMessageContaining("h1:9092");
        NodeRecord restarted = nodes.register(1, "h1", 9092, "az1", 2000, 5000);
        assertThat(restarted.brokerEpoch()).isGreaterThan(b.brokerEpoch());
        assertThatThrownBy(() -> nodes.renew(1, a.brokerEpoch(), 3000, 5000)).isInstanceOf(NodeRegistry.FencedNodeException.class);
        assertThat(nodes.renew(1, restarted.brokerEpoch(), 3000, 5000).leaseExpiryMs()).isEqualTo(8000);
        assertThat(nodes.all()).extracting(NodeRecord::nodeId).containsExactlyInAnyOrder(1, 2);
        assertThat(nodes.all().stream().filter(n -> n.isLive(7000)).map(NodeRecord::nodeId)).containsExactly(1);
        nodes.deregister(1, restarted.brokerEpoch());
        assertThat(nodes.get(1).orElseThrow().isLive(3001)).isFalse();
    }

    @Test
    void aRestartedNodeIsRejoiningUntilTheControllerClearsItAndMayTakeOverItsOwnControllerLease() {
        NodeRegistry nodes = new NodeRegistry(store, keyspace);
        ClusterControl control = new ClusterControl(store, keyspace);
        NodeRecord first = nodes.register(7, "h7", 9092, "", 1000, 5000);
        assertThat(first.rejoining()).isTrue();
        assertThat(first.isEligible(2000)).as("neither leader nor in sync before the controller fenced its partitions").isFalse();
        ControllerRecord c1 = control.tryLead(7, first.brokerEpoch(), 1000, 5000).orElseThrow();
        nodes.rejoined(7, first.brokerEpoch(), control, c1.controllerEpoch());
        NodeRecord renewed = nodes.renew(7, first.brokerEpoch(), 1500, 5000);
        assertThat(renewed.rejoining()).isFalse();
        assertThat(renewed.isEligible(2000)).isTrue();
        NodeRecord again = nodes.register(7, "h7", 9092, "", 2000, 5000);
        assertThat(again.rejoining()).isTrue();
        ControllerRecord c2 = control.tryLead(7, again.brokerEpoch(), 2000, 5000).orElseThrow();
        assertThat(c2.controllerEpoch()).as("its previous life's lease is taken over at once, in a new epoch").isEqualTo(c1.controllerEpoch() + 1);
        assertThatThrownBy(() -> nodes.rejoined(7, again.brokerEpoch(), control, c1.controllerEpoch()))
                .as("a controller that was replaced cannot clear a rejoining node").isInstanceOf(ClusterControl.FencedControllerException.class);
        assertThat(nodes.get(7).orElseThrow().rejoining()).isTrue();
        nodes.requestShutdown(7, again.brokerEpoch());
        assertThat(nodes.get(7).orElseThrow().shuttingDown()).isTrue();
        assertThat(nodes.get(7).orElseThrow().rejoining()).isTrue();
    }

    @Test
    void oneControllerAtATimeAndAStaleOneCannotWritePlacements() {
        ClusterControl control = new ClusterControl(store, keyspace);
        ControllerRecord first = control.tryLead(1, 10, 1000, 5000).orElseThrow();
        assertThat(control.tryLead(2, 20, 2000, 5000)).as("lease held").isEmpty();
        assertThat(control.tryLead(1, 10, 2000, 5000).orElseThrow().controllerEpoch()).isEqualTo(first.controllerEpoch());
        java.util.UUID topic = java.util.UUID.randomUUID();
        PartitionPlacement p0 = new PartitionPlacement(1, 0, 0, List.of(1), List.of(1));
        assertThat(control.place(first.controllerEpoch(), topic, 0, -1, p0)).isTrue();
        assertThat(control.place(first.controllerEpoch(), topic, 0, -1, p0)).as("compare-and-set on the partition epoch").isFalse();
        ControllerRecord second = control.tryLead(2, 20, 8000, 5000).orElseThrow();
        assertThat(second.controllerEpoch()).isEqualTo(first.controllerEpoch() + 1);
        assertThatThrownBy(() -> control.place(first.controllerEpoch(), topic, 0, 0, new PartitionPlacement(1, 1, 1, List.of(1), List.of(1))))
                .isInstanceOf(ClusterControl.FencedControllerException.class);
        assertThat(control.place(second.controllerEpoch(), topic, 0, 0, new PartitionPlacement(2, 1, 1, List.of(2), List.of(2)))).isTrue();
        assertThat(control.allPlacements().get(topic).get(0).leader()).isEqualTo(2);
        control.deleteTopic(topic);
        assertThat(control.placements(topic)).isEmpty();
    }

    @Test
    void everyPlacementWriteMovesThePlacementVersionSoARoundReadsOnlyWhatChanged() {
        ClusterControl control = new ClusterControl(store, keyspace);
        ControllerRecord c = control.tryLead(1, 10, 1000, 5000).orElseThrow();
        java.util.UUID topic = java.util.UUID.randomUUID();
        ClusterControl.Placements start = control.allPlacementsIfChanged(-1).orElseThrow();
        assertThat(control.allPlacementsIfChanged(start.version())).as("nothing changed").isEmpty();
        assertThat(control.place(c.controllerEpoch(), topic, 0, -1, new PartitionPlacement(1, 0, 0, List.of(1, 2), List.of(1, 2)))).isTrue();
        ClusterControl.Placements placed = control.allPlacementsIfChanged(start.version()).orElseThrow();
        assertThat(placed.byTopic().get(topic).get(0).isr()).containsExactly(1, 2);
        assertThat(control.place(c.controllerEpoch(), topic, 0, -1, new PartitionPlacement(1, 0, 0, List.of(1), List.of(1))))
                .as("a refused write").isFalse();
        assertThat(control.allPlacementsIfChanged(placed.version())).as("a refused write changes nothing").isEmpty();
        assertThat(control.alterIsr(topic, 0, 1, 0, 0, List.of(1))).isPresent();
        ClusterControl.Placements shrunk = control.allPlacementsIfChanged(placed.version()).orElseThrow();
        assertThat(shrunk.byTopic().get(topic).get(0).isr()).containsExactly(1);
        control.deleteTopic(topic);
        assertThat(control.allPlacementsIfChanged(shrunk.version()).orElseThrow().byTopic()).doesNotContainKey(topic);
    }

    @Test
    void isrChangesAreCompareAndSetAndAReplacedLeaderIsFenced() {
        ClusterControl control = new ClusterControl(store, keyspace);
        ControllerRecord c = control.tryLead(1, 10, 1000, 5000).orElseThrow();
        java.util.UUID topic = java.util.UUID.randomUUID();
        control.place(c.controllerEpoch(), topic, 0, -1, new PartitionPlacement(1, 0, 0, List.of(1, 2, 3), List.of(1, 2, 3)));
        PartitionPlacement shrunk = control.alterIsr(topic, 0, 1, 0, 0, List.of(1, 2)).orElseThrow();
        assertThat(shrunk.partitionEpoch()).isEqualTo(1);
        assertThat(shrunk.isr()).containsExactly(1, 2);
        assertThat(control.alterIsr(topic, 0, 1, 0, 0, List.of(1))).as("a stale partition epoch").isEmpty();
        assertThat(control.alterIsr(topic, 0, 2, 0, 1, List.of(2))).as("not the leader").isEmpty();
        // A new leader in epoch 1: the old one can neither change the ISR nor commit in its epoch.
        control.place(c.controllerEpoch(), topic, 0, 1, shrunk.with(2, 1, 2, List.of(2)));
        assertThat(control.alterIsr(topic, 0, 1, 0, 2, List.of(1, 2))).isEmpty();
        assertThatThrownBy(() -> store.run(tx -> {
            control.checkLeader(tx, topic, 0, 1, 0);
            return null;
        })).isInstanceOf(ClusterControl.FencedLeaderException.class);
        store.run(tx -> {
            control.checkLeader(tx, topic, 0, 2, 1);
            return null;
        });
    }

    @Test
    void aReassignmentAddsTheNewReplicasFirstAndCanBeCancelled() {
        ClusterControl control = new ClusterControl(store, keyspace);
        ControllerRecord c = control.tryLead(1, 10, 1000, 5000).orElseThrow();
        java.util.UUID topic = java.util.UUID.randomUUID();
        control.place(c.controllerEpoch(), topic, 0, -1, new PartitionPlacement(1, 0, 0, List.of(1, 2), List.of(1, 2)));
        PartitionPlacement moving = control.reassign(topic, 0, List.of(3, 2)).orElseThrow();
        assertThat(moving.replicas()).containsExactly(3, 2, 1);
        assertThat(moving.addingReplicas()).containsExactly(3);
        assertThat(moving.removingReplicas()).containsExactly(1);
        assertThat(moving.targetReplicas()).containsExactly(3, 2);
        assertThat(moving.originalReplicas()).containsExactly(2, 1);
        assertThat(moving.leader()).isEqualTo(1);
        PartitionPlacement cancelled = control.reassign(topic, 0, null).orElseThrow();
        assertThat(cancelled.reassigning()).isFalse();
        assertThat(cancelled.replicas()).containsExactlyInAnyOrder(1, 2);
        assertThat(cancelled.leader()).isEqualTo(1);
        assertThat(control.reassign(java.util.UUID.randomUUID(), 0, List.of(1))).as("an unplaced partition").isEmpty();
    }

    @Test
    void clusterIdIsStable() {
        String id = ClusterIdentity.getOrCreate(store, keyspace);
        assertThat(ClusterIdentity.getOrCreate(store, keyspace)).isEqualTo(id).hasSize(22);
    }
}
