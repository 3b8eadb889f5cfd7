package io.strata.ingest.server;

import io.strata.ingest.security.Session;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

import java.nio.ByteBuffer;

/**
 * One decoded request. {@code raw} is the body's bytes, kept so an error response of the right
 * shape can be built with Kafka's own request classes if handling fails.
 */
public record Request(RequestHeaderData header, ApiKeys apiKey, short version, ApiMessage body, ByteBuffer raw,
                      Session session) {

    public String connectionId() {
        return session.connectionId();
    }

    public int correlationId() {
        return header.correlationId();
    }

    public String clientId() {
        return header.clientId();
    }
}
