package io.strata.ingest.security;

import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Who is on the other end of one connection: the listener it came in on, the client's address,
 * and the principal it proved (a TLS client certificate's mapped name, a SASL user, or
 * ANONYMOUS). On a SASL listener nothing but ApiVersions and the SASL requests is served until
 * the client has authenticated, and nothing once the session has expired (KIP-368: it must
 * authenticate again on the same connection).
 */
public final class Session {
    private final String connectionId;
    private final String listenerName;
    private final SecurityProtocol protocol;
    private final String clientHost;
    private volatile KafkaPrincipal principal = KafkaPrincipal.ANONYMOUS;
    private volatile boolean authenticated;
    /** System.nanoTime() after which the SASL session has expired; Long.MAX_VALUE: never. */
    private volatile long expiresAtNanos = Long.MAX_VALUE;

    public Session(String connectionId, String listenerName, SecurityProtocol protocol, String clientHost) {
        this.connectionId = connectionId;
        this.listenerName = listenerName;
        this.protocol = protocol;
        this.clientHost = clientHost;
        this.authenticated = protocol != SecurityProtocol.SASL_PLAINTEXT && protocol != SecurityProtocol.SASL_SSL;
    }

    /** A session for requests that come from no connection (tests, internal callers). */
    public static Session internal(String connectionId) {
        return new Session(connectionId, "PLAINTEXT", SecurityProtocol.PLAINTEXT, "");
    }

    public String connectionId() {
        return connectionId;
    }

    public String listenerName() {
        return listenerName;
    }

    public SecurityProtocol protocol() {
        return protocol;
    }

    public String clientHost() {
        return clientHost;
    }

    public KafkaPrincipal principal() {
        return principal;
    }

    /** The principal a TLS client certificate proved (before any SASL exchange). */
    public void certificatePrincipal(KafkaPrincipal p) {
        this.principal = p;
    }

    /** The client authenticated as {@code p} over SASL; the session lasts until {@code expiresAtNanos}. */
    public void authenticated(KafkaPrincipal p, long expiresAtNanos) {
        this.principal = p;
        this.expiresAtNanos = expiresAtNanos;
        this.authenticated = true;
    }

    public boolean isAuthenticated() {
        return authenticated;
    }

    public boolean expired(long nowNanos) {
        return nowNanos - expiresAtNanos > 0 && expiresAtNanos != Long.MAX_VALUE;
    }
}
