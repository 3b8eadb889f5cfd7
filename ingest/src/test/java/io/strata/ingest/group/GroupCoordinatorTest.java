package io.strata.ingest.group;

import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.sqlite.SqliteMetaStore;
import io.strata.metastore.store.CommittedOffset;
import io.strata.metastore.store.GroupRecord;
import io.strata.metastore.store.GroupStore;
import io.strata.metastore.store.PartitionKey;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The classic group protocol's state machine over a real (SQLite) MetaStore. */
class GroupCoordinatorTest {
    @TempDir
    Path dir;
    MetaStore store;
    GroupStore groups;
    GroupCoordinator coordinator;
    ScheduledExecutorService timer;

    @BeforeEach
    void start() {
        store = SqliteMetaStore.open(dir.resolve("meta.db"));
        groups = new GroupStore(store, new Keyspace("test"));
        timer = Executors.newSingleThreadScheduledExecutor();
        coordinator = new GroupCoordinator(groups, System::currentTimeMillis, timer, 0, 6000, 300_000);
        coordinator.start();
    }

    @AfterEach
    void stop() {
        coordinator.close();
        timer.shutdownNow();
        store.close();
    }

    private JoinResult join(String group, String memberId) throws Exception {
        return coordinator.join(new GroupCoordinator.JoinRequest(group, memberId, null, "client", "/127.0.0.1", 10_000, 10_000,
                "consumer", List.of(new Protocol("range", new byte[] {1})), false)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMemberJoinsSyncsAndItsAssignmentIsStoredBeforeItIsHandedOut() throws Exception {
        JoinResult joined = join("g", "");
        assertThat(joined.error()).isEqualTo(Errors.NONE);
        assertThat(joined.leaderId()).isEqualTo(joined.memberId());
        SyncResult synced = coordinator.sync("g", joined.generation(), joined.memberId(), null,
                Map.of(joined.memberId(), new byte[] {4, 2})).get(10, TimeUnit.SECONDS);
        assertThat(synced.error()).isEqualTo(Errors.NONE);
        assertThat(synced.assignment()).containsExactly(4, 2);
        GroupRecord stored = groups.loadGroups().get(0);
        assertThat(stored.generation()).isEqualTo(joined.generation());
        assertThat(stored.members()).singleElement().satisfies(m -> assertThat(m.assignment()).containsExactly(4, 2));
        assertThat(coordinator.heartbeat("g", joined.generation(), joined.memberId(), null)).isEqualTo(Errors.NONE);
        assertThat(coordinator.heartbeat("g", joined.generation() - 1, joined.memberId(), null)).isEqualTo(Errors.ILLEGAL_GENERATION);
    }

    @Test
    void aSyncWhoseAssignmentCannotBeStoredIsAnsweredWithARetriableError() throws Exception {
        JoinResult joined = join("g", "");
        store.close();
        SyncResult synced = coordinator.sync("g", joined.generation(), joined.memberId(), null,
                Map.of(joined.memberId(), new byte[] {1})).get(10, TimeUnit.SECONDS);
        assertThat(synced.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        store = SqliteMetaStore.open(dir.resolve("meta.db"));
    }

    @Test
    void aCommitThatArrivesAfterTheGroupMovedOnIsRefused() throws Exception {
        JoinResult joined = join("g", "");
        coordinator.sync("g", joined.generation(), joined.memberId(), null, Map.of(joined.memberId(), new byte[0])).get(10, TimeUnit.SECONDS);
        PartitionKey tp = new PartitionKey("t", 0);
        coordinator.commitOffsets("g", joined.generation(), Map.of(tp, new CommittedOffset(10, -1, "", 1))).get(10, TimeUnit.SECONDS);
        assertThat(coordinator.leave("g", joined.memberId(), null)).isEqualTo(Errors.NONE);
        // The member's last commit, delayed in the network, arrives after the group moved to the next generation.
        assertThatThrownBy(() -> coordinator.commitOffsets("g", joined.generation(), Map.of(tp, new CommittedOffset(5, -1, "", 2)))
                .get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(GroupStore.StaleGenerationException.class);
        assertThat(coordinator.fetchOffsets("g").get(10, TimeUnit.SECONDS).get(tp).offset()).isEqualTo(10);
        assertThat(coordinator.validateCommit("g", joined.generation(), joined.memberId(), null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }
}
