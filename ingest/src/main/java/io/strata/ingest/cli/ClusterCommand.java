package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code strata cluster}: the cluster id, controller and nodes. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Show the cluster: id, controller, nodes, topic count.")
final class ClusterCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    AdminOptions o;

    @Override
    public Integer call() {
        return o.withAdmin(admin -> {
            DescribeClusterResult c = admin.describeCluster();
            String id = c.clusterId().get();
            Node controller = c.controller().get();
            List<Map<String, Object>> nodes = new ArrayList<>();
            List<List<Object>> rows = new ArrayList<>();
            for (Node n : c.nodes().get()) {
                nodes.add(Map.of("nodeId", n.id(), "host", n.host(), "port", n.port(), "controller", n.id() == controller.id()));
                rows.add(List.of(n.id(), n.host() + ":" + n.port(), n.id() == controller.id() ? "yes" : ""));
            }
            int topics = admin.listTopics().names().get().size();
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("clusterId", id);
            json.put("controller", controller.id());
            json.put("topics", topics);
            json.put("nodes", nodes);
            if (o.json) {
                o.print(json, List.of(), List.of());
            } else {
                System.out.println("Cluster " + id + ", " + topics + " topic(s)");
                o.print(null, List.of("NODE", "ADDRESS", "CONTROLLER"), rows);
            }
            return 0;
        });
    }
}
