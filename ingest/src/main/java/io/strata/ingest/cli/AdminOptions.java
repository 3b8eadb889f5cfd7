package io.strata.ingest.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** Options every admin command shares, and its output helpers: aligned tables, or JSON with --json. */
final class AdminOptions {
    @Option(names = {"-b", "--bootstrap-server"}, defaultValue = "localhost:9092", description = "A Strata node (default: ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(names = "--json", description = "Print JSON for scripts instead of a table.")
    boolean json;

    @Option(names = "--command-config", paramLabel = "FILE",
            description = "Client properties, as Kafka's tools take them (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location, …).")
    java.nio.file.Path commandConfig;

    Admin admin() {
        // The Kafka client logs every failed connection attempt; a CLI reports one line of its own.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.kafka")).setLevel(Level.OFF);
        String problem = Reachability.problem(bootstrap);
        if (problem != null) {
            throw new UnreachableException(problem);
        }
        Properties p = new Properties();
        if (commandConfig != null) {
            try (java.io.Reader r = java.nio.file.Files.newBufferedReader(commandConfig)) {
                p.load(r);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read --command-config " + commandConfig + ": " + e.getMessage());
            }
        }
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return Admin.create(p);
    }

    void print(Object jsonValue, List<String> header, List<List<Object>> rows) {
        if (json) {
            try {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(jsonValue));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        int[] width = new int[header.size()];
        List<List<String>> cells = new ArrayList<>();
        cells.add(header);
        for (List<Object> r : rows) {
            cells.add(r.stream().map(o -> o == null ? "-" : o.toString()).toList());
        }
        for (List<String> r : cells) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        for (List<String> r : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                line.append(String.format("%-" + (width[i] + 2) + "s", r.get(i)));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }

    /** Runs an admin action; failures print one line and give exit code 1. */
    static int run(AdminAction action) {
        try {
            return action.run();
        } catch (ExecutionException e) {
            System.err.println("strata: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()));
            return 1;
        } catch (Exception e) {
            System.err.println("strata: " + e.getMessage());
            return 1;
        }
    }

    /** No bootstrap address answers: the message says which and what to check. */
    static final class UnreachableException extends RuntimeException {
        UnreachableException(String message) {
            super(message);
        }
    }

    interface AdminAction {
        int run() throws Exception;
    }

    interface AdminWork {
        int run(Admin admin) throws Exception;
    }

    /** Runs {@code work} with an Admin client that is closed afterwards; failures as in {@link #run}. */
    int withAdmin(AdminWork work) {
        return run(() -> {
            try (Admin admin = admin()) {
                return work.run(admin);
            }
        });
    }
}
