package io.strata.ingest.server;

import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * One Kafka listener of this node, as Kafka names it: {@code name} (from {@code listeners}), its
 * security protocol (from {@code listener.security.protocol.map}), the address it binds and the
 * address clients of it are told to use (from {@code advertised.listeners}).
 */
public record Listener(String name, SecurityProtocol protocol, String bindHost, int bindPort, String advertisedHost,
                       int advertisedPort) {

    public boolean usesTls() {
        return protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL;
    }

    public boolean usesSasl() {
        return protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL;
    }

    /** The same listener once bound: port 0 asked for a free port, which is also what it advertises unless told otherwise. */
    public Listener bound(int actualPort) {
        return new Listener(name, protocol, bindHost, actualPort, advertisedHost, advertisedPort == 0 ? actualPort : advertisedPort);
    }

    @Override
    public String toString() {
        return name + "://" + bindHost + ":" + bindPort + " (" + protocol + ", advertised " + advertisedHost + ":" + advertisedPort + ")";
    }
}
