package io.strata.ingest.admin;

import io.strata.ingest.security.AuditLog;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Who may call the admin HTTP API: with a token ({@code admin.auth.token}), every path but the
 * open ones ({@code admin.auth.open.paths}: health, readiness and metrics by default) wants
 * {@code Authorization: Bearer <token>}, compared in constant time; a refusal is audited.
 */
public record AdminAuth(String token, Set<String> openPaths) {
    public static final AdminAuth NONE = new AdminAuth("", Set.of());

    public AdminAuth {
        openPaths = Set.copyOf(openPaths);
    }

    public static AdminAuth of(String token, String openPaths) {
        Set<String> open = new java.util.HashSet<>();
        for (String p : openPaths.split(",")) {
            if (!p.isBlank()) {
                open.add(p.trim());
            }
        }
        return new AdminAuth(token, open);
    }

    boolean permits(String path, String authorization, String peer) {
        if (token.isEmpty() || openPaths.contains(path)) {
            return true;
        }
        boolean ok = authorization != null && authorization.startsWith("Bearer ")
                && MessageDigest.isEqual(authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            AuditLog.authenticationFailed("admin-http", peer, "Bearer", null,
                    (authorization == null ? "no token" : "wrong token") + " for " + path);
        }
        return ok;
    }
}
