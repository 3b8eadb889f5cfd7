package io.strata.ingest.cli;

import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** Flags shared by {@code dev} and {@code broker}; each maps to a setting and wins over file and environment. */
final class NodeOptions {
    @Option(names = "--data-dir", description = "Directory for logs and the embedded MetaStore (data.dir).")
    String dataDir;

    @Option(names = "--port", description = "Kafka listener port (port).")
    Integer port;

    @Option(names = "--admin-port", description = "Admin HTTP port (admin.port).")
    Integer adminPort;

    @Option(names = "--metastore", description = "MetaStore URL, e.g. sqlite:/var/lib/strata/meta.db (metastore).")
    String metastore;

    @Option(names = "--advertised-host", description = "Host name given to clients (advertised.host).")
    String advertisedHost;

    @Option(names = "--node-id", description = "This node's id (node.id).")
    Integer nodeId;

    @Option(names = "--log-format", defaultValue = "text", description = "Log as text (default) or json (one object per line).")
    String logFormat;

    @Option(names = {"-s", "--set"}, description = "Any setting as key=value, e.g. --set num.partitions=6. Repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    Map<String, String> overrides() {
        Map<String, String> out = new LinkedHashMap<>(settings);
        put(out, "data.dir", dataDir);
        put(out, "port", port);
        put(out, "admin.port", adminPort);
        put(out, "metastore", metastore);
        put(out, "advertised.host", advertisedHost);
        put(out, "node.id", nodeId);
        return out;
    }

    private static void put(Map<String, String> out, String key, Object value) {
        if (value != null) {
            out.put(key, value.toString());
        }
    }
}
