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

    /** An S3 client answering each GET with the next of {@code bodies}, all of {@code length} bytes, and noting aborts. */
    private static final class FakeS3 implements software.amazon.awssdk.services.s3.S3Client {
        final java.util.Deque<java.util.function.Supplier<InputStream>> bodies = new java.util.concurrent.ConcurrentLinkedDeque<>();
        final long length;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger aborts = new AtomicInteger();

        FakeS3(long length) {
            this.length = length;
        }

        @Override
        public software.amazon.awssdk.core.ResponseInputStream<software.amazon.awssdk.services.s3.model.GetObjectResponse> getObject(
                software.amazon.awssdk.services.s3.model.GetObjectRequest request) {
            calls.incrementAndGet();
            InputStream in = bodies.poll().get();
            return new software.amazon.awssdk.core.ResponseInputStream<>(
                    software.amazon.awssdk.services.s3.model.GetObjectResponse.builder().contentLength(length).build(),
                    software.amazon.awssdk.http.AbortableInputStream.create(in, () -> {
                        aborts.incrementAndGet();
                        try {
                            in.close();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }));
        }

        @Override
        public String serviceName() {
            return "s3";
        }

        @Override
        public void close() {
        }
    }

    private static Throwable failure(java.util.concurrent.CompletableFuture<byte[]> get) {
        return assertThatThrownBy(() -> get.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOf(java.util.concurrent.ExecutionException.class).actual().getCause();
    }

    @Test
    void aConnectionFailingMidBodyIsTriedAgainThreeAttemptsInAll() throws Exception {
        byte[] all = bytes(100_000);
        FakeS3 s3 = new FakeS3(all.length);
        s3.bodies.add(() -> failingIo(all, 40_000));
        s3.bodies.add(() -> new ByteArrayInputStream(all));
        try (BlockingGets gets = new BlockingGets(s3, "b", java.time.Duration.ofSeconds(60))) {
            assertThat(gets.get("k", null).get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(all);
            assertThat(s3.calls).hasValue(2);

            for (int i = 0; i < 4; i++) {
                s3.bodies.add(() -> failingIo(all, 1_000));
            }
            Throwable t = failure(gets.get("k", null));
            assertThat(t).isInstanceOf(IOException.class).hasMessageContaining("reset");
            assertThat(t.getSuppressed()).as("the attempts before").hasSize(BlockingGets.BODY_ATTEMPTS - 1);
            assertThat(s3.calls).hasValue(2 + BlockingGets.BODY_ATTEMPTS);
        }
    }

    /** {@code all}'s first {@code upTo} bytes, then an IOException, as a connection reset mid-body gives. */
    private static InputStream failingIo(byte[] all, int upTo) {
        return new java.io.FilterInputStream(new ByteArrayInputStream(all, 0, upTo)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    throw new java.net.SocketException("Connection reset");
                }
                return n;
            }
        };
    }

    @Test
    void aBodyNotWholeWithinTheTimeoutFailsAndIsAborted() throws Exception {
        byte[] all = bytes(100_000);
        FakeS3 s3 = new FakeS3(all.length);
        // A byte every 20 ms: the body would take half an hour.
        s3.bodies.add(() -> new ByteArrayInputStream(all) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.read(b, off, 1);
            }
        });
        try (BlockingGets gets = new BlockingGets(s3, "b", java.time.Duration.ofMillis(300))) {
            assertThat(failure(gets.get("k", null))).isInstanceOf(ObjectStoreException.class)
                    .hasMessageContaining("no whole body within 300 ms");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (s3.aborts.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(s3.aborts.get()).as("aborts").isPositive();
            assertThat(s3.calls).as("not tried again").hasValue(1);
        }
    }

    @Test
    void closeFailsAGetMidReadAndStopsItsThread() throws Exception {
        byte[] all = bytes(100_000);
        FakeS3 s3 = new FakeS3(all.length);
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        // Blocks in its first read until it is aborted (closed), as a socket read blocks until the connection goes.
        s3.bodies.add(() -> new InputStream() {
            @Override
            public int read() {
                return -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                reading.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new java.net.SocketException("Socket closed");
            }

            @Override
            public void close() {
                released.countDown();
            }
        });
        BlockingGets gets = new BlockingGets(s3, "b", java.time.Duration.ofSeconds(60));
        java.util.concurrent.CompletableFuture<byte[]> get = gets.get("k", null);
        assertThat(reading.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        gets.close();
        assertThat(failure(get)).isInstanceOf(ObjectStoreException.class).hasMessageContaining("closed");
        assertThat(s3.aborts.get()).as("aborts").isPositive();
        assertThat(s3.calls).as("not tried again once closed").hasValue(1);
        assertThat(gets.terminated()).as("its thread ended when close returned").isTrue();
    }
}
