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

    /** Encodes a response frame (size prefix, response header, body) into one buffer. */
    public static ByteBuf encode(ByteBufAllocator alloc, Request request, ApiMessage response) {
        return (ByteBuf) encode(alloc, request, response, false).get(0);
    }

    /**
     * Encodes a response frame as the parts to write in order: buffers, and with
     * {@code fileRegions} the record bytes of segment files as file regions the kernel sends
     * itself (a plaintext connection); without, everything in one buffer.
     */
    public static java.util.List<Object> encode(ByteBufAllocator alloc, Request request, ApiMessage response, boolean fileRegions) {
        short version = request.version();
        short headerVersion = request.apiKey().responseHeaderVersion(version);
        if (request.apiKey() == ApiKeys.API_VERSIONS && !ApiVersionsTable.supports(ApiKeys.API_VERSIONS, version)) {
            version = 0;
        }
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(request.correlationId());
        int size = header.size(cache, headerVersion) + response.size(cache, version);
        // With file regions the buffers hold little more than the headers; grown as needed.
        ResponseWriter out = new ResponseWriter(alloc, fileRegions, fileRegions ? Math.min(4 + size, 4096) : 4 + size);
        try {
            out.writeInt(size);
            header.write(out, cache, headerVersion);
            response.write(out, cache, version);
            if (out.written() != 4 + (long) size) {
                throw new IllegalStateException(request.apiKey() + " v" + version + " response wrote " + (out.written() - 4)
                        + " bytes, its size is " + size);
            }
            return out.parts();
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }
}
