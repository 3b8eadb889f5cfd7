package io.strata.ingest.server;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.strata.ingest.security.ConnectionSecurity;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request's time is split where it was spent: queued for a handler, in the handler, waiting
 * for its answer, queued for the event loop, and written (Kafka's RequestMetrics).
 */
class RequestStagesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<CompletableFuture<ApiMessage>> answers = new ArrayList<>();
    /** How long the handler works before it returns (the request's local time). */
    private long handlerWorkMs;
    private final RequestHandler handler = new RequestHandler() {
        @Override
        public CompletableFuture<ApiMessage> handle(Request request) {
            sleep(handlerWorkMs);
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
            new RequestStages(registry)));

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private void settle() {
        do {
            while (!ioPool.isEmpty()) {
                ioPool.poll().run();
            }
            channel.runPendingTasks();
        } while (!ioPool.isEmpty());
        channel.checkException();
    }

    private static ByteBuf produceFrame(short acks) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes()));
        ProduceRequestData body = new ProduceRequestData().setAcks(acks).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName("t");
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records));
        body.topicData().add(topic);
        ByteBuffer bytes = RequestBytes.of(ApiKeys.PRODUCE, (short) 9, body, 1, "test");
        return Unpooled.directBuffer(bytes.remaining()).writeBytes(bytes);
    }

    private Timer stage(String stage) {
        return registry.get("strata.request.stage").tags("api", ApiKeys.PRODUCE.name, "stage", stage).timer();
    }

    private double ms(String stage) {
        return stage(stage).totalTime(TimeUnit.MILLISECONDS);
    }

    /** Each stage's total so far, in ms, by stage name. */
    private java.util.Map<String, Double> totals() {
        java.util.Map<String, Double> m = new java.util.HashMap<>();
        for (String s : List.of("request_queue", "local", "remote", "response_queue", "response_send", "total")) {
            m.put(s, ms(s));
        }
        return m;
    }

    /** Sends a produce and answers it: queued {@code queuedMs}, handled in {@code localMs}, answered {@code remoteMs} later. */
    private void produceAnswered(long queuedMs, long localMs, long remoteMs) {
        channel.writeInbound(produceFrame((short) -1));
        channel.runPendingTasks();
        sleep(queuedMs); // no handler thread has taken it yet
        handlerWorkMs = localMs;
        settle();
        sleep(remoteMs); // waiting for its fsync, say
        answers.get(answers.size() - 1).complete(new ProduceResponseData());
        settle();
        ReferenceCountUtil.release(channel.readOutbound());
    }

    @Test
    void aRequestsTimeIsSplitIntoTheStagesItWasSpentIn() {
        channel.writeInbound(produceFrame((short) -1));
        settle();
        assertThat(registry.find("strata.request.stage").timers()).as("nothing is recorded before the answer is sent").isEmpty();
        answers.get(0).complete(new ProduceResponseData());
        settle();
        ReferenceCountUtil.release(channel.readOutbound());
        // That first request loaded the classes that encode an answer; the second one is measured.
        java.util.Map<String, Double> before = totals();
        produceAnswered(60, 40, 80);
        java.util.Map<String, Double> after = totals();
        java.util.function.Function<String, Double> spent = s -> after.get(s) - before.get(s);

        for (String s : after.keySet()) {
            assertThat(stage(s).count()).as(s).isEqualTo(2);
        }
        assertThat(spent.apply("request_queue")).isBetween(60.0, 60.0 + 40);
        assertThat(spent.apply("local")).isBetween(40.0, 60.0);
        assertThat(spent.apply("remote")).isBetween(80.0, 80.0 + 40);
        assertThat(spent.apply("response_queue") + spent.apply("response_send")).isLessThan(40.0);
        assertThat(spent.apply("total")).isCloseTo(spent.apply("request_queue") + spent.apply("local") + spent.apply("remote")
                + spent.apply("response_queue") + spent.apply("response_send"), org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void anUnansweredAcksZeroProduceHasNoResponseTime() {
        channel.writeInbound(produceFrame((short) 0));
        settle();
        answers.get(0).complete(null);
        settle();
        assertThat((Object) channel.readOutbound()).as("acks=0 is not answered").isNull();
        assertThat(stage("total").count()).isEqualTo(1);
        assertThat(ms("response_queue") + ms("response_send")).isZero();
    }
}
