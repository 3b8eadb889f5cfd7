package io.strata.ingest.security;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler;

import javax.security.auth.login.AppConfigurationEntry;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OAUTHBEARER token validation by kafka-clients' own {@link OAuthBearerValidatorCallbackHandler}:
 * a JWT's signature is checked against the identity provider's keys (a JWKS URL, or a file that is
 * re-read when it changes), and its expiry, audience and issuer against Kafka's
 * {@code sasl.oauthbearer.*} settings. The principal is {@code User:<sub>} (or the configured
 * claim). Kafka 4 allows a JWKS location only when it is listed in a JVM-wide allow-list; the
 * configured one is added to it. An https endpoint is trusted through the node's
 * {@code ssl.truststore.*} when set (an identity provider behind a private CA), else the JVM's CAs.
 */
final class OAuthBearerValidation {
    private OAuthBearerValidation() {
    }

    static OAuthBearerValidatorCallbackHandler of(BrokerConfig config) {
        String jwks = config.getString("sasl.oauthbearer.jwks.endpoint.url").trim();
        String audience = config.getString("sasl.oauthbearer.expected.audience").trim();
        String issuer = config.getString("sasl.oauthbearer.expected.issuer").trim();
        if (jwks.isEmpty() || audience.isEmpty() || issuer.isEmpty()) {
            throw new ConfigException("OAUTHBEARER needs sasl.oauthbearer.jwks.endpoint.url (the identity provider's keys),"
                    + " sasl.oauthbearer.expected.audience and sasl.oauthbearer.expected.issuer");
        }
        allow(BrokerSecurityConfigs.ALLOWED_SASL_OAUTHBEARER_URLS_CONFIG, jwks);
        if (jwks.startsWith("file:")) {
            allow(BrokerSecurityConfigs.ALLOWED_SASL_OAUTHBEARER_FILES_CONFIG, Path.of(URI.create(jwks)).toString());
        }
        Map<String, Object> raw = new HashMap<>();
        raw.put(SaslConfigs.SASL_OAUTHBEARER_JWKS_ENDPOINT_URL, jwks);
        raw.put(SaslConfigs.SASL_OAUTHBEARER_EXPECTED_AUDIENCE, audience);
        raw.put(SaslConfigs.SASL_OAUTHBEARER_EXPECTED_ISSUER, issuer);
        raw.put(SaslConfigs.SASL_OAUTHBEARER_SUB_CLAIM_NAME, config.getString("sasl.oauthbearer.sub.claim.name"));
        raw.put(SaslConfigs.SASL_OAUTHBEARER_SCOPE_CLAIM_NAME, config.getString("sasl.oauthbearer.scope.claim.name"));
        Map<String, Object> parsed;
        try {
            parsed = new ConfigDef().withClientSaslSupport().parse(raw);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new ConfigException("OAUTHBEARER settings: " + e.getMessage());
        }
        // An https JWKS endpoint is checked against the node's trust store when it has one (a private CA), else the JVM's CAs.
        Map<String, Object> moduleOptions = new HashMap<>();
        for (String key : List.of("ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type", "ssl.truststore.certificates")) {
            String v = config.getString(key);
            if (!v.isEmpty() && jwks.startsWith("https:")) {
                moduleOptions.put(key, v);
            }
        }
        OAuthBearerValidatorCallbackHandler handler = new OAuthBearerValidatorCallbackHandler();
        try {
            handler.configure(parsed, OAuthBearerLoginModule.OAUTHBEARER_MECHANISM, List.of(new AppConfigurationEntry(
                    OAuthBearerLoginModule.class.getName(), AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, moduleOptions)));
        } catch (RuntimeException e) {
            throw new ConfigException("OAUTHBEARER: cannot use the keys at " + jwks + ": " + e.getMessage());
        }
        return handler;
    }

    /** Adds {@code value} to a comma-separated JVM-wide allow-list of kafka-clients. */
    private static synchronized void allow(String property, String value) {
        Set<String> entries = new LinkedHashSet<>();
        String current = System.getProperty(property, "");
        for (String e : current.split(",")) {
            if (!e.isBlank()) {
                entries.add(e.trim());
            }
        }
        entries.add(value);
        System.setProperty(property, String.join(",", entries));
    }
}
