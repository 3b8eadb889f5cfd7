package io.strata.ingest.security;

/**
 * What the listeners need to secure their connections: TLS engines and the mapping of client
 * certificates to principals (null when no listener uses TLS), the SASL mechanisms (null when
 * none uses SASL), the longest a SASL session lasts before re-authentication (0: forever), and
 * how long a new connection on a SASL listener may take to authenticate.
 */
public record ConnectionSecurity(SslEngines tls, CertificatePrincipals certificatePrincipals, SaslMechanisms sasl,
                                 long maxReauthMs, long authenticationTimeoutMs) {
    public static final ConnectionSecurity NONE = new ConnectionSecurity(null, null, null, 0, 10_000);
}
