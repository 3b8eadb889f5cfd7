package io.strata.ingest.security;

import io.strata.metastore.store.AclStore;
import org.apache.kafka.common.Endpoint;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.server.authorizer.AclCreateResult;
import org.apache.kafka.server.authorizer.AclDeleteResult;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.apache.kafka.server.authorizer.AuthorizerServerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Kafka's {@link org.apache.kafka.server.authorizer.Authorizer} SPI over ACLs kept in the MetaStore
 * ({@link AclStore}) and cached in memory, reloaded when any node changes them. The rules are
 * Kafka's: super users may do anything; a DENY that matches wins over any ALLOW; ALL matches every
 * operation; READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies
 * DESCRIBE_CONFIGS; a resource nobody has an ACL for is open only with
 * {@code allow.everyone.if.no.acl.found}. Patterns are LITERAL (the name, or {@code *} for every
 * resource of the type) or PREFIXED; principals and hosts match exactly or by {@code *}.
 */
public final class AclAuthorizer implements org.apache.kafka.server.authorizer.Authorizer {
    private static final Logger log = LoggerFactory.getLogger(AclAuthorizer.class);
    private static final Set<AclOperation> IMPLY_DESCRIBE = EnumSet.of(AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE,
            AclOperation.DELETE, AclOperation.ALTER);
    private static final Set<AclOperation> IMPLY_DESCRIBE_CONFIGS = EnumSet.of(AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS);

    private final AclStore store;
    private final Set<KafkaPrincipal> superUsers;
    private final boolean allowIfNoAcl;
    private volatile List<AclBinding> cache = List.of();
    private AutoCloseable watch;

    public AclAuthorizer(AclStore store, Set<KafkaPrincipal> superUsers, boolean allowIfNoAcl) {
        this.store = store;
        this.superUsers = Set.copyOf(superUsers);
        this.allowIfNoAcl = allowIfNoAcl;
    }

    /** Parses {@code super.users}: principals separated by semicolons, e.g. {@code User:admin;User:CN=broker,O=acme}. */
    public static Set<KafkaPrincipal> superUsers(String spec) {
        Set<KafkaPrincipal> out = new java.util.HashSet<>();
        for (String p : spec.split(";")) {
            if (!p.isBlank()) {
                out.add(principal(p.trim(), "super.users"));
            }
        }
        return out;
    }

    /** A principal as Kafka writes it, TYPE:NAME, by kafka-clients' own parser. */
    private static KafkaPrincipal principal(String text, String what) {
        try {
            return org.apache.kafka.common.utils.internals.SecurityUtils.parseKafkaPrincipal(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a principal; expected TYPE:NAME, e.g. User:alice");
        }
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }

    @Override
    public Map<Endpoint, ? extends CompletionStage<Void>> start(AuthorizerServerInfo serverInfo) {
        return Map.of();
    }

    /** Loads the ACLs and follows changes made through any node. */
    public void start() {
        reload();
        watch = store.watch(this::reloadQuietly);
    }

    /** Picks up changes whose signal was missed (watchers may drop signals); called periodically. */
    public void reloadQuietly() {
        try {
            reload();
        } catch (RuntimeException e) {
            log.warn("cannot reload ACLs from the metastore (keeping the {} cached): {}", cache.size(), e.getMessage());
        }
    }

    private void reload() {
        List<AclBinding> loaded = new ArrayList<>();
        for (AclStore.Entry e : store.all()) {
            loaded.add(toBinding(e));
        }
        cache = List.copyOf(loaded);
    }

    @Override
    public List<AuthorizationResult> authorize(AuthorizableRequestContext context, List<Action> actions) {
        List<AuthorizationResult> out = new ArrayList<>(actions.size());
        for (Action a : actions) {
            AuthorizationResult r = authorize(context, a);
            if (r == AuthorizationResult.DENIED && a.logIfDenied()) {
                AuditLog.denied(context.principal().toString(), context.clientAddress() == null ? "-" : context.clientAddress().getHostAddress(),
                        a.operation().name(), a.resourcePattern().resourceType().name() + ":" + a.resourcePattern().name());
            }
            out.add(r);
        }
        return out;
    }

    private AuthorizationResult authorize(AuthorizableRequestContext context, Action action) {
        KafkaPrincipal principal = new KafkaPrincipal(context.principal().getPrincipalType(), context.principal().getName());
        if (superUsers.contains(principal)) {
            return AuthorizationResult.ALLOWED;
        }
        String host = context.clientAddress() == null ? "" : context.clientAddress().getHostAddress();
        ResourcePattern resource = action.resourcePattern();
        boolean anyAcl = false;
        boolean allowed = false;
        for (AclBinding b : cache) {
            if (!matchesResource(b.pattern(), resource)) {
                continue;
            }
            anyAcl = true;
            AccessControlEntry e = b.entry();
            if (!matchesPrincipal(e.principal(), principal) || !(e.host().equals("*") || e.host().equals(host))) {
                continue;
            }
            if (e.permissionType() == AclPermissionType.DENY && (e.operation() == AclOperation.ALL || e.operation() == action.operation())) {
                return AuthorizationResult.DENIED;
            }
            if (e.permissionType() == AclPermissionType.ALLOW && grants(e.operation(), action.operation())) {
                allowed = true;
            }
        }
        if (allowed) {
            return AuthorizationResult.ALLOWED;
        }
        return !anyAcl && allowIfNoAcl ? AuthorizationResult.ALLOWED : AuthorizationResult.DENIED;
    }

    private static boolean grants(AclOperation granted, AclOperation wanted) {
        if (granted == AclOperation.ALL || granted == wanted) {
            return true;
        }
        return wanted == AclOperation.DESCRIBE && IMPLY_DESCRIBE.contains(granted)
                || wanted == AclOperation.DESCRIBE_CONFIGS && IMPLY_DESCRIBE_CONFIGS.contains(granted);
    }

    private static boolean matchesResource(ResourcePattern acl, ResourcePattern resource) {
        if (acl.resourceType() != resource.resourceType()) {
            return false;
        }
        return switch (acl.patternType()) {
            case LITERAL -> acl.name().equals(ResourcePattern.WILDCARD_RESOURCE) || acl.name().equals(resource.name());
            case PREFIXED -> resource.name().startsWith(acl.name());
            default -> false;
        };
    }

    private static boolean matchesPrincipal(String aclPrincipal, KafkaPrincipal principal) {
        return aclPrincipal.equals(principal.toString()) || aclPrincipal.equals(principal.getPrincipalType() + ":*");
    }

    @Override
    public List<? extends CompletionStage<AclCreateResult>> createAcls(AuthorizableRequestContext context, List<AclBinding> bindings) {
        List<CompletableFuture<AclCreateResult>> out = new ArrayList<>();
        List<AclStore.Entry> valid = new ArrayList<>();
        for (AclBinding b : bindings) {
            String problem = invalid(b);
            if (problem != null) {
                out.add(CompletableFuture.completedFuture(new AclCreateResult(new InvalidRequestException(problem))));
            } else {
                valid.add(toEntry(b));
                out.add(null);
            }
        }
        RuntimeException failure = null;
        try {
            if (!valid.isEmpty()) {
                store.add(valid);
                reload();
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i) == null) {
                out.set(i, CompletableFuture.completedFuture(failure == null ? AclCreateResult.SUCCESS
                        : new AclCreateResult(new org.apache.kafka.common.errors.UnknownServerException(failure.getMessage()))));
            }
        }
        return out;
    }

    private static String invalid(AclBinding b) {
        if (b.pattern().resourceType() == ResourceType.ANY || b.pattern().resourceType() == ResourceType.UNKNOWN) {
            return "Invalid resource type " + b.pattern().resourceType();
        }
        if (b.pattern().patternType() != PatternType.LITERAL && b.pattern().patternType() != PatternType.PREFIXED) {
            return "Invalid pattern type " + b.pattern().patternType() + ": only LITERAL and PREFIXED ACLs can be created";
        }
        if (b.pattern().resourceType() == ResourceType.CLUSTER && !b.pattern().name().equals("kafka-cluster")) {
            return "The only valid name for the CLUSTER resource is kafka-cluster";
        }
        if (b.pattern().name().isEmpty()) {
            return "Resource name must not be empty";
        }
        if (b.entry().operation() == AclOperation.ANY || b.entry().operation() == AclOperation.UNKNOWN
                || b.entry().permissionType() == AclPermissionType.ANY || b.entry().permissionType() == AclPermissionType.UNKNOWN) {
            return "Invalid operation or permission type";
        }
        try {
            principal(b.entry().principal(), "principal");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    @Override
    public List<? extends CompletionStage<AclDeleteResult>> deleteAcls(AuthorizableRequestContext context, List<AclBindingFilter> filters) {
        List<AclBinding> current = cache;
        List<CompletableFuture<AclDeleteResult>> out = new ArrayList<>();
        List<AclStore.Entry> doomed = new ArrayList<>();
        List<List<AclBinding>> matched = new ArrayList<>();
        for (AclBindingFilter f : filters) {
            List<AclBinding> m = current.stream().filter(f::matches).toList();
            matched.add(m);
            m.forEach(b -> doomed.add(toEntry(b)));
        }
        if (!doomed.isEmpty()) {
            store.remove(doomed);
            reload();
        }
        for (List<AclBinding> m : matched) {
            List<AclDeleteResult.AclBindingDeleteResult> results = m.stream().map(AclDeleteResult.AclBindingDeleteResult::new).toList();
            out.add(CompletableFuture.completedFuture(new AclDeleteResult(results)));
        }
        return out;
    }

    @Override
    public Iterable<AclBinding> acls(AclBindingFilter filter) {
        return cache.stream().filter(filter::matches).toList();
    }

    @Override
    public int aclCount() {
        return cache.size();
    }

    @Override
    public void close() {
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception ignored) {
                // Stopping anyway.
            }
        }
    }

    private static AclStore.Entry toEntry(AclBinding b) {
        return new AclStore.Entry(b.pattern().resourceType().code(), b.pattern().patternType().code(), b.pattern().name(),
                b.entry().principal(), b.entry().host(), b.entry().operation().code(), b.entry().permissionType().code());
    }

    private static AclBinding toBinding(AclStore.Entry e) {
        return new AclBinding(new ResourcePattern(ResourceType.fromCode(e.resourceType()), e.resourceName(), PatternType.fromCode(e.patternType())),
                new AccessControlEntry(e.principal(), e.host(), AclOperation.fromCode(e.operation()), AclPermissionType.fromCode(e.permission())));
    }
}
