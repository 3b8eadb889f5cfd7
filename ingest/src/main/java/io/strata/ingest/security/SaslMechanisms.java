package io.strata.ingest.security;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.ScramCredentialCallback;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.SaslServer;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SASL mechanisms this node offers and their servers: kafka-clients' own SCRAM, PLAIN and
 * OAUTHBEARER servers, with credentials from the MetaStore ({@link ScramCredentials}) or, for
 * OAUTHBEARER, JWTs checked against the identity provider's keys ({@link OAuthBearerValidation}). PLAIN is offered only
 * on SASL_SSL unless {@code sasl.plain.allow.plaintext} is set: over SASL_PLAINTEXT its password
 * would cross the network in the clear.
 */
public final class SaslMechanisms {
    private static final Set<String> KNOWN = Set.of("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "OAUTHBEARER");

    private final List<String> enabled;
    private final boolean plainOverPlaintext;
    private final ScramCredentials credentials;
    /** Validates OAUTHBEARER tokens; null unless OAUTHBEARER is enabled. */
    private final javax.security.auth.callback.CallbackHandler oauthValidator;

    public SaslMechanisms(List<String> enabled, boolean plainOverPlaintext, ScramCredentials credentials,
                          javax.security.auth.callback.CallbackHandler oauthValidator) {
        this.enabled = List.copyOf(enabled);
        this.plainOverPlaintext = plainOverPlaintext;
        this.credentials = credentials;
        this.oauthValidator = oauthValidator;
    }

    public static SaslMechanisms of(BrokerConfig config, ScramCredentials credentials) {
        List<String> enabled = new ArrayList<>();
        for (String m : config.getString("sasl.enabled.mechanisms").split(",")) {
            String name = m.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!KNOWN.contains(name)) {
                throw new ConfigException("sasl.enabled.mechanisms: " + name + " is not supported; use SCRAM-SHA-256, SCRAM-SHA-512,"
                        + " PLAIN and/or OAUTHBEARER");
            }
            enabled.add(name);
        }
        if (enabled.isEmpty()) {
            throw new ConfigException("sasl.enabled.mechanisms is empty but a listener uses SASL");
        }
        return new SaslMechanisms(enabled, config.getBoolean("sasl.plain.allow.plaintext"), credentials,
                enabled.contains("OAUTHBEARER") ? OAuthBearerValidation.of(config) : null);
    }

    /** The mechanisms a client of a listener with this protocol may use. */
    public List<String> offered(SecurityProtocol protocol) {
        if (protocol == SecurityProtocol.SASL_SSL || plainOverPlaintext) {
            return enabled;
        }
        return enabled.stream().filter(m -> !m.equals("PLAIN")).toList();
    }

    /** A server for one exchange; {@code mechanism} must be one of {@link #offered}. */
    public SaslServer newServer(String mechanism) {
        if (mechanism.equals("OAUTHBEARER")) {
            return new org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerSaslServer(oauthValidator);
        }
        if (mechanism.equals("PLAIN")) {
            return new PlainSaslServer(callbacks -> {
                String user = null;
                for (Callback c : callbacks) {
                    if (c instanceof NameCallback n) {
                        user = n.getDefaultName();
                    } else if (c instanceof PlainAuthenticateCallback p) {
                        p.authenticated(user != null && credentials.checkPassword(user, new String(p.password())));
                    } else {
                        throw new UnsupportedCallbackException(c);
                    }
                }
            });
        }
        try {
            return new ScramSaslServer(ScramCredentials.mechanism(mechanism), Map.of(), callbacks -> {
                String user = null;
                for (Callback c : callbacks) {
                    if (c instanceof NameCallback n) {
                        user = n.getDefaultName();
                    } else if (c instanceof ScramCredentialCallback s) {
                        s.scramCredential(user == null ? null : credentials.lookup(user, mechanism).orElse(null));
                    } else {
                        throw new UnsupportedCallbackException(c);
                    }
                }
            });
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
