package io.strata.tiering.store;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * A GET's body into one array of the response's {@code Content-Length}, each byte copied once.
 * The SDK's {@code toBytes()} collects into a {@code ByteArrayOutputStream} that grows by
 * doubling and is copied again at the end: about three copies of every byte replayed or read
 * through the broker, a tenth of a replay's CPU. A body longer or shorter than its header said
 * fails the GET rather than being handed out. One instance per request; the SDK calls
 * {@link #prepare} again for each retry, which starts over.
 */
final class ExactBytesTransformer implements AsyncResponseTransformer<GetObjectResponse, byte[]> {
    private volatile CompletableFuture<byte[]> result;
    private volatile byte[] body;

    @Override
    public CompletableFuture<byte[]> prepare() {
        result = new CompletableFuture<>();
        body = null;
        return result;
    }

    @Override
    public void onResponse(GetObjectResponse response) {
        Long length = response.contentLength();
        // Without a length (not what S3 sends for a GET) the array grows as the body arrives.
        body = new byte[length == null ? 0 : Math.toIntExact(length)];
    }

    @Override
    public void onStream(SdkPublisher<ByteBuffer> publisher) {
        CompletableFuture<byte[]> done = result;
        byte[] initial = body;
        boolean known = initial != null && initial.length > 0;
        publisher.subscribe(new Subscriber<ByteBuffer>() {
            private byte[] into = initial == null ? new byte[0] : initial;
            private int filled;
            private Subscription subscription;

            @Override
            public void onSubscribe(Subscription s) {
                subscription = s;
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer b) {
                int n = b.remaining();
                if (filled + n > into.length) {
                    if (known) {
                        subscription.cancel();
                        done.completeExceptionally(new ObjectStoreException("the body is longer than its Content-Length of "
                                + into.length + " bytes", null));
                        return;
                    }
                    into = Arrays.copyOf(into, Math.max(filled + n, into.length * 2));
                }
                b.get(into, filled, n);
                filled += n;
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                if (known && filled != into.length) {
                    done.completeExceptionally(new ObjectStoreException("the body ended after " + filled + " of its "
                            + into.length + " bytes", null));
                } else {
                    done.complete(filled == into.length ? into : Arrays.copyOf(into, filled));
                }
            }
        });
    }

    @Override
    public void exceptionOccurred(Throwable error) {
        CompletableFuture<byte[]> r = result;
        if (r != null) {
            r.completeExceptionally(error);
        }
    }
}
