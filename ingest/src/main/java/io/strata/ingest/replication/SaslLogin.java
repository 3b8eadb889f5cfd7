package io.strata.ingest.replication;

import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.internals.ScramSaslClientProvider;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslClient;
import javax.security.sasl.SaslException;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * How a follower logs in to its leader's SASL inter-broker listener: Kafka's SaslHandshake and
 * SaslAuthenticate (KIP-152) driven by a standard {@link SaslClient} — kafka-clients' SCRAM client,
 * the JDK's PLAIN client — as the configured user. The leader checks the same credentials as for
 * any client, so the user needs ClusterAction (or to be a super user) when ACLs are on.
 */
public final class SaslLogin {
    public static final Set<String> MECHANISMS = Set.of("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN");

    static {
        ScramSaslClientProvider.initialize();
    }

    private final String mechanism;
    private final String user;
    private final char[] password;

    public SaslLogin(String mechanism, String user, String password) {
        if (!MECHANISMS.contains(mechanism)) {
            throw new IllegalArgumentException("nodes log in to each other with " + MECHANISMS + ", not " + mechanism);
        }
        this.mechanism = mechanism;
        this.user = user;
        this.password = password.toCharArray();
    }

    public String mechanism() {
        return mechanism;
    }

    /** Authenticates {@code connection}, just opened to {@code host}; fails with the leader's message when refused. */
    void authenticate(WireClient connection, String host) throws IOException {
        SaslHandshakeResponseData h = (SaslHandshakeResponseData) connection.send(new SaslHandshakeRequestData().setMechanism(mechanism), (short) 1);
        if (h.errorCode() != Errors.NONE.code()) {
            throw new IOException("node at " + host + " does not offer " + mechanism + " on its inter-broker listener (it offers "
                    + h.mechanisms() + "): " + Errors.forCode(h.errorCode()));
        }
        SaslClient client = Sasl.createSaslClient(new String[]{mechanism}, null, "kafka", host, Map.of(), this::handle);
        if (client == null) {
            throw new SaslException("no SASL client for " + mechanism + " in this JVM");
        }
        try {
            byte[] out = client.hasInitialResponse() ? client.evaluateChallenge(new byte[0]) : new byte[0];
            while (true) {
                SaslAuthenticateResponseData r = (SaslAuthenticateResponseData) connection.send(
                        new SaslAuthenticateRequestData().setAuthBytes(out), (short) 2);
                if (r.errorCode() != Errors.NONE.code()) {
                    throw new IOException("node at " + host + " refused inter-broker login as " + user + " (" + mechanism + "): "
                            + r.errorMessage());
                }
                if (client.isComplete()) {
                    return;
                }
                out = client.evaluateChallenge(r.authBytes());
                if (client.isComplete()) {
                    // SCRAM: the server's final message checked (it knows the password too); nothing more to send.
                    return;
                }
            }
        } finally {
            client.dispose();
        }
    }

    private void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback c : callbacks) {
            if (c instanceof NameCallback n) {
                n.setName(user);
            } else if (c instanceof PasswordCallback p) {
                p.setPassword(password.clone());
            } else {
                // kafka-clients' SCRAM client asks for extensions and does without them when refused.
                throw new UnsupportedCallbackException(c);
            }
        }
    }
}
