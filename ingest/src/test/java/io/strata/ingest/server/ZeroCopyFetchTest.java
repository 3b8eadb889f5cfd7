package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.FileRegion;
import io.strata.ingest.log.LogConfig;
import io.strata.ingest.log.PartitionLog;
import io.strata.tiering.service.RemoteRange;
import io.strata.ingest.log.SegmentRecords;
import io.strata.ingest.security.Session;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fetch answer whose records lie in a segment file is written as buffers around a file region
 * (sendfile) on a plaintext connection and as one buffer on a TLS one; both put on the wire
 * exactly the bytes of the same answer built from a copy of the records, for the oldest and
 * newest Fetch version served (4, flexible 12).
 */
class ZeroCopyFetchTest {
    @TempDir
    Path dir;

    private static Request fetchRequest(short version) {
        return RequestCodec.decode(RequestBytes.of(ApiKeys.FETCH, version, new FetchRequestData(), 7, "zero-copy-test"), Session.internal("test"));
    }

    /** Two partitions: one answered from the segment, one from memory; plus an empty one. */
    private static FetchResponseData answer(Object first, MemoryRecords second) {
        FetchResponseData.FetchableTopicResponse t = new FetchResponseData.FetchableTopicResponse().setTopic("t")
                .setTopicId(Uuid.randomUuid());
        t.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(0).setHighWatermark(123_456_789_012L)
                .setLastStableOffset(99).setLogStartOffset(3).setRecords((org.apache.kafka.common.record.internal.BaseRecords) first));
        t.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(1).setHighWatermark(5).setRecords(second));
        t.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(2).setHighWatermark(0)
                .setRecords(SegmentRecords.EMPTY));
        return new FetchResponseData().setSessionId(0).setResponses(new java.util.ArrayList<>(List.of(t)));
    }

    /** What a socket would receive from these parts. */
    private static byte[] wire(List<Object> parts) throws Exception {
        return wire(parts, Integer.MAX_VALUE);
    }

    /** What a socket taking at most {@code maxPerWrite} bytes per write would receive from these parts. */
    private static byte[] wire(List<Object> parts, int maxPerWrite) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WritableByteChannel ch = trickle(out, maxPerWrite);
        for (Object p : parts) {
            if (p instanceof ByteBuf b) {
                out.write(io.netty.buffer.ByteBufUtil.getBytes(b));
                b.release();
            } else {
                FileRegion r = (FileRegion) p;
                while (r.transferred() < r.count()) {
                    r.transferTo(ch, r.transferred());
                }
                r.release();
            }
        }
        return out.toByteArray();
    }

    /** A socket that takes at most {@code max} bytes per write, as a full socket buffer does. */
    private static WritableByteChannel trickle(java.io.OutputStream out, int max) {
        WritableByteChannel all = Channels.newChannel(out);
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws java.io.IOException {
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + Math.min(max, part.remaining()));
                int n = all.write(part);
                src.position(src.position() + n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void largeRecordsInMemoryGoOnTheWireFromWhereTheyAreExactlyAsTheirCopyWould() throws Exception {
        // A remote read's answer: several slices' worth of batches in a heap buffer, plus a small one that is copied.
        List<SimpleRecord> records = new java.util.ArrayList<>();
        for (int i = 0; i < 700; i++) {
            records.add(new SimpleRecord(1_000L + i, null, ("remote-" + i + "-" + "y".repeat(1000)).getBytes()));
        }
        MemoryRecords large = MemoryRecords.withRecords(Compression.NONE, records.toArray(SimpleRecord[]::new));
        assertThat(large.sizeInBytes()).isGreaterThan(2 * BufferRegion.SLICE);
        MemoryRecords small = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1L, null, "small".getBytes()));
        for (short version : new short[]{4, 12}) {
            Request request = fetchRequest(version);
            byte[] expected = wire(RequestCodec.encode(ByteBufAllocator.DEFAULT, request, answer(large, small), false));
            List<Object> plain = RequestCodec.encode(ByteBufAllocator.DEFAULT, request, answer(large, small), true);
            assertThat(plain).as("the large records as a region").anyMatch(p -> p instanceof BufferRegion);
            assertThat(plain.stream().filter(p -> p instanceof ByteBuf).mapToInt(p -> ((ByteBuf) p).readableBytes()).sum())
                    .as("buffers hold the rest, not the records").isLessThan(4096);
            assertThat(wire(plain, 7_001)).as("v" + version + " written from memory in parts").isEqualTo(expected);
            assertThat(large.sizeInBytes()).as("the records are not consumed").isEqualTo(large.buffer().remaining());
        }
    }

    @Test
    void segmentRecordsGoOnTheWireExactlyAsTheirCopyWould() throws Exception {
        PartitionLog log = PartitionLog.open(dir.resolve("t-0"), "t-0", LogConfig.defaults(), 1_000_000, RemoteRange.NONE);
        for (int i = 0; i < 40; i++) {
            log.append(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1_000_000 + i, ("k" + i).getBytes(),
                    ("value-" + i + "-" + "x".repeat(i * 37)).getBytes())).buffer(), 1_000_000);
        }
        log.flush();
        log.updateHighWatermark(log.logEndOffset());
        MemoryRecords other = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1L, null, "other".getBytes()));
        // Starting mid-log and bounded by bytes, so the region neither starts nor ends at the file's edges.
        SegmentRecords slice = log.slice(10, 2000, PartitionLog.ReadBound.HIGH_WATERMARK).records();
        assertThat(slice.sizeInBytes()).isGreaterThan(0).isLessThanOrEqualTo(2000);
        assertThat(slice.position()).isGreaterThan(0);
        MemoryRecords copy = MemoryRecords.readableRecords(log.read(10, 2000).records());
        assertThat(copy.sizeInBytes()).isEqualTo(slice.sizeInBytes());

        for (short version : new short[]{4, 12}) {
            Request request = fetchRequest(version);
            byte[] expected = wire(RequestCodec.encode(ByteBufAllocator.DEFAULT, request, answer(copy, other), false));
            List<Object> plain = RequestCodec.encode(ByteBufAllocator.DEFAULT, request, answer(slice, other), true);
            assertThat(plain).as("a file region between buffers").anyMatch(p -> p instanceof FileRegion);
            assertThat(wire(plain)).as("v" + version + " with sendfile").isEqualTo(expected);
            List<Object> tls = RequestCodec.encode(ByteBufAllocator.DEFAULT, request, answer(slice, other), false);
            assertThat(tls).as("one buffer for TLS").hasSize(1);
            assertThat(wire(tls)).as("v" + version + " copied for TLS").isEqualTo(expected);
        }
    }
}
