package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.strata.ingest.security.ConnectionSecurity;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request is parsed where Netty received it, so its frame must stay allocated for exactly as
 * long as a handler may read it: released once answered, never while its handler still runs (not
 * even when the connection closes under it), and never leaked.
 */
class ConnectionHandlerFramesTest {
    private static final short PRODUCE_VERSION = HandRunConnection.PRODUCE_VERSION;

    /** Holds each request's answer open until the test completes it, and keeps what the handler saw. */
    private static final class HeldAnswers implements RequestHandler {
        final List<CompletableFuture<ApiMessage>> answers = new ArrayList<>();
        final List<ByteBuffer> records = new ArrayList<>();

        @Override
        public CompletableFuture<ApiMessage> handle(Request request) {
            ProduceRequestData body = (ProduceRequestData) request.body();
            records.add(((MemoryRecords) body.topicData().iterator().next().partitionData().get(0).records()).buffer());
            CompletableFuture<ApiMessage> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        }

        @Override
        public ApiMessage errorResponse(Request request, Throwable error) {
            return new ProduceResponseData();
        }
    }

    private final HeldAnswers handler = new HeldAnswers();
    /** The I/O pool, run by hand: a test decides whether the connection closes before or after a handler runs. */
    private final Deque<Runnable> ioPool = new ArrayDeque<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ConnectionHandler(handler, ioPool::add, new ConnectionCounter(),
            new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", 0, "127.0.0.1", 0), ConnectionSecurity.NONE));

    private void settle() {
        HandRunConnection.settle(ioPool, channel);
    }

    private void readAnswer() {
        Object answer = channel.readOutbound();
        assertThat(answer).as("the answer was written").isNotNull();
        ReferenceCountUtil.release(answer);
    }

    private static ByteBuf produceFrame(int correlationId, String value) {
        return HandRunConnection.produceFrame(correlationId, (short) -1, value);
    }

    private static String text(ByteBuffer records) {
        return StandardCharsets.UTF_8.decode(MemoryRecords.readableRecords(records.duplicate()).records().iterator().next().value()).toString();
    }

    @Test
    void aProduceIsReadInPlaceAndItsFrameReleasedOnceAnswered() {
        ByteBuf frame = produceFrame(1, "in place");
        channel.writeInbound(frame);
        settle();
        assertThat(handler.records).hasSize(1);
        assertThat(handler.records.get(0).isDirect()).as("the records are a view of the frame, not a heap copy").isTrue();
        assertThat(text(handler.records.get(0))).isEqualTo("in place");
        assertThat(frame.refCnt()).as("held while the answer is pending").isEqualTo(1);

        handler.answers.get(0).complete(new ProduceResponseData());
        settle();
        readAnswer();
        assertThat(frame.refCnt()).as("released once answered").isZero();
    }

    @Test
    void aFrameStaysHeldWhileItsHandlerHasItEvenAfterTheConnectionCloses() {
        ByteBuf frame = produceFrame(1, "still being appended");
        channel.writeInbound(frame);
        settle();
        assertThat(text(handler.records.get(0))).isEqualTo("still being appended");
        // Closed while the handler's answer is pending (an append or its fsync still reading the frame).
        channel.close();
        channel.runPendingTasks();
        assertThat(frame.refCnt()).as("its handler may still be reading it").isEqualTo(1);
        handler.answers.get(0).complete(new ProduceResponseData());
        settle();
        assertThat(frame.refCnt()).as("released once the handler is done").isZero();
        assertThat((Object) channel.readOutbound()).as("nothing is written to a closed connection").isNull();
    }

    @Test
    void framesNoHandlerTookAreReleasedWhenTheConnectionClosesAndNeverHandled() {
        ByteBuf first = produceFrame(1, "first");
        ByteBuf second = produceFrame(2, "second");
        channel.writeInbound(first);
        settle();
        // The second is queued, and an I/O thread is on its way to it, when the connection closes.
        channel.writeInbound(second);
        assertThat(ioPool).hasSize(1);
        channel.close();
        assertThat(second.refCnt()).as("never to be handled: released at close").isZero();
        settle();
        assertThat(handler.records).as("the I/O thread that came too late handled nothing").hasSize(1);
        assertThat(first.refCnt()).isEqualTo(1);
        handler.answers.get(0).completeExceptionally(new IllegalStateException("node stopping"));
        settle();
        assertThat(first.refCnt()).isZero();
    }

    @Test
    void oneIoThreadTakesAConnectionsPipelinedRequestsInOrderWithoutTheEventLoop() {
        ByteBuf first = produceFrame(1, "first");
        ByteBuf second = produceFrame(2, "second");
        ByteBuf third = produceFrame(3, "third");
        channel.writeInbound(first);
        channel.writeInbound(second);
        channel.writeInbound(third);
        assertThat(ioPool).as("one I/O thread for the connection, however many requests wait").hasSize(1);
        ioPool.poll().run();
        assertThat(handler.records).as("all three in one turn, in arrival order").hasSize(3);
        assertThat(handler.records.stream().map(ConnectionHandlerFramesTest::text)).containsExactly("first", "second", "third");
        assertThat(ioPool).isEmpty();
        handler.answers.forEach(a -> a.complete(new ProduceResponseData()));
        settle();
        readAnswer();
        readAnswer();
        readAnswer();
    }

    @Test
    void aBusyConnectionYieldsItsIoThreadAfterATurn() {
        int requests = ConnectionHandler.MAX_REQUESTS_PER_TURN + 1;
        for (int i = 0; i < requests; i++) {
            channel.writeInbound(produceFrame(i, "r" + i));
        }
        ioPool.poll().run();
        assertThat(handler.records).hasSize(ConnectionHandler.MAX_REQUESTS_PER_TURN);
        assertThat(ioPool).as("the rest goes back to the pool's queue, behind other connections' work").hasSize(1);
        ioPool.poll().run();
        assertThat(handler.records).hasSize(requests);
        assertThat(text(handler.records.get(requests - 1))).isEqualTo("r" + (requests - 1));
        handler.answers.forEach(a -> a.complete(new ProduceResponseData()));
        settle();
        for (int i = 0; i < requests; i++) {
            readAnswer();
        }
    }

    @Test
    void answersWaitingBehindAnEarlierOneHaveTheirFramesReleasedAlready() {
        ByteBuf first = produceFrame(1, "first");
        ByteBuf second = produceFrame(2, "second");
        channel.writeInbound(first);
        settle();
        channel.writeInbound(second);
        settle();
        handler.answers.get(1).complete(new ProduceResponseData());
        settle();
        assertThat((Object) channel.readOutbound()).as("answers are written in request order").isNull();
        assertThat(second.refCnt()).as("its handler is done with it").isZero();
        handler.answers.get(0).complete(new ProduceResponseData());
        settle();
        readAnswer();
        readAnswer();
        assertThat(first.refCnt()).isZero();
    }

    @Test
    void otherRequestsAreCopiedAndTheirFramesReleasedAtOnce() {
        ByteBuffer bytes = RequestBytes.of(ApiKeys.METADATA, (short) 12, new MetadataRequestData(), 1, "test");
        ByteBuf frame = Unpooled.directBuffer(bytes.remaining()).writeBytes(bytes);
        RequestHandler held = new RequestHandler() {
            @Override
            public CompletableFuture<ApiMessage> handle(Request request) {
                return new CompletableFuture<>();
            }

            @Override
            public ApiMessage errorResponse(Request request, Throwable error) {
                throw new AssertionError(error);
            }
        };
        EmbeddedChannel other = new EmbeddedChannel(new ConnectionHandler(held, Runnable::run, new ConnectionCounter(),
                new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", 0, "127.0.0.1", 0), ConnectionSecurity.NONE));
        other.writeInbound(frame);
        assertThat(frame.refCnt()).as("a long-poll fetch or a JoinGroup must not pin the buffer its frame is part of").isZero();
        other.checkException();
    }

    @Test
    void aMalformedFrameIsReleasedAndClosesTheConnection() {
        ByteBuf frame = Unpooled.directBuffer(16).writeShort(ApiKeys.PRODUCE.id).writeShort(PRODUCE_VERSION).writeInt(7).writeLong(-1);
        channel.writeInbound(frame);
        assertThat(frame.refCnt()).isZero();
        assertThat(channel.isOpen()).isFalse();
        assertThat(handler.records).isEmpty();
    }
}
