package io.strata.tiering.store;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A GET's body as the SDK streams it, in pieces, into the one array its Content-Length sizes. */
class ExactBytesTransformerTest {
    /** Emits the pieces, then completes, as the SDK's body publisher does. */
    private static SdkPublisher<ByteBuffer> body(List<ByteBuffer> pieces) {
        Publisher<ByteBuffer> p = s -> s.onSubscribe(new Subscription() {
            private boolean done;

            @Override
            public void request(long n) {
                if (done) {
                    return;
                }
                done = true;
                pieces.forEach(s::onNext);
                s.onComplete();
            }

            @Override
            public void cancel() {
                done = true;
            }
        });
        return SdkPublisher.adapt(p);
    }

    private static List<ByteBuffer> pieces(byte[] all, int size) {
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < all.length; i += size) {
            out.add(ByteBuffer.wrap(all, i, Math.min(size, all.length - i)));
        }
        return out;
    }

    private static CompletableFuture<byte[]> get(ExactBytesTransformer t, Long contentLength, List<ByteBuffer> pieces) {
        CompletableFuture<byte[]> f = t.prepare();
        t.onResponse(GetObjectResponse.builder().contentLength(contentLength).build());
        t.onStream(body(pieces));
        return f;
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    @Test
    void theBodyArrivesWholeInAnArrayOfItsLength() throws Exception {
        byte[] all = bytes(100_003);
        assertThat(get(new ExactBytesTransformer(), (long) all.length, pieces(all, 8192)).get()).isEqualTo(all);
        assertThat(get(new ExactBytesTransformer(), 0L, List.of()).get()).isEmpty();
        // No length in the response: the array grows as the body arrives.
        assertThat(get(new ExactBytesTransformer(), null, pieces(all, 1000)).get()).isEqualTo(all);
    }

    @Test
    void aBodyThatDisagreesWithItsLengthFailsTheGet() {
        byte[] all = bytes(10_000);
        assertThatThrownBy(() -> get(new ExactBytesTransformer(), 9_999L, pieces(all, 4096)).get())
                .isInstanceOf(ExecutionException.class).hasMessageContaining("longer than its Content-Length");
        assertThatThrownBy(() -> get(new ExactBytesTransformer(), 10_001L, pieces(all, 4096)).get())
                .isInstanceOf(ExecutionException.class).hasMessageContaining("ended after 10000 of its 10001 bytes");
    }

    @Test
    void aRetryStartsOver() throws Exception {
        ExactBytesTransformer t = new ExactBytesTransformer();
        CompletableFuture<byte[]> first = t.prepare();
        t.onResponse(GetObjectResponse.builder().contentLength(10L).build());
        t.exceptionOccurred(new IllegalStateException("connection reset"));
        assertThat(first).isCompletedExceptionally();
        byte[] all = bytes(5_000);
        assertThat(get(t, (long) all.length, pieces(all, 777)).get()).isEqualTo(all);
    }
}
