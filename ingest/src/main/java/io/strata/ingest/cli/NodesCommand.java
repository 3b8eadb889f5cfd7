package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code strata nodes drain ID}: moves every replica (and so every leadership) off a node before
 * it is taken away. Each partition on the node gets a reassignment that replaces it with the
 * least-loaded other live node not already a replica; with {@code --wait} the command returns once
 * the node holds nothing.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true, description = "Take nodes out of service.",
        subcommands = {NodesCommand.Drain.class})
final class NodesCommand {

    @Command(name = "drain", description = "Move every replica and leadership off a node.")
    static final class Drain implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "The node id to drain.")
        int nodeId;
        @Option(names = "--wait", description = "Wait until the node holds no replica (at most --timeout-ms).")
        boolean await;
        @Option(names = "--timeout-ms", defaultValue = "300000", description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
        long timeoutMs;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                List<Integer> live = admin.describeCluster().nodes().get().stream().map(Node::id).sorted().toList();
                Map<String, TopicDescription> topics = admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get();
                Map<Integer, Integer> load = new HashMap<>();
                live.forEach(n -> load.put(n, 0));
                topics.values().forEach(t -> t.partitions().forEach(p -> p.replicas().forEach(r -> load.merge(r.id(), 1, Integer::sum))));
                Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new LinkedHashMap<>();
                List<String> stuck = new ArrayList<>();
                for (TopicDescription t : topics.values()) {
                    for (TopicPartitionInfo p : t.partitions()) {
                        List<Integer> replicas = p.replicas().stream().map(Node::id).toList();
                        if (!replicas.contains(nodeId)) {
                            continue;
                        }
                        Optional<Integer> substitute = live.stream().filter(n -> n != nodeId && !replicas.contains(n))
                                .min((a, b) -> Integer.compare(load.get(a), load.get(b)));
                        TopicPartition tp = new TopicPartition(t.name(), p.partition());
                        if (substitute.isEmpty()) {
                            stuck.add(tp.toString());
                            continue;
                        }
                        load.merge(substitute.get(), 1, Integer::sum);
                        List<Integer> target = new ArrayList<>(replicas);
                        target.set(target.indexOf(nodeId), substitute.get());
                        // The node's leaderships move with it: put a replica that stays first.
                        if (target.get(0).equals(substitute.get()) && target.size() > 1) {
                            target.add(target.remove(0));
                        }
                        moves.put(tp, Optional.of(new NewPartitionReassignment(target)));
                    }
                }
                if (!moves.isEmpty()) {
                    admin.alterPartitionReassignments(moves).all().get();
                }
                if (!stuck.isEmpty()) {
                    System.err.println("strata: no other live node can take " + String.join(", ", stuck)
                            + " (every live node already holds a replica); add a node first");
                }
                if (await && !awaitEmpty(admin, nodeId, timeoutMs)) {
                    System.err.println("strata: node " + nodeId + " still holds replicas after " + timeoutMs + " ms");
                    return 1;
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("node", nodeId);
                out.put("moved", moves.size());
                out.put("stuck", stuck);
                o.print(out, List.of("NODE", "PARTITIONS-MOVED", "STUCK"), List.of(List.of(nodeId, moves.size(), stuck.size())));
                return stuck.isEmpty() ? 0 : 1;
            });
        }

        private static boolean awaitEmpty(Admin admin, int nodeId, long timeoutMs) throws Exception {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (System.currentTimeMillis() < deadline) {
                Map<String, TopicDescription> topics = admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get();
                boolean holds = topics.values().stream().anyMatch(t -> t.partitions().stream()
                        .anyMatch(p -> p.replicas().stream().anyMatch(r -> r.id() == nodeId)));
                if (!holds) {
                    return true;
                }
                Thread.sleep(500);
            }
            return false;
        }
    }
}
