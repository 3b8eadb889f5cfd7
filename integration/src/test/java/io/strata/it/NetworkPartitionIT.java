package io.strata.it;

import io.strata.metastore.postgres.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Network partitions, with each node in its own network namespace ({@link NetworkNamespaces};
 * skipped where the machine does not allow creating them). Under idempotent acks=all load on
 * RF=3, min.insync.replicas=2: the leader is cut off from its followers but not from the
 * MetaStore, then (healed, and the next leader) from the MetaStore and clients but not from its
 * followers. The majority side keeps serving; after healing, every acknowledged record is
 * present exactly once where it was acknowledged — nothing the isolated side took survives as a
 * different value — and the replicas are identical.
 */
class NetworkPartitionIT {
    @TempDir
    Path dir;
    NetworkNamespaces net;
    ClusterHarness cluster;
    PostgresServer pg;

    @AfterEach
    void tearDown() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (pg != null) {
            pg.close();
        }
        if (net != null) {
            net.close();
        }
    }

    /** Whether partitions other than {@code skip} were acknowledged throughout [from, to] (no gap over 5 s). */
    private static boolean othersServed(ClusterHarness.Load load, int skipLeader, Admin admin, long from, long to) throws Exception {
        for (int p = 0; p < ClusterHarness.PARTITIONS; p++) {
            if (ClusterHarness.partition(admin, p).leader().id() == skipLeader) {
                continue;
            }
            List<Long> acks = load.ackMs.get(p);
            long last = from;
            synchronized (acks) {
                for (long t : acks) {
                    if (t >= from && t <= to) {
                        if (t - last > 5000) {
                            return false;
                        }
                        last = t;
                    }
                }
            }
            if (to - last > 5000) {
                return false;
            }
        }
        return true;
    }

    @Test
    void theMajoritySideServesAndNothingTheIsolatedSideTookSurvives() throws Exception {
        Assumptions.assumeTrue(NetworkNamespaces.available(), "creating network namespaces needs CAP_NET_ADMIN");
        net = NetworkNamespaces.create(3);
        pg = PostgresServer.startOn(NetworkNamespaces.HOST, "10.203.0.0/24");
        cluster = new ClusterHarness(dir);
        cluster.inNamespaces = true;
        cluster.startCluster(3, pg.newDatabase("partitions", NetworkNamespaces.HOST));
        try (Admin admin = cluster.admin()) {
            cluster.createTopic(admin);
            ClusterHarness.Load load = cluster.new Load();
            try {
                Thread.sleep(1500);

                // 1. The leader of partition 0 loses its followers but keeps the MetaStore.
                int leader = ClusterHarness.partition(admin, 0).leader().id();
                List<Integer> followers = IntStream.rangeClosed(1, 3).filter(i -> i != leader).boxed().toList();
                long cutAt = System.currentTimeMillis();
                for (int f : followers) {
                    net.link(leader, f, true);
                }
                Thread.sleep(9000);
                long end = System.currentTimeMillis();
                System.out.printf("cut %d from its followers: ISR of partition 0 now %s%n", leader,
                        ClusterHarness.partition(admin, 0).isr());
                assertThat(othersServed(load, leader, admin, cutAt + 6000, end)).as("partitions led elsewhere keep serving").isTrue();
                for (int f : followers) {
                    net.link(leader, f, false);
                }
                ClusterHarness.awaitIsr(admin, 3, 60_000);

                // 2. The (new) leader of partition 0 loses the MetaStore and its clients, but keeps its followers.
                int isolated = ClusterHarness.partition(admin, 0).leader().id();
                cutAt = System.currentTimeMillis();
                net.host(isolated, true);
                int next = ClusterHarness.awaitLeader(admin, 0, isolated, 60_000);
                long firstAck = load.firstAckAfter(cutAt, 60_000);
                System.out.printf("cut %d from the MetaStore: partition 0 led by %d, acknowledged again %d ms after the cut%n",
                        isolated, next, firstAck - cutAt);
                Thread.sleep(2000);
                net.host(isolated, false);
                ClusterHarness.awaitIsr(admin, 3, 60_000);
                Thread.sleep(1000);
            } finally {
                load.close();
            }
            long verified = cluster.verify(admin, load);
            cluster.assertReplicasIdentical(admin);
            System.out.printf("network partitions: %d acknowledged records verified, replicas identical%n", verified);
        }
    }
}
