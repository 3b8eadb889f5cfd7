package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.strata.ingest.api.ApiVersionsTable;
import io.strata.ingest.security.Session;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every API and version Strata claims round-trips through the codec: a request written by
 * kafka-clients' own message classes decodes whole, and a response encodes in a shape the
 * client reads back. Versions outside the table are refused (ApiVersions excepted, KIP-511).
 */
class RequestCodecTest {
    private static ByteBuffer frame(ApiKeys key, short version, ApiMessage body, short headerVersion) {
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setCorrelationId(42).setClientId("codec-test");
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buf = ByteBuffer.allocate(size);
        ByteBufferAccessor acc = new ByteBufferAccessor(buf);
        header.write(acc, cache, headerVersion);
        body.write(acc, cache, version);
        buf.flip();
        return buf;
    }

    @Test
    void everyClaimedVersionOfEveryApiRoundTrips() {
        List<String> swept = new ArrayList<>();
        for (ApiKeys key : ApiKeys.values()) {
            for (short v = key.oldestVersion(); v <= key.latestVersion(); v++) {
                if (!ApiVersionsTable.supports(key, v)) {
                    continue;
                }
                ApiMessage body = ApiMessageType.fromApiKey(key.id).newRequest();
                Request r = RequestCodec.decode(frame(key, v, body, key.requestHeaderVersion(v)), Session.internal("test"));
                assertThat(r.apiKey()).isEqualTo(key);
                assertThat(r.version()).isEqualTo(v);
                assertThat(r.correlationId()).isEqualTo(42);
                assertThat(r.body()).isEqualTo(body);

                ApiMessage response = ApiMessageType.fromApiKey(key.id).newResponse();
                ByteBuf encoded = RequestCodec.encode(ByteBufAllocator.DEFAULT, r, response);
                try {
                    int size = encoded.readInt();
                    assertThat(encoded.readableBytes()).isEqualTo(size);
                    ByteBuffer nio = encoded.nioBuffer();
                    ByteBufferAccessor acc = new ByteBufferAccessor(nio);
                    ResponseHeaderData rh = new ResponseHeaderData();
                    rh.read(acc, key.responseHeaderVersion(v));
                    assertThat(rh.correlationId()).isEqualTo(42);
                    ApiMessage back = ApiMessageType.fromApiKey(key.id).newResponse();
                    back.read(acc, v);
                    assertThat(nio.hasRemaining()).as(key + " v" + v + " response read whole").isFalse();
                } finally {
                    encoded.release();
                }
                swept.add(key + " v" + v);
            }
        }
        assertThat(swept).contains("PRODUCE v3", "PRODUCE v12", "FETCH v12", "API_VERSIONS v0").hasSizeGreaterThan(50);
    }

    @Test
    void unsupportedVersionsTrailingBytesAndTruncationAreRefused() {
        ApiKeys produce = ApiKeys.PRODUCE;
        ApiMessage body = ApiMessageType.fromApiKey(produce.id).newRequest();
        assertThatThrownBy(() -> RequestCodec.decode(frame(produce, (short) 2, body, produce.requestHeaderVersion((short) 2)), Session.internal("t")))
                .isInstanceOf(InvalidFrameException.class).hasMessageContaining("unsupported version 2 of PRODUCE");
        ByteBuffer ok = frame(produce, (short) 9, body, produce.requestHeaderVersion((short) 9));
        ByteBuffer longer = ByteBuffer.allocate(ok.remaining() + 3).put(ok.duplicate()).put(new byte[] {1, 2, 3});
        longer.flip();
        assertThatThrownBy(() -> RequestCodec.decode(longer, Session.internal("t"))).isInstanceOf(InvalidFrameException.class)
                .hasMessageContaining("3 unread bytes");
        ByteBuffer shorter = ok.duplicate();
        shorter.limit(shorter.limit() - 2);
        assertThatThrownBy(() -> RequestCodec.decode(shorter, Session.internal("t"))).isInstanceOf(InvalidFrameException.class)
                .hasMessageContaining("malformed PRODUCE v9");
    }
}
