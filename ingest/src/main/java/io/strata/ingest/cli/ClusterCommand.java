package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code strata cluster}: the cluster id, controller and nodes; {@code strata cluster up} and
 * {@code down} run a cluster of local node processes.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Show the cluster: id, controller, nodes, topic count.",
        subcommands = {ClusterCommand.Up.class, ClusterCommand.Down.class})
final class ClusterCommand implements java.util.concurrent.Callable<Integer> {
    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start a cluster of node processes on this machine (one shared MetaStore and object store) and print its bootstrap servers.")
    static final class Up implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Option(names = "--nodes", defaultValue = "3", description = "How many nodes (default 3).")
        int nodes;

        @picocli.CommandLine.Option(names = "--dir", defaultValue = "./cluster", description = "Where the nodes keep their data, logs and pids (default ./cluster).")
        java.nio.file.Path dir;

        @picocli.CommandLine.Option(names = "--port", defaultValue = "9092", description = "Kafka port of node 1; node N listens on port+N-1 (default 9092).")
        int port;

        @picocli.CommandLine.Option(names = "--admin-port", defaultValue = "9644", description = "Admin HTTP port of node 1; node N uses admin-port+N-1 (default 9644).")
        int adminPort;

        @picocli.CommandLine.Option(names = "--metastore", description = "A shared MetaStore URL (e.g. postgresql://…); default: an embedded SQLite file under --dir.")
        String metastore;

        @picocli.CommandLine.Option(names = "--host", defaultValue = "localhost", description = "Host name the nodes advertise (default localhost).")
        String host;

        @Override
        public Integer call() throws Exception {
            if (nodes < 1) {
                System.err.println("strata: --nodes must be at least 1");
                return 2;
            }
            try {
                String bootstrap = new LocalCluster(dir).up(nodes, port, adminPort, metastore, host);
                System.out.println("Started " + nodes + " node(s) from " + dir.toAbsolutePath().normalize() + "; bootstrap servers:");
                System.out.println(bootstrap);
                System.out.println("Stop them with: ./strata cluster down" + (dir.toString().equals("./cluster") ? "" : " --dir " + dir));
                return 0;
            } catch (IllegalStateException e) {
                System.err.println("strata: " + e.getMessage());
                new LocalCluster(dir).down();
                return 1;
            }
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the nodes started by 'cluster up' (SIGTERM: each shuts down cleanly).")
    static final class Down implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Option(names = "--dir", defaultValue = "./cluster", description = "The --dir given to 'cluster up' (default ./cluster).")
        java.nio.file.Path dir;

        @Override
        public Integer call() throws Exception {
            LocalCluster cluster = new LocalCluster(dir);
            LocalCluster.Stopped down = cluster.down();
            System.out.println(down.stopped() == 0 ? "No cluster is running from " + dir : "Stopped " + down.stopped() + " node(s).");
            for (int n : down.alreadyExited()) {
                System.out.println("Node " + n + " had already exited; its output is in " + cluster.nodeLog(n));
            }
            return 0;
        }
    }

    @Mixin
    AdminOptions o;

    @picocli.CommandLine.Option(names = "--admin-url", description = "A node's admin HTTP address, for epochs and leases (default: the bootstrap host, port 9644).")
    String adminUrl;

    @Override
    public Integer call() {
        Map<String, Object> state = adminState();
        if (state != null) {
            return printState(state);
        }
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

    /** /api/cluster of the node, or null when its admin port does not answer (then Kafka's view is shown). */
    @SuppressWarnings("unchecked")
    private Map<String, Object> adminState() {
        String url = adminUrl != null ? adminUrl : "http://" + o.bootstrap.split(",")[0].replaceAll(":\\d+$", "") + ":9644";
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url.replaceAll("/+$", "") + "/api/cluster"))
                    .timeout(java.time.Duration.ofSeconds(3)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return null;
            }
            Map<String, Object> m = new com.fasterxml.jackson.databind.ObjectMapper().readValue(r.body(), Map.class);
            return m.containsKey("nodes") && m.get("nodes") instanceof List<?> ? m : null;
        } catch (Exception e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private int printState(Map<String, Object> state) {
        if (o.json) {
            o.print(state, List.of(), List.of());
            return 0;
        }
        Map<String, Object> controller = (Map<String, Object>) state.get("controller");
        Object controllerId = controller == null ? null : controller.get("nodeId");
        System.out.println("Cluster " + state.get("clusterId") + (controller == null ? ", no controller"
                : ", controller node " + controllerId + " (controller epoch " + controller.get("controllerEpoch")
                + ", lease " + controller.get("leaseRemainingMs") + " ms)"));
        List<List<Object>> rows = new ArrayList<>();
        for (Map<String, Object> n : (List<Map<String, Object>>) state.get("nodes")) {
            rows.add(List.of(n.get("nodeId"), n.get("host") + ":" + n.get("port"), n.get("rack") == null || "".equals(n.get("rack")) ? "-" : n.get("rack"),
                    n.get("brokerEpoch"), n.get("state"), n.get("leaseRemainingMs") + " ms", n.get("leaderships"), n.get("replicas"),
                    n.get("nodeId").equals(controllerId) ? "yes" : ""));
        }
        o.print(null, List.of("NODE", "ADDRESS", "RACK", "BROKER-EPOCH", "STATE", "LEASE", "LEADERS", "REPLICAS", "CONTROLLER"), rows);
        return 0;
    }
}
