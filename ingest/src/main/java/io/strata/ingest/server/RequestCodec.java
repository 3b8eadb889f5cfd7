package io.strata.ingest.server;

import io.strata.ingest.security.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.strata.ingest.api.ApiVersionsTable;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

import java.nio.ByteBuffer;

/** Reads request frames into kafka-clients' generated message classes and writes responses. */
public final class RequestCodec {
    private RequestCodec() {
    }

    /**
     * Decodes one frame. Throws {@link InvalidFrameException} for an unknown API key, a version we
     * do not serve (except ApiVersions, answered per KIP-511), a truncated body or trailing bytes.
     */
    public static Request decode(ByteBuffer frame, Session session) {
        if (frame.remaining() < 8) {
            throw new InvalidFrameException("frame of " + frame.remaining() + " bytes is too short for a request header");
        }
        short keyId = frame.getShort(frame.position());
        short version = frame.getShort(frame.position() + 2);
        if (!ApiKeys.hasId(keyId)) {
            throw new InvalidFrameException("unknown API key " + keyId);
        }
        ApiKeys key = ApiKeys.forId(keyId);
        boolean apiVersionsFallback = key == ApiKeys.API_VERSIONS && !ApiVersionsTable.supports(key, version);
        if (!apiVersionsFallback && !ApiVersionsTable.supports(key, version)) {
            throw new InvalidFrameException("unsupported version " + version + " of " + key);
        }
        try {
            ByteBufferAccessor acc = new ByteBufferAccessor(frame);
            RequestHeaderData header = new RequestHeaderData();
            short headerVersion = key.requestHeaderVersion(version);
            header.read(acc, headerVersion);
            ByteBuffer raw = frame.slice();
            ApiMessage body = ApiMessageType.fromApiKey(keyId).newRequest();
            if (apiVersionsFallback) {
                // A newer client's ApiVersions: its body may not parse; the answer needs none of it.
                return new Request(header, key, version, body, raw, session);
            }
            body.read(acc, version);
            if (frame.hasRemaining()) {
                throw new InvalidFrameException(frame.remaining() + " unread bytes after " + key + " v" + version + " request");
            }
            return new Request(header, key, version, body, raw, session);
        } catch (InvalidFrameException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidFrameException("malformed " + key + " v" + version + " request: " + e, e);
        }
    }

    /** Encodes a response frame (size prefix, response header, body). */
    public static ByteBuf encode(ByteBufAllocator alloc, Request request, ApiMessage response) {
        short version = request.version();
        short headerVersion = request.apiKey().responseHeaderVersion(version);
        if (request.apiKey() == ApiKeys.API_VERSIONS && !ApiVersionsTable.supports(ApiKeys.API_VERSIONS, version)) {
            version = 0;
        }
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(request.correlationId());
        int size = header.size(cache, headerVersion) + response.size(cache, version);
        ByteBuf buf = alloc.buffer(4 + size);
        buf.writeInt(size);
        ByteBuffer nio = buf.nioBuffer(4, size);
        ByteBufferAccessor acc = new ByteBufferAccessor(nio);
        header.write(acc, cache, headerVersion);
        response.write(acc, cache, version);
        buf.writerIndex(4 + size);
        return buf;
    }
}
