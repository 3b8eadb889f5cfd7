package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.strata.ingest.security.ConnectionSecurity;
import io.strata.ingest.security.SaslMechanisms;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A SASL listener's connection, its I/O pool run by hand: what a client pipelines behind a failed
 * or missing authentication is never handled, even when one I/O thread takes the connection's
 * requests one after another.
 */
class ConnectionHandlerSaslTest {
    /** Every request a handler was given. */
    private final List<ApiKeys> handled = new ArrayList<>();
    private final RequestHandler handler = new RequestHandler() {
        @Override
        public CompletableFuture<ApiMessage> handle(Request request) {
            handled.add(request.apiKey());
            return CompletableFuture.completedFuture(new ApiVersionsResponseData());
        }

        @Override
        public ApiMessage errorResponse(Request request, Throwable error) {
            throw new AssertionError(error);
        }
    };
    private final Deque<Runnable> ioPool = new ArrayDeque<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ConnectionHandler(handler, ioPool::add, new ConnectionCounter(),
            new Listener("SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT, "127.0.0.1", 0, "127.0.0.1", 0),
            new ConnectionSecurity(null, null, new SaslMechanisms(List.of("SCRAM-SHA-256"), false, null, null), 0, 10_000)));

    private static ByteBuf frame(ApiKeys key, short version, ApiMessage body, int correlationId) {
        ByteBuffer bytes = RequestBytes.of(key, version, body, correlationId, "test");
        return Unpooled.directBuffer(bytes.remaining()).writeBytes(bytes);
    }

    private void releaseWritten() {
        Object written;
        while ((written = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(written);
        }
    }

    @Test
    void requestsPipelinedBehindAFailedHandshakeAreNeverHandled() {
        channel.writeInbound(frame(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("NOT-OFFERED"), 1));
        channel.writeInbound(frame(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("test").setClientSoftwareVersion("1"), 2));
        assertThat(ioPool).as("one I/O thread has both requests").hasSize(1);
        ioPool.poll().run();
        HandRunConnection.settle(ioPool, channel);
        assertThat(handled).as("the connection closes after the failed handshake's answer: nothing behind it runs").isEmpty();
        assertThat((Object) channel.readOutbound()).as("the handshake's answer (UNSUPPORTED_SASL_MECHANISM)").isNotNull();
        assertThat(channel.isOpen()).isFalse();
        releaseWritten();
    }

    @Test
    void aProduceBeforeAuthenticationClosesTheConnectionAndGoesBackToThePool() {
        ByteBuf produce = HandRunConnection.produceFrame(1, (short) -1, "unauthenticated");
        channel.writeInbound(produce);
        HandRunConnection.settle(ioPool, channel);
        assertThat(handled).isEmpty();
        assertThat(produce.refCnt()).as("its frame is released, as no handler will read it").isZero();
        assertThat(channel.isOpen()).isFalse();
        assertThat((Object) channel.readOutbound()).as("nothing is answered").isNull();
    }
}
