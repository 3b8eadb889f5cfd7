package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameDecoderTest {
    private static ByteBuf frame(int size, int announced) {
        ByteBuf b = Unpooled.buffer(4 + size);
        b.writeInt(announced);
        for (int i = 0; i < size; i++) {
            b.writeByte(i);
        }
        return b;
    }

    @Test
    void handsOutExactlyOneFrameAtATimeEvenWhenSplitOrCoalesced() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ByteBuf two = Unpooled.buffer();
        two.writeBytes(frame(10, 10)).writeBytes(frame(3, 3));
        ByteBuf partial = frame(20, 20);
        ByteBuf first = partial.readRetainedSlice(7);
        ch.writeInbound(two);
        ch.writeInbound(first);
        ByteBuf a = ch.readInbound();
        ByteBuf b = ch.readInbound();
        assertThat(a.readableBytes()).isEqualTo(10);
        assertThat(b.readableBytes()).isEqualTo(3);
        assertThat((Object) ch.readInbound()).as("a partial frame waits").isNull();
        ch.writeInbound(partial);
        ByteBuf c = ch.readInbound();
        assertThat(c.readableBytes()).isEqualTo(20);
        a.release();
        b.release();
        c.release();
    }

    @Test
    void anOversizedOrNegativeSizeIsRejectedBeforeBuffering() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.buffer().writeInt(1025)))
                .isInstanceOf(DecoderException.class).hasCauseInstanceOf(InvalidFrameException.class)
                .hasMessageContaining("socket.request.max.bytes");
        EmbeddedChannel ch2 = new EmbeddedChannel(new FrameDecoder(1024));
        assertThatThrownBy(() -> ch2.writeInbound(Unpooled.buffer().writeInt(-1)))
                .hasCauseInstanceOf(InvalidFrameException.class);
    }

    @Test
    void anEmptyFrameIsAFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1024));
        ch.writeInbound(Unpooled.buffer().writeInt(0));
        ByteBuf empty = ch.readInbound();
        assertThat(empty.readableBytes()).isZero();
        empty.release();
    }
}
