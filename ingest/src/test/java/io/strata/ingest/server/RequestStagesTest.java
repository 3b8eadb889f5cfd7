package io.strata.ingest.server;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.strata.ingest.security.ConnectionSecurity;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request's time is split where it was spent: queued for a handler, in the handler, waiting
 * for its answer, queued behind earlier answers, and written (Kafka's RequestMetrics). The
 * connection reads a clock the test moves, so every stage is known exactly.
 */
class RequestStagesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong nowMs = new AtomicLong(1_000);
    private final List<CompletableFuture<ApiMessage>> answers = new ArrayList<>();
    /** How long the handler works before it returns (the request's local time). */
    private long handlerWorkMs;
    private final RequestHandler handler = new RequestHandler() {
        @Override
        public CompletableFuture<ApiMessage> handle(Request request) {
            nowMs.addAndGet(handlerWorkMs);
            CompletableFuture<ApiMessage> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        }

        @Override
        public ApiMessage errorResponse(Request request, Throwable error) {
            return new ProduceResponseData();
        }
    };
    private final Deque<Runnable> ioPool = new ArrayDeque<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ConnectionHandler(handler, ioPool::add, new ConnectionCounter(),
            new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "127.0.0.1", 0, "127.0.0.1", 0), ConnectionSecurity.NONE,
            new RequestStages(registry, () -> TimeUnit.MILLISECONDS.toNanos(nowMs.get()))));

    private void settle() {
        HandRunConnection.settle(ioPool, channel);
    }

    /** Runs only the event loop's tasks: a request arrives, or an answer is written, but no handler runs. */
    private void eventLoopOnly() {
        channel.runPendingTasks();
        channel.checkException();
    }

    private static ByteBuf produceFrame(short acks) {
        return HandRunConnection.produceFrame(1, acks, "v");
    }

    private Timer timer(String stage) {
        return stage.equals("total") ? registry.find("strata.request.total").tags("api", ApiKeys.PRODUCE.name).timer()
                : registry.find("strata.request.stage").tags("api", ApiKeys.PRODUCE.name, "stage", stage).timer();
    }

    /** The stage's time over the requests so far, in ms; 0 when none recorded it. */
    private double ms(String stage) {
        Timer t = timer(stage);
        return t == null ? 0 : t.totalTime(TimeUnit.MILLISECONDS);
    }

    private long count(String stage) {
        Timer t = timer(stage);
        return t == null ? 0 : t.count();
    }

    @Test
    void aRequestsTimeIsSplitIntoTheStagesItWasSpentIn() {
        channel.writeInbound(produceFrame((short) -1));
        eventLoopOnly();
        nowMs.addAndGet(60); // no handler thread has taken it yet
        handlerWorkMs = 40;
        settle();
        assertThat(answers).hasSize(1);
        assertThat(registry.getMeters()).as("nothing is recorded before the answer is sent").isEmpty();

        nowMs.addAndGet(80); // waiting for its fsync, say
        answers.get(0).complete(new ProduceResponseData());
        settle();
        ReferenceCountUtil.release(channel.readOutbound());

        assertThat(ms("request_queue")).isEqualTo(60.0);
        assertThat(ms("local")).isEqualTo(40.0);
        assertThat(ms("remote")).isEqualTo(80.0);
        assertThat(ms("response_queue")).isZero();
        assertThat(ms("response_send")).isZero();
        assertThat(ms("total")).isEqualTo(180.0);
        assertThat(count("total")).isEqualTo(1);
    }

    @Test
    void anAnswerReadyBeforeAnEarlierOnesWaitsInTheResponseQueue() {
        channel.writeInbound(produceFrame((short) -1));
        channel.writeInbound(produceFrame((short) -1));
        settle();
        assertThat(answers).hasSize(2);
        nowMs.addAndGet(10);
        answers.get(1).complete(new ProduceResponseData()); // the second answer first: it must wait for the first
        settle();
        assertThat((Object) channel.readOutbound()).isNull();
        nowMs.addAndGet(25);
        answers.get(0).complete(new ProduceResponseData());
        settle();
        ReferenceCountUtil.release(channel.readOutbound());
        ReferenceCountUtil.release(channel.readOutbound());

        assertThat(count("response_queue")).isEqualTo(2);
        assertThat(ms("response_queue")).as("the second answer waited 25 ms for the first").isEqualTo(25.0);
        assertThat(ms("remote")).as("10 ms for the second, 35 for the first").isEqualTo(45.0);
    }

    @Test
    void anUnansweredAcksZeroProduceHasNoResponseStages() {
        channel.writeInbound(produceFrame((short) 0));
        handlerWorkMs = 5;
        settle();
        nowMs.addAndGet(7);
        answers.get(0).complete(null);
        settle();
        assertThat((Object) channel.readOutbound()).as("acks=0 is not answered").isNull();
        assertThat(count("local")).isEqualTo(1);
        assertThat(count("response_queue")).isZero();
        assertThat(count("response_send")).isZero();
        assertThat(ms("total")).as("its handling's end ends it").isEqualTo(12.0);
    }
}
