package io.strata.ingest.security;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import java.util.concurrent.TimeUnit;

/**
 * The SASL exchange of one connection (KIP-152): SaslHandshake picks a mechanism, then
 * SaslAuthenticate requests carry its tokens until the server is complete. A failed exchange is
 * answered with SASL_AUTHENTICATION_FAILED and a message, audited, and the connection closed
 * after the answer, as Kafka does. With {@code connections.max.reauth.ms} the session has a
 * lifetime (told to the client in SaslAuthenticate v1+) and the client authenticates again on
 * the same connection before it ends (KIP-368), as the same principal.
 */
public final class SaslAuthenticator {
    /** What to send back, and whether to close the connection once it is sent. */
    public record Answer(ApiMessage response, boolean closeAfter) {
    }

    private final Session session;
    private final SaslMechanisms mechanisms;
    private final long maxReauthMs;
    private SaslServer server;
    private String mechanism;

    public SaslAuthenticator(Session session, SaslMechanisms mechanisms, long maxReauthMs) {
        this.session = session;
        this.mechanisms = mechanisms;
        this.maxReauthMs = maxReauthMs;
    }

    public synchronized Answer handshake(SaslHandshakeRequestData request, short version) {
        SaslHandshakeResponseData response = new SaslHandshakeResponseData();
        response.mechanisms().addAll(mechanisms.offered(session.protocol()));
        if (version == 0) {
            return fail(response.setErrorCode(Errors.UNSUPPORTED_VERSION.code()),
                    "SaslHandshake v0 (SASL tokens outside Kafka's framing) is not supported: the client must use v1");
        }
        if (server != null) {
            return fail(response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code()), "a second SaslHandshake before the exchange ended");
        }
        if (!response.mechanisms().contains(request.mechanism())) {
            AuditLog.authenticationFailed(session.listenerName(), session.clientHost(), request.mechanism(), null,
                    "mechanism not offered on this listener");
            return new Answer(response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()), true);
        }
        mechanism = request.mechanism();
        server = mechanisms.newServer(mechanism);
        return new Answer(response.setErrorCode(Errors.NONE.code()), false);
    }

    public synchronized Answer authenticate(SaslAuthenticateRequestData request, short version) {
        SaslAuthenticateResponseData response = new SaslAuthenticateResponseData().setAuthBytes(new byte[0]);
        if (server == null) {
            return fail(response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                    .setErrorMessage("SaslAuthenticate before SaslHandshake"), "SaslAuthenticate before SaslHandshake");
        }
        byte[] challenge;
        try {
            challenge = server.evaluateResponse(request.authBytes());
        } catch (SaslAuthenticationException e) {
            return refused(response, e.getMessage());
        } catch (SaslException | RuntimeException e) {
            return refused(response, "Authentication failed during authentication due to invalid credentials with SASL mechanism " + mechanism);
        }
        response.setAuthBytes(challenge == null ? new byte[0] : challenge);
        if (!server.isComplete()) {
            return new Answer(response.setErrorCode(Errors.NONE.code()), false);
        }
        KafkaPrincipal principal = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, server.getAuthorizationID());
        if (session.isAuthenticated() && session.principal() != null && !session.principal().equals(KafkaPrincipal.ANONYMOUS)
                && !session.principal().equals(principal)) {
            return refused(response, "Cannot change principals during re-authentication from " + session.principal() + " to " + principal);
        }
        long lifetimeMs = maxReauthMs > 0 ? maxReauthMs : 0;
        // An OAUTHBEARER session ends with its token (KIP-368), when sessions end at all.
        if (lifetimeMs > 0 && server.getNegotiatedProperty("CREDENTIAL.LIFETIME.MS") instanceof Long expiresAtMs) {
            lifetimeMs = Math.max(1, Math.min(lifetimeMs, expiresAtMs - System.currentTimeMillis()));
        }
        disposeServer();
        session.authenticated(principal, lifetimeMs > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lifetimeMs) : Long.MAX_VALUE);
        if (version >= 1) {
            response.setSessionLifetimeMs(lifetimeMs);
        }
        return new Answer(response.setErrorCode(Errors.NONE.code()), false);
    }

    private Answer refused(SaslAuthenticateResponseData response, String message) {
        AuditLog.authenticationFailed(session.listenerName(), session.clientHost(), mechanism, attemptedUser(), message);
        disposeServer();
        return new Answer(response.setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code()).setErrorMessage(message), true);
    }

    private Answer fail(ApiMessage response, String why) {
        AuditLog.authenticationFailed(session.listenerName(), session.clientHost(), mechanism, null, why);
        disposeServer();
        return new Answer(response, true);
    }

    private String attemptedUser() {
        try {
            return server == null ? null : server.getAuthorizationID();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void disposeServer() {
        if (server != null) {
            try {
                server.dispose();
            } catch (SaslException ignored) {
                // Nothing held that matters.
            }
            server = null;
        }
    }
}
