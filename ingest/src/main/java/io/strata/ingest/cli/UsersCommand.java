package io.strata.ingest.cli;

import io.strata.ingest.security.ScramCredentials;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStores;
import io.strata.metastore.store.ScramCredentialStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code strata users add|delete|list}: SCRAM users. With {@code --metastore URL} they write the
 * MetaStore directly (the first admin, before any node runs, as {@code kafka-storage format
 * --add-scram} does); otherwise they go through a node with Kafka's Admin API (KIP-554), using
 * {@code --command-config} for the client's own credentials.
 */
@Command(name = "users", mixinStandardHelpOptions = true, description = "Add, delete and list SCRAM users (SASL).",
        subcommands = {UsersCommand.Add.class, UsersCommand.Delete.class, UsersCommand.ListUsers.class})
final class UsersCommand {

    /** Where users are written: a node, or the MetaStore itself. */
    static final class Target {
        @Mixin
        AdminOptions o;
        @Option(names = "--metastore", paramLabel = "URL", description = "Write the MetaStore directly (sqlite:…, postgresql://…, fdb:…) instead of going through a node.")
        String metastore;
        @Option(names = "--cluster-name", defaultValue = "strata", description = "The cluster's name in the MetaStore (default: ${DEFAULT-VALUE}).")
        String clusterName;

        <T> T withStore(java.util.function.Function<ScramCredentialStore, T> work) {
            try (MetaStore store = MetaStores.open(metastore)) {
                return work.apply(new ScramCredentialStore(store, new Keyspace(clusterName)));
            }
        }
    }

    @Command(name = "add", description = "Add a user, or set a new password for one.")
    static final class Add implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name.")
        String user;
        @Option(names = "--mechanism", defaultValue = "SCRAM-SHA-512", description = "SCRAM-SHA-256 or SCRAM-SHA-512 (default: ${DEFAULT-VALUE}).")
        String mechanism;
        @Option(names = "--iterations", defaultValue = "4096", description = "SCRAM iterations (default: ${DEFAULT-VALUE}).")
        int iterations;
        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        @Override
        public Integer call() {
            return AdminOptions.run(() -> {
                String password = password();
                ScramCredentials.mechanism(mechanism);
                if (target.metastore != null) {
                    target.withStore(s -> {
                        s.put(user, ScramCredentials.fromPassword(mechanism, password, iterations));
                        return null;
                    });
                } else {
                    try (Admin admin = target.o.admin()) {
                        List<UserScramCredentialAlteration> change = List.of(new UserScramCredentialUpsertion(user,
                                new ScramCredentialInfo(ScramMechanism.fromMechanismName(mechanism), iterations), password));
                        admin.alterUserScramCredentials(change).all().get();
                    }
                }
                System.out.println("user " + user + ": " + mechanism + " credentials set");
                return 0;
            });
        }

        private String password() throws Exception {
            if (passwordStdin) {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (line == null || line.isEmpty()) {
                    throw new IllegalArgumentException("--password-stdin: no password on standard input");
                }
                return line;
            }
            java.io.Console console = System.console();
            if (console == null) {
                throw new IllegalArgumentException("give the password on standard input with --password-stdin");
            }
            char[] first = console.readPassword("Password for %s: ", user);
            char[] again = console.readPassword("Again: ");
            if (first == null || !java.util.Arrays.equals(first, again)) {
                throw new IllegalArgumentException("the passwords differ");
            }
            return new String(first);
        }
    }

    @Command(name = "delete", description = "Delete a user's credentials (all mechanisms unless --mechanism).")
    static final class Delete implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name.")
        String user;
        @Option(names = "--mechanism", description = "Only this mechanism's credentials.")
        String mechanism;

        @Override
        public Integer call() {
            return AdminOptions.run(() -> {
                List<String> mechanisms = mechanism != null ? List.of(mechanism) : ScramCredentials.MECHANISMS;
                mechanisms.forEach(ScramCredentials::mechanism);
                int deleted = 0;
                if (target.metastore != null) {
                    for (String m : mechanisms) {
                        String mm = m;
                        deleted += target.withStore(s -> s.delete(user, mm)) ? 1 : 0;
                    }
                } else {
                    try (Admin admin = target.o.admin()) {
                        Map<String, UserScramCredentialsDescription> d = admin.describeUserScramCredentials().all().get();
                        List<UserScramCredentialAlteration> change = new ArrayList<>();
                        for (ScramCredentialInfo info : d.containsKey(user) ? d.get(user).credentialInfos() : List.<ScramCredentialInfo>of()) {
                            if (mechanisms.contains(info.mechanism().mechanismName())) {
                                change.add(new UserScramCredentialDeletion(user, info.mechanism()));
                            }
                        }
                        if (!change.isEmpty()) {
                            admin.alterUserScramCredentials(change).all().get();
                        }
                        deleted = change.size();
                    }
                }
                if (deleted == 0) {
                    System.err.println("strata: user " + user + " has no " + String.join(" or ", mechanisms) + " credentials");
                    return 1;
                }
                System.out.println("user " + user + ": " + deleted + " credential(s) deleted");
                return 0;
            });
        }
    }

    @Command(name = "list", description = "List users and their SCRAM mechanisms.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() {
            return AdminOptions.run(() -> {
                Map<String, Map<String, Integer>> users;
                if (target.metastore != null) {
                    users = target.withStore(ScramCredentialStore::list);
                } else {
                    users = new TreeMap<>();
                    try (Admin admin = target.o.admin()) {
                        for (var e : admin.describeUserScramCredentials().all().get().entrySet()) {
                            Map<String, Integer> m = new TreeMap<>();
                            e.getValue().credentialInfos().forEach(i -> m.put(i.mechanism().mechanismName(), i.iterations()));
                            users.put(e.getKey(), m);
                        }
                    }
                }
                List<Map<String, Object>> json = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                users.forEach((user, mechanisms) -> {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("user", user);
                    j.put("mechanisms", mechanisms);
                    json.add(j);
                    mechanisms.forEach((m, it) -> rows.add(List.of(user, m, it)));
                });
                target.o.print(json, List.of("USER", "MECHANISM", "ITERATIONS"), rows);
                return 0;
            });
        }
    }
}
