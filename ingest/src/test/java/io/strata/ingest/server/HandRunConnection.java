package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Deque;

/** For tests of one {@link ConnectionHandler} whose I/O pool and event loop the test runs by hand. */
final class HandRunConnection {
    static final short PRODUCE_VERSION = 9;

    private HandRunConnection() {
    }

    /** Runs what the I/O pool and the event loop have queued, until neither has more; fails on what the channel caught. */
    static void settle(Deque<Runnable> ioPool, EmbeddedChannel channel) {
        do {
            while (!ioPool.isEmpty()) {
                ioPool.poll().run();
            }
            channel.runPendingTasks();
        } while (!ioPool.isEmpty());
        channel.checkException();
    }

    /** A produce of one record to partition 0 of topic "t", framed as it comes off the socket (direct memory). */
    static ByteBuf produceFrame(int correlationId, short acks, String value) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes(StandardCharsets.UTF_8)));
        ProduceRequestData body = new ProduceRequestData().setAcks(acks).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName("t");
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records));
        body.topicData().add(topic);
        ByteBuffer bytes = RequestBytes.of(ApiKeys.PRODUCE, PRODUCE_VERSION, body, correlationId, "test");
        return Unpooled.directBuffer(bytes.remaining()).writeBytes(bytes);
    }
}
