package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code strata acls add|list|remove} with the flags of Kafka's {@code kafka-acls}
 * ({@code --allow-principal}, {@code --deny-principal}, {@code --operation}, {@code --topic},
 * {@code --group}, {@code --cluster}, {@code --resource-pattern-type}, {@code --allow-host},
 * {@code --deny-host}), through a node's CreateAcls, DescribeAcls and DeleteAcls.
 */
@Command(name = "acls", mixinStandardHelpOptions = true, description = "Add, list and remove ACLs (with authorizer.enabled=true).",
        subcommands = {AclsCommand.Add.class, AclsCommand.ListAcls.class, AclsCommand.Remove.class})
final class AclsCommand {

    /** The resources and principals a command names, as kafka-acls takes them. */
    static final class Selection {
        @Option(names = "--topic", description = "A topic (repeatable; * for every topic).")
        List<String> topics = new ArrayList<>();
        @Option(names = "--group", description = "A consumer group (repeatable; * for every group).")
        List<String> groups = new ArrayList<>();
        @Option(names = "--cluster", description = "The cluster itself (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, IDEMPOTENT_WRITE, …).")
        boolean cluster;
        @Option(names = "--resource-pattern-type", defaultValue = "literal",
                description = "literal or prefixed (add); also any or match (list, remove). Default: ${DEFAULT-VALUE}.")
        String patternType;
        @Option(names = "--allow-principal", description = "A principal to allow, e.g. User:alice (repeatable).")
        List<String> allowPrincipals = new ArrayList<>();
        @Option(names = "--deny-principal", description = "A principal to deny (repeatable).")
        List<String> denyPrincipals = new ArrayList<>();
        @Option(names = "--allow-host", description = "A host the allowed principals may come from (default: any, *).")
        List<String> allowHosts = new ArrayList<>();
        @Option(names = "--deny-host", description = "A host the denied principals are denied from (default: any, *).")
        List<String> denyHosts = new ArrayList<>();
        @Option(names = "--operation", description = "Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable).")
        List<String> operations = new ArrayList<>();
        @Option(names = "--principal", description = "list: only ACLs of this principal.")
        String principal;

        PatternType pattern() {
            try {
                return PatternType.fromString(patternType.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--resource-pattern-type must be literal, prefixed, any or match");
            }
        }

        List<ResourcePatternFilter> resources(boolean forAdd) {
            PatternType p = pattern();
            if (forAdd && p != PatternType.LITERAL && p != PatternType.PREFIXED) {
                throw new IllegalArgumentException("ACLs are added with --resource-pattern-type literal or prefixed");
            }
            List<ResourcePatternFilter> out = new ArrayList<>();
            topics.forEach(t -> out.add(new ResourcePatternFilter(ResourceType.TOPIC, t, p)));
            groups.forEach(g -> out.add(new ResourcePatternFilter(ResourceType.GROUP, g, p)));
            if (cluster) {
                out.add(new ResourcePatternFilter(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL));
            }
            return out;
        }

        List<AclOperation> operations() {
            List<AclOperation> out = new ArrayList<>();
            for (String o : operations) {
                AclOperation op = AclOperation.fromString(o.replace("_", "").replace("-", ""));
                if (op == AclOperation.UNKNOWN || op == AclOperation.ANY) {
                    throw new IllegalArgumentException("unknown --operation " + o);
                }
                out.add(op);
            }
            return out;
        }

        /** One {@code T} per named resource and entry (add builds bindings, remove filters). */
        <T> List<T> each(boolean forAdd, java.util.function.BiFunction<ResourcePatternFilter, AccessControlEntry, T> make) {
            List<ResourcePatternFilter> resources = resources(forAdd);
            if (resources.isEmpty()) {
                throw new IllegalArgumentException("name a resource: --topic, --group or --cluster");
            }
            List<AccessControlEntry> entries = entries();
            List<T> out = new ArrayList<>();
            resources.forEach(r -> entries.forEach(e -> out.add(make.apply(r, e))));
            return out;
        }

        /** Every (principal, host, permission) entry the flags describe, for each operation. */
        List<AccessControlEntry> entries() {
            List<AclOperation> ops = operations();
            if (ops.isEmpty()) {
                throw new IllegalArgumentException("give at least one --operation");
            }
            List<AccessControlEntry> out = new ArrayList<>();
            for (String p : allowPrincipals) {
                for (String h : allowHosts.isEmpty() ? List.of("*") : allowHosts) {
                    ops.forEach(op -> out.add(new AccessControlEntry(p, h, op, AclPermissionType.ALLOW)));
                }
            }
            for (String p : denyPrincipals) {
                for (String h : denyHosts.isEmpty() ? List.of("*") : denyHosts) {
                    ops.forEach(op -> out.add(new AccessControlEntry(p, h, op, AclPermissionType.DENY)));
                }
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("give --allow-principal or --deny-principal");
            }
            return out;
        }
    }

    @Command(name = "add", description = "Add ACLs.")
    static final class Add implements Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Mixin
        Selection s;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                List<AclBinding> bindings = s.each(true,
                        (r, e) -> new AclBinding(new ResourcePattern(r.resourceType(), r.name(), r.patternType()), e));
                admin.createAcls(bindings).all().get();
                System.out.println(bindings.size() + " ACL(s) added");
                return 0;
            });
        }
    }

    @Command(name = "list", description = "List ACLs (all, or of the resources and --principal given).")
    static final class ListAcls implements Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Mixin
        Selection s;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                List<ResourcePatternFilter> resources = s.resources(false);
                if (resources.isEmpty()) {
                    resources = List.of(ResourcePatternFilter.ANY);
                }
                List<AclBinding> found = new ArrayList<>();
                for (ResourcePatternFilter r : resources) {
                    found.addAll(admin.describeAcls(new AclBindingFilter(r,
                            new AccessControlEntryFilter(s.principal, null, AclOperation.ANY, AclPermissionType.ANY))).values().get());
                }
                print(o, found);
                return 0;
            });
        }
    }

    @Command(name = "remove", description = "Remove the ACLs the flags describe.")
    static final class Remove implements Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Mixin
        Selection s;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                List<AclBindingFilter> filters = s.each(false, (r, e) -> new AclBindingFilter(r, e.toFilter()));
                Collection<AclBinding> removed = admin.deleteAcls(filters).all().get();
                System.out.println(removed.size() + " ACL(s) removed");
                return 0;
            });
        }
    }

    static void print(AdminOptions o, List<AclBinding> bindings) {
        List<Map<String, Object>> json = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (AclBinding b : bindings) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("resourceType", b.pattern().resourceType().name());
            j.put("resource", b.pattern().name());
            j.put("patternType", b.pattern().patternType().name());
            j.put("principal", b.entry().principal());
            j.put("host", b.entry().host());
            j.put("operation", b.entry().operation().name());
            j.put("permission", b.entry().permissionType().name());
            json.add(j);
            rows.add(new ArrayList<>(j.values()));
        }
        o.print(json, List.of("TYPE", "RESOURCE", "PATTERN", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"), rows);
    }
}
