package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Splits the byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 * A negative or oversized size is rejected before any of the frame is buffered, so a client
 * cannot make the broker allocate what it announces.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameBytes;

    public FrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= 4) {
            int size = in.getInt(in.readerIndex());
            if (size < 0 || size > maxFrameBytes) {
                in.skipBytes(in.readableBytes());
                throw new InvalidFrameException("frame of " + size + " bytes is outside [0, "
                        + maxFrameBytes + "] (socket.request.max.bytes)");
            }
            if (in.readableBytes() < 4 + size) {
                return;
            }
            in.skipBytes(4);
            out.add(in.readRetainedSlice(size));
        }
    }
}
