package io.strata.ingest.security;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.security.ssl.DefaultSslEngineFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TLS for the listeners, built by kafka-clients' own {@link DefaultSslEngineFactory} from
 * Kafka's {@code ssl.*} settings (PKCS12, JKS or PEM key and trust stores, client
 * authentication, protocols, cipher suites), so a file that works with Kafka works here.
 * {@link #reloadIfChanged} swaps in a new factory when a store file changed on disk: new
 * connections get the new certificate, open ones keep theirs, nothing restarts.
 */
public final class SslEngines implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SslEngines.class);
    private static final Set<String> ALLOWED_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
    private static final List<String> KEYS = List.of("ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password",
            "ssl.key.password", "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.truststore.type",
            "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.certificates", "ssl.enabled.protocols",
            "ssl.cipher.suites", "ssl.endpoint.identification.algorithm");

    private final Map<String, Object> configs;
    private volatile DefaultSslEngineFactory factory;

    private SslEngines(Map<String, Object> configs) {
        this.configs = configs;
        this.factory = build(configs);
    }

    /** Reads the {@code ssl.*} settings; a missing key store or a bad password is a start-up error naming the setting. */
    public static SslEngines of(BrokerConfig config) {
        if (config.getString("ssl.keystore.location").isEmpty() && config.getString("ssl.keystore.certificate.chain").isEmpty()) {
            throw new ConfigException("a TLS listener (SSL or SASL_SSL) needs this node's certificate: set ssl.keystore.location"
                    + " (PKCS12, JKS or PEM) or ssl.keystore.certificate.chain and ssl.keystore.key");
        }
        for (String p : config.getString("ssl.enabled.protocols").split(",")) {
            if (!p.isBlank() && !ALLOWED_PROTOCOLS.contains(p.trim())) {
                throw new ConfigException("ssl.enabled.protocols: " + p.trim() + " is not allowed; use TLSv1.2 and/or TLSv1.3");
            }
        }
        Map<String, String> raw = new HashMap<>();
        for (String key : KEYS) {
            String v = config.getString(key);
            if (!v.isEmpty() || key.equals("ssl.endpoint.identification.algorithm")) {
                raw.put(key, v);
            }
        }
        if (raw.containsKey("ssl.keystore.certificate.chain")) {
            raw.put("ssl.keystore.type", "PEM");
        }
        if (raw.containsKey("ssl.truststore.certificates")) {
            raw.put("ssl.truststore.type", "PEM");
        }
        raw.put(BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG, config.getString("ssl.client.auth"));
        ConfigDef def = new ConfigDef().withClientSslSupport()
                .define(BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG, ConfigDef.Type.STRING, "none", ConfigDef.Importance.MEDIUM, "");
        Map<String, Object> parsed;
        try {
            parsed = def.parse(raw);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new ConfigException("TLS settings: " + e.getMessage());
        }
        return new SslEngines(parsed);
    }

    private static DefaultSslEngineFactory build(Map<String, Object> configs) {
        DefaultSslEngineFactory f = new DefaultSslEngineFactory();
        try {
            f.configure(configs);
        } catch (RuntimeException e) {
            throw new ConfigException("TLS settings: cannot load the key or trust store: " + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"));
        }
        return f;
    }

    /** An engine for one accepted connection. */
    public SSLEngine serverEngine(String peerHost, int peerPort) {
        return factory.createServerSslEngine(peerHost, peerPort);
    }

    /** An engine for a connection this node opens to another node's TLS listener. */
    public SSLEngine clientEngine(String peerHost, int peerPort) {
        return factory.createClientSslEngine(peerHost, peerPort, (String) configs.get(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG));
    }

    /**
     * A TLS connection to another node's SSL listener, presenting this node's certificate and
     * checking the peer's host name ({@code ssl.endpoint.identification.algorithm}).
     */
    public java.net.Socket connect(String host, int port, int timeoutMs) throws java.io.IOException {
        java.net.Socket plain = new java.net.Socket();
        try {
            plain.connect(new java.net.InetSocketAddress(host, port), timeoutMs);
            javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context().getSocketFactory().createSocket(plain, host, port, true);
            javax.net.ssl.SSLParameters params = tls.getSSLParameters();
            String identification = endpointIdentification();
            if (identification != null && !identification.isEmpty()) {
                params.setEndpointIdentificationAlgorithm(identification);
            }
            params.setProtocols(((List<?>) configs.get(SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG)).toArray(String[]::new));
            tls.setSSLParameters(params);
            tls.setSoTimeout(timeoutMs);
            tls.startHandshake();
            return tls;
        } catch (java.io.IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    public SSLContext context() {
        return factory.sslContext();
    }

    public String endpointIdentification() {
        return (String) configs.get(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG);
    }

    /** Rebuilds the factory when a key or trust store file changed; a broken new file keeps the old one serving. */
    public void reloadIfChanged() {
        DefaultSslEngineFactory current = factory;
        if (!current.shouldBeRebuilt(configs)) {
            return;
        }
        try {
            factory = build(configs);
            log.info("TLS key or trust store changed on disk: new connections use the new certificates");
            current.close();
        } catch (RuntimeException e) {
            log.warn("TLS key or trust store changed on disk but cannot be loaded; keeping the previous one: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        factory.close();
    }
}
