package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code strata partitions reassign} moves a partition's replicas (Kafka's
 * AlterPartitionReassignments: new replicas catch up as followers, then the old ones leave);
 * {@code strata partitions reassignments} lists the moves in progress.
 */
@Command(name = "partitions", mixinStandardHelpOptions = true, description = "Move partition replicas between nodes.",
        subcommands = {PartitionsCommand.Reassign.class, PartitionsCommand.Reassignments.class})
final class PartitionsCommand {

    @Command(name = "reassign", description = "Move one partition to a new replica set (the first replica is the preferred leader).")
    static final class Reassign implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;
        @Option(names = "--partition", required = true, description = "Partition number.")
        int partition;
        @Option(names = "--replicas", split = ",", description = "The new replica set, node ids separated by commas (e.g. 1,2,4).")
        List<Integer> replicas;
        @Option(names = "--cancel", description = "Cancel the reassignment in progress instead.")
        boolean cancel;

        @Override
        public Integer call() {
            if (cancel == (replicas != null)) {
                System.err.println("strata: give either --replicas or --cancel");
                return 2;
            }
            return o.withAdmin(admin -> {
                TopicPartition tp = new TopicPartition(topic, partition);
                Optional<NewPartitionReassignment> target = cancel ? Optional.empty() : Optional.of(new NewPartitionReassignment(replicas));
                admin.alterPartitionReassignments(Map.of(tp, target)).all().get();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("partition", tp.toString());
                out.put(cancel ? "cancelled" : "targetReplicas", cancel ? true : replicas);
                o.print(out, List.of("PARTITION", cancel ? "CANCELLED" : "TARGET-REPLICAS"), List.of(List.of(tp.toString(),
                        cancel ? "yes" : replicas.toString())));
                return 0;
            });
        }
    }

    @Command(name = "reassignments", description = "List the reassignments in progress.")
    static final class Reassignments implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                Map<TopicPartition, PartitionReassignment> all = admin.listPartitionReassignments().reassignments().get();
                List<Map<String, Object>> json = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                all.forEach((tp, r) -> {
                    json.add(Map.of("partition", tp.toString(), "replicas", r.replicas(), "adding", r.addingReplicas(), "removing", r.removingReplicas()));
                    rows.add(List.of(tp.toString(), r.replicas(), r.addingReplicas(), r.removingReplicas()));
                });
                o.print(json, List.of("PARTITION", "REPLICAS", "ADDING", "REMOVING"), rows);
                return 0;
            });
        }
    }
}
