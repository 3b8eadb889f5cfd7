package io.strata.tiering.store;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A GET's body as the connection gives it, in pieces, into the one array its Content-Length sizes. */
class BlockingGetsTest {
    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    /** At most {@code piece} bytes a read, as a socket gives what has arrived. */
    private static InputStream trickle(byte[] all, int piece) {
        return new ByteArrayInputStream(all) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, piece));
            }
        };
    }

    private static byte[] body(InputStream in, Long length) throws IOException {
        return BlockingGets.body(in, length, () -> false, () -> {
            throw new AssertionError("aborted");
        }, n -> { });
    }

    @Test
    void theBodyArrivesWholeInAnArrayOfItsLength() throws Exception {
        byte[] all = bytes(1_000_003);
        assertThat(body(trickle(all, 8192), (long) all.length)).isEqualTo(all);
        assertThat(body(trickle(all, 1_000_000), (long) all.length)).isEqualTo(all);
        assertThat(body(trickle(new byte[0], 10), 0L)).isEmpty();
        // Without a length (not what S3 sends for a GET) the body is read to its end.
        assertThat(body(trickle(all, 1000), null)).isEqualTo(all);
    }

    @Test
    void aBodyThatDisagreesWithItsLengthFailsTheGet() {
        byte[] all = bytes(10_000);
        assertThatThrownBy(() -> body(trickle(all, 4096), 9_999L)).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("longer than its Content-Length of 9999 bytes");
        assertThatThrownBy(() -> body(trickle(all, 4096), 10_001L)).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("ended after 10000 of its 10001 bytes");
    }

    @Test
    void aGetNoLongerWantedIsAbortedBetweenPiecesNotReadToItsEnd() throws Exception {
        byte[] all = bytes(BlockingGets.PIECE * 8);
        AtomicInteger reads = new AtomicInteger();
        InputStream counting = new ByteArrayInputStream(all) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                reads.incrementAndGet();
                return super.read(b, off, len);
            }
        };
        AtomicBoolean aborted = new AtomicBoolean();
        byte[] got = BlockingGets.body(counting, (long) all.length, () -> reads.get() >= 2, () -> aborted.set(true), n -> { });
        assertThat(got).isNull();
        assertThat(aborted).isTrue();
        assertThat(reads.get()).as("pieces read").isEqualTo(2);
    }
}
