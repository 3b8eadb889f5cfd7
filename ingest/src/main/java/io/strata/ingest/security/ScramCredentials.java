package io.strata.ingest.security;

import io.strata.metastore.store.ScramCredentialStore;
import io.strata.metastore.store.ScramCredentialStore.Credential;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * SCRAM credentials made and checked with kafka-clients' {@link ScramFormatter}, kept in the
 * {@link ScramCredentialStore}. PLAIN logins are checked against the same credentials (the
 * password is salted and hashed as SCRAM would, then compared with the StoredKey), so one user
 * list serves every mechanism and no password is ever stored.
 */
public final class ScramCredentials {
    /** Kafka's default iteration count for a credential added without one (kafka-configs, Admin). */
    public static final int DEFAULT_ITERATIONS = 4096;
    public static final List<String> MECHANISMS = List.of("SCRAM-SHA-256", "SCRAM-SHA-512");

    private final ScramCredentialStore store;

    public ScramCredentials(ScramCredentialStore store) {
        this.store = store;
    }

    public ScramCredentialStore store() {
        return store;
    }

    public static ScramMechanism mechanism(String name) {
        ScramMechanism m = ScramMechanism.forMechanismName(name);
        if (m == null) {
            throw new IllegalArgumentException("unknown SCRAM mechanism " + name + "; expected one of " + MECHANISMS);
        }
        return m;
    }

    /** A new credential for {@code password} (a fresh random salt). */
    public static Credential fromPassword(String mechanism, String password, int iterations) {
        ScramMechanism m = mechanism(mechanism);
        checkIterations(m, iterations);
        try {
            return toStored(mechanism, new ScramFormatter(m).generateCredential(password, iterations));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A credential from the salted password a client computed (AlterUserScramCredentials: the password never travels). */
    public static Credential fromSaltedPassword(String mechanism, byte[] salt, byte[] saltedPassword, int iterations) {
        ScramMechanism m = mechanism(mechanism);
        checkIterations(m, iterations);
        try {
            return toStored(mechanism, new ScramFormatter(m).generateCredential(salt, saltedPassword, iterations));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static void checkIterations(ScramMechanism m, int iterations) {
        if (iterations < m.minIterations() || iterations > m.maxIterations()) {
            throw new IllegalArgumentException("iterations must be between " + m.minIterations() + " and " + m.maxIterations()
                    + " for " + m.mechanismName() + ", not " + iterations);
        }
    }

    private static Credential toStored(String mechanism, ScramCredential c) {
        return new Credential(mechanism, c.salt(), c.storedKey(), c.serverKey(), c.iterations());
    }

    /** The credential as kafka-clients' SCRAM server wants it, or empty for an unknown user. */
    public Optional<ScramCredential> lookup(String user, String mechanism) {
        return store.get(user, mechanism).map(c -> new ScramCredential(c.salt(), c.storedKey(), c.serverKey(), c.iterations()));
    }

    /** True when {@code password} is the user's: checked against the strongest SCRAM credential the user has. */
    public boolean checkPassword(String user, String password) {
        for (String name : List.of("SCRAM-SHA-512", "SCRAM-SHA-256")) {
            Optional<Credential> c = store.get(user, name);
            if (c.isPresent()) {
                try {
                    ScramFormatter f = new ScramFormatter(mechanism(name));
                    byte[] salted = f.saltedPassword(password, c.get().salt(), c.get().iterations());
                    return MessageDigest.isEqual(f.storedKey(f.clientKey(salted)), c.get().storedKey());
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return false;
    }
}
