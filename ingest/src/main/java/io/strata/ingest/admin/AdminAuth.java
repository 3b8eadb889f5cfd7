package io.strata.ingest.admin;

import io.strata.ingest.security.AuditLog;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Who may call the admin HTTP API. With a token ({@code admin.auth.token}) or client
 * certificates (HTTPS with {@code ssl.client.auth} requested or required for the admin API),
 * every path but the open ones ({@code admin.auth.open.paths}: health, readiness and metrics by
 * default) wants {@code Authorization: Bearer <token>}, compared in constant time, or a client
 * certificate the trust store vouches for; a refusal is audited.
 */
public record AdminAuth(String token, Set<String> openPaths, boolean certificates) {
    public static final AdminAuth NONE = new AdminAuth("", Set.of(), false);

    public AdminAuth {
        openPaths = Set.copyOf(openPaths);
    }

    public static AdminAuth of(String token, String openPaths) {
        return of(token, openPaths, false);
    }

    /** {@code certificates}: a verified client certificate authenticates a request too (mutual TLS). */
    public static AdminAuth of(String token, String openPaths, boolean certificates) {
        Set<String> open = new java.util.HashSet<>();
        for (String p : openPaths.split(",")) {
            if (!p.isBlank()) {
                open.add(p.trim());
            }
        }
        return new AdminAuth(token, open, certificates);
    }

    boolean permits(String path, String authorization, String peer, String clientCertificate) {
        if ((token.isEmpty() && !certificates) || openPaths.contains(path)) {
            return true;
        }
        if (certificates && clientCertificate != null) {
            return true;
        }
        boolean ok = !token.isEmpty() && authorization != null && authorization.startsWith("Bearer ")
                && MessageDigest.isEqual(authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
        if (!ok) {
            AuditLog.authenticationFailed("admin-http", peer, certificates ? "client certificate or Bearer" : "Bearer", null,
                    (authorization == null ? "no token" : "wrong token") + (certificates ? " and no client certificate" : "") + " for " + path);
        }
        return ok;
    }
}
