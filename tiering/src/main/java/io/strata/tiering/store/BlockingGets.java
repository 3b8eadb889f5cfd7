package io.strata.tiering.store;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * GETs through the SDK's blocking client (Apache HttpClient 5), each on a thread of its own
 * ({@code s3-get-N}), the body read from the connection straight into one array its
 * Content-Length sizes. The async Netty client copies every piece of a body into a new, zeroed
 * heap buffer before a subscriber sees it, which the subscriber then copies again. Against it
 * here (s3proxy on this machine, 8 MiB GETs of segment objects, 18 in flight, 6 alternating
 * rounds after 14 untimed): 0.06 against 0.12 CPU-seconds per 100 MB in the reading process, and
 * 1,320–1,570 against 730–1,150 MiB/s. Uploads, listings and deletes stay on the async client.
 * <p>
 * What the async client did for a GET, this does too: a connection that fails while the body is
 * read is tried again ({@link #BODY_ATTEMPTS} in all; the SDK retries what fails before the body
 * itself), and a GET whose body is not whole within its time ({@code timeout} from when its
 * thread takes it up, as the async client's call timeout; a read that stalls fails at the
 * client's socket timeout) fails. A GET whose future is completed by anyone else (cancelled by a
 * reader that no longer wants it, the store closed) stops at the next piece of its body
 * ({@link #PIECE}) and gives up its connection. The threads are as many as the client's
 * connections ({@link #MAX_IN_FLIGHT}); more GETs at once wait their turn. Idle threads end after
 * {@link #IDLE_SECONDS}.
 */
final class BlockingGets implements AutoCloseable {
    /** GETs in flight at once, and connections kept: more than a replay or a node's remote reads keep in flight. */
    static final int MAX_IN_FLIGHT = 64;
    static final int IDLE_SECONDS = 30;
    /** Bytes read between two looks at whether the GET is still wanted. */
    static final int PIECE = 256 * 1024;
    static final int BODY_ATTEMPTS = 3;

    private final S3Client s3;
    private final String bucket;
    private final Duration timeout;
    private final ThreadPoolExecutor threads;
    /** The threads' group: close() from one of them must not wait for itself. */
    private final ThreadGroup group = new ThreadGroup("s3-get");
    /** GETs queued or running: close() fails and stops them. */
    private final Set<Get> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** Body bytes read, for tests: a GET stopped reads no further. */
    private final LongAdder bodyBytes = new LongAdder();

    BlockingGets(S3Client s3, String bucket, Duration timeout) {
        this.s3 = s3;
        this.bucket = bucket;
        this.timeout = timeout;
        AtomicInteger n = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(MAX_IN_FLIGHT, MAX_IN_FLIGHT, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(group, r, "s3-get-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        threads.allowCoreThreadTimeOut(true);
    }

    /**
     * The object {@code fullKey}, or the part of it an HTTP {@code range} ({@code bytes=a-b}) names
     * when not null. Completing the returned future (cancelling it) stops the GET.
     */
    CompletableFuture<byte[]> get(String fullKey, String range) {
        Get g = new Get(fullKey, range);
        open.add(g);
        try {
            if (closed) {
                throw new RejectedExecutionException();
            }
            threads.execute(g);
        } catch (RejectedExecutionException e) {
            open.remove(g);
            g.result.completeExceptionally(closedError());
        }
        return g.result;
    }

    private static ObjectStoreException closedError() {
        return new ObjectStoreException("the object store is closed", null);
    }

    /** One GET: its answer, and the body being read, which close() aborts. */
    private final class Get implements Runnable {
        final String key;
        final String range;
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        volatile ResponseInputStream<GetObjectResponse> body;
        long deadline;

        Get(String key, String range) {
            this.key = key;
            this.range = range;
        }

        @Override
        public void run() {
            deadline = System.nanoTime() + timeout.toNanos();
            try {
                List<IOException> failed = new ArrayList<>();
                for (int attempt = 1; !result.isDone(); attempt++) {
                    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(bucket).key(key).range(range))) {
                        body = in;
                        result.complete(BlockingGets.body(in, in.response().contentLength(), this::abandoned, in::abort, bodyBytes::add));
                    } catch (IOException e) {
                        if (attempt >= BODY_ATTEMPTS || abandoned() || closed) {
                            failed.forEach(e::addSuppressed);
                            result.completeExceptionally(e);
                        }
                        failed.add(e);
                    } finally {
                        body = null;
                    }
                }
            } catch (Throwable t) {
                result.completeExceptionally(t);
            } finally {
                open.remove(this);
            }
        }

        /** True once the GET is no longer wanted, or out of time (which fails it). */
        boolean abandoned() {
            if (!result.isDone() && System.nanoTime() - deadline > 0) {
                result.completeExceptionally(new ObjectStoreException("no whole body within " + timeout.toMillis() + " ms", null));
            }
            return result.isDone();
        }

        void abort() {
            ResponseInputStream<GetObjectResponse> in = body;
            if (in != null) {
                in.abort();
            }
        }
    }

    /**
     * A body of {@code length} bytes (null: not said) read whole into one array. One longer or
     * shorter than its header said fails, rather than being handed out. When {@code abandoned}
     * turns true between two pieces, {@code abort} drops the connection (reading on would only
     * keep it for reuse) and null is returned.
     */
    static byte[] body(InputStream in, Long length, BooleanSupplier abandoned, Runnable abort, LongConsumer read)
            throws IOException {
        if (abandoned.getAsBoolean()) {
            abort.run();
            return null;
        }
        if (length == null) {
            byte[] all = in.readAllBytes();
            read.accept(all.length);
            return all;
        }
        byte[] into = new byte[Math.toIntExact(length)];
        int filled = 0;
        while (filled < into.length) {
            if (abandoned.getAsBoolean()) {
                abort.run();
                return null;
            }
            int n = in.read(into, filled, Math.min(PIECE, into.length - filled));
            if (n < 0) {
                throw new ObjectStoreException("the body ended after " + filled + " of its " + into.length + " bytes", null);
            }
            filled += n;
            read.accept(n);
        }
        if (in.read() >= 0) {
            throw new ObjectStoreException("the body is longer than its Content-Length of " + into.length + " bytes", null);
        }
        return into;
    }

    /**
     * Fails every GET not yet answered (those queued never start), drops the connections of those
     * reading, and returns once the threads have ended: a one-shot command closes its store and exits.
     */
    @Override
    public void close() {
        closed = true;
        for (Get g : open) {
            g.result.completeExceptionally(closedError());
            g.abort();
        }
        threads.shutdownNow();
        s3.close();
        if (Thread.currentThread().getThreadGroup() == group) {
            return;
        }
        try {
            threads.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every thread has ended (for tests). */
    boolean terminated() {
        return threads.isTerminated();
    }

    /** GETs queued or reading (for tests). */
    int open() {
        return open.size();
    }

    /** Body bytes read so far (for tests). */
    long bodyBytesRead() {
        return bodyBytes.sum();
    }
}
