package io.strata.ingest.security;

import io.strata.ingest.config.ConfigException;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import java.io.IOException;
import java.security.Principal;

/**
 * The principal of a TLS client: its certificate's distinguished name (RFC 2253) mapped by
 * Kafka's {@code ssl.principal.mapping.rules} with kafka-clients' own {@link SslPrincipalMapper},
 * so {@code User:CN=app,O=acme} or, with a rule, {@code User:app}, exactly as Kafka names it.
 * A client without a certificate is ANONYMOUS.
 */
public final class CertificatePrincipals {
    private final SslPrincipalMapper mapper;

    public CertificatePrincipals(String rules) {
        try {
            this.mapper = SslPrincipalMapper.fromRules(rules);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("ssl.principal.mapping.rules: " + e.getMessage());
        }
    }

    public KafkaPrincipal of(SSLSession session) {
        Principal peer;
        try {
            peer = session.getPeerPrincipal();
        } catch (SSLPeerUnverifiedException e) {
            return KafkaPrincipal.ANONYMOUS;
        }
        String dn = peer instanceof X500Principal x ? x.getName(X500Principal.RFC2253) : peer.getName();
        try {
            return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, mapper.getName(dn));
        } catch (IOException e) {
            // No rule matched: Kafka refuses such a client too.
            throw new IllegalStateException("no ssl.principal.mapping.rules rule maps " + dn, e);
        }
    }
}
