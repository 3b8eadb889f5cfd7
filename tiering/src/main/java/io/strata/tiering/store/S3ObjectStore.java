package io.strata.tiering.store;

import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3BaseClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * S3 (or any S3-compatible server) through aws-sdk-java-v2: GETs on its blocking client
 * ({@link BlockingGets}, which reads a body with a copy less), everything else on its async
 * client, opened at its first use (a replay, which only reads, never opens it); multipart upload
 * above 16 MiB in 8 MiB parts, ranged GETs, path-style access when an endpoint is given.
 * Credentials come from the AWS default chain ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY},
 * profiles, instance roles). Checksums are computed only when S3 requires them, which every
 * S3-compatible server accepts.
 */
public final class S3ObjectStore implements ObjectStore {
    static final long MULTIPART_THRESHOLD = 16L * 1024 * 1024;
    static final long PART_SIZE = 8L * 1024 * 1024;

    /** A request's time in all, retries included (for a GET, until its body is whole). */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(20);

    private final S3Location location;
    /** One chain for both clients: it resolves credentials once. */
    private final DefaultCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
    private final BlockingGets gets;
    private S3AsyncClient async;
    /**
     * The async client's I/O threads, ours rather than the SDK's: the SDK closes its own with
     * Netty's graceful shutdown, a 2 s quiet period that every process closing a store paid at
     * its end. Nothing is in flight when the store is closed, so ours stop at once.
     */
    private io.netty.channel.EventLoopGroup ioThreads;
    private boolean closed;

    public S3ObjectStore(S3Location location) {
        this.location = location;
        S3Client blocking = configured(S3Client.builder()
                .httpClientBuilder(software.amazon.awssdk.http.apache5.Apache5HttpClient.builder().maxConnections(BlockingGets.MAX_IN_FLIGHT)
                        .socketTimeout(ATTEMPT_TIMEOUT)))
                .build();
        this.gets = new BlockingGets(blocking, location.bucket(), CALL_TIMEOUT);
    }

    /** The settings both clients share. */
    private <B extends S3BaseClientBuilder<B, ?>> B configured(B b) {
        b.region(Region.of(location.region()))
                .credentialsProvider(credentials)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT).apiCallAttemptTimeout(ATTEMPT_TIMEOUT));
        if (location.endpoint() != null) {
            b.endpointOverride(URI.create(location.endpoint())).forcePathStyle(true);
        }
        return b;
    }

    /**
     * {@code call} on the async client, opened at the first request that wants it; a failed
     * future once the store is closed, as every operation fails rather than throws.
     */
    private <T> CompletableFuture<T> async(Function<S3AsyncClient, CompletableFuture<T>> call) {
        S3AsyncClient client;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new ObjectStoreException(describe() + " is closed", null));
            }
            if (async == null) {
                ioThreads = new io.netty.channel.nio.NioEventLoopGroup(0, new io.netty.util.concurrent.DefaultThreadFactory("s3-io", true));
                async = configured(S3AsyncClient.builder()
                        .httpClientBuilder(software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient.builder()
                                .eventLoopGroup(software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup.create(ioThreads))))
                        .build();
            }
            client = async;
        }
        return call.apply(client);
    }

    private String full(String key) {
        return location.prefix().isEmpty() ? key : location.prefix() + "/" + key;
    }

    private String strip(String fullKey) {
        return location.prefix().isEmpty() ? fullKey : fullKey.substring(location.prefix().length() + 1);
    }

    private <T> CompletableFuture<T> wrap(String key, CompletableFuture<T> f) {
        return f.handle((v, t) -> {
            if (t == null) {
                return v;
            }
            Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            if (cause instanceof S3Exception s3e && s3e.statusCode() == 404) {
                throw new ObjectNotFoundException(key, cause);
            }
            throw new ObjectStoreException(describe() + ": " + key + ": " + cause.getMessage(), cause);
        });
    }

    @Override
    public CompletableFuture<Void> put(String key, Path file) {
        long size;
        try {
            size = java.nio.file.Files.size(file);
        } catch (java.io.IOException e) {
            return CompletableFuture.failedFuture(new ObjectStoreException("cannot read " + file, e));
        }
        if (size <= MULTIPART_THRESHOLD) {
            return wrap(key, async(c -> c.putObject(r -> r.bucket(location.bucket()).key(full(key)), AsyncRequestBody.fromFile(file)))
                    .thenApply(r -> null));
        }
        return wrap(key, multipart(full(key), file, size));
    }

    /**
     * A multipart upload driven by hand, parts in sequence, so no optional headers are sent that
     * S3-compatible servers may not implement; aborted on failure so no parts linger.
     */
    private CompletableFuture<Void> multipart(String fullKey, Path file, long size) {
        return async(c -> c.createMultipartUpload(r -> r.bucket(location.bucket()).key(fullKey))).thenCompose(created -> {
            String uploadId = created.uploadId();
            List<software.amazon.awssdk.services.s3.model.CompletedPart> parts = new ArrayList<>();
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            int partNumber = 1;
            for (long offset = 0; offset < size; offset += PART_SIZE, partNumber++) {
                long start = offset;
                long length = Math.min(PART_SIZE, size - offset);
                int n = partNumber;
                chain = chain.thenCompose(v -> async(c -> c.uploadPart(r -> r.bucket(location.bucket()).key(fullKey).uploadId(uploadId)
                                .partNumber(n).contentLength(length),
                        AsyncRequestBody.fromFile(software.amazon.awssdk.core.FileRequestBodyConfiguration.builder()
                                .path(file).position(start).numBytesToRead(length).build())))
                        .thenAccept(resp -> parts.add(software.amazon.awssdk.services.s3.model.CompletedPart.builder()
                                .partNumber(n).eTag(resp.eTag()).build())));
            }
            return chain.thenCompose(v -> async(c -> c.completeMultipartUpload(r -> r.bucket(location.bucket()).key(fullKey).uploadId(uploadId)
                            .multipartUpload(m -> m.parts(parts)))))
                    .thenApply(r -> (Void) null)
                    .whenComplete((v, t) -> {
                        if (t != null) {
                            async(c -> c.abortMultipartUpload(r -> r.bucket(location.bucket()).key(fullKey).uploadId(uploadId)));
                        }
                    });
        });
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] data) {
        return wrap(key, async(c -> c.putObject(r -> r.bucket(location.bucket()).key(full(key)), AsyncRequestBody.fromBytes(data)))
                .thenApply(r -> null));
    }

    @Override
    public CompletableFuture<byte[]> get(String key) {
        CompletableFuture<byte[]> get = gets.get(full(key), null);
        return stopping(get, wrap(key, get));
    }

    @Override
    public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
        if (length <= 0) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        CompletableFuture<byte[]> get = gets.get(full(key), range);
        return stopping(get, wrap(key, get).exceptionallyCompose(t -> {
            Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            // 416: the range starts at or past the end, which reads as "no more bytes".
            if (cause instanceof ObjectStoreException && cause.getCause() instanceof S3Exception e && e.statusCode() == 416) {
                return CompletableFuture.completedFuture(new byte[0]);
            }
            return CompletableFuture.failedFuture(cause);
        }));
    }

    /** {@code answer}, which stops {@code get} when a caller cancels it (or completes it any other way first). */
    private static <T> CompletableFuture<T> stopping(CompletableFuture<byte[]> get, CompletableFuture<T> answer) {
        answer.whenComplete((v, t) -> get.cancel(false));
        return answer;
    }

    @Override
    public CompletableFuture<Optional<ObjectInfo>> head(String key) {
        CompletableFuture<Optional<ObjectInfo>> f = async(c -> c.headObject(r -> r.bucket(location.bucket()).key(full(key))))
                .thenApply(h -> Optional.of(new ObjectInfo(key, h.contentLength(), h.lastModified().toEpochMilli())));
        return f.exceptionallyCompose(t -> {
            Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            if (cause instanceof S3Exception e && e.statusCode() == 404) {
                return CompletableFuture.completedFuture(Optional.empty());
            }
            if (cause instanceof S3Exception e && e.statusCode() == 403) {
                // S3 answers 403, not 404, for a missing key when the caller may list only its own
                // prefix of the bucket (a least-privilege role): a LIST of the key tells absent from denied.
                return list(key).thenCompose(found -> found.stream().anyMatch(o -> o.key().equals(key))
                        ? CompletableFuture.failedFuture(new ObjectStoreException(describe() + ": " + key + ": " + cause.getMessage(), cause))
                        : CompletableFuture.completedFuture(Optional.<ObjectInfo>empty()));
            }
            return CompletableFuture.failedFuture(new ObjectStoreException(describe() + ": " + key + ": " + cause.getMessage(), cause));
        });
    }

    @Override
    public CompletableFuture<List<ObjectInfo>> list(String prefix) {
        List<ObjectInfo> out = new ArrayList<>();
        return wrap(prefix, page(ListObjectsV2Request.builder().bucket(location.bucket()).prefix(full(prefix)).build(), out));
    }

    private CompletableFuture<List<ObjectInfo>> page(ListObjectsV2Request req, List<ObjectInfo> out) {
        return async(c -> c.listObjectsV2(req)).thenCompose((ListObjectsV2Response resp) -> {
            for (S3Object o : resp.contents()) {
                if (o.key().endsWith("/")) {
                    continue; // a "directory" marker some S3-compatible servers list; Strata never writes one
                }
                out.add(new ObjectInfo(strip(o.key()), o.size(), o.lastModified().toEpochMilli()));
            }
            if (Boolean.TRUE.equals(resp.isTruncated())) {
                return page(req.toBuilder().continuationToken(resp.nextContinuationToken()).build(), out);
            }
            return CompletableFuture.completedFuture(out);
        });
    }

    @Override
    public CompletableFuture<Void> delete(String key) {
        return wrap(key, async(c -> c.deleteObject(r -> r.bucket(location.bucket()).key(full(key)))).thenApply(r -> null));
    }

    /**
     * Creates the bucket if it does not exist (for development servers; real deployments create it
     * with Terraform). Only a 404 means it is missing: a role limited to the store's prefix may not
     * see the bucket itself (403), and then the bucket is taken to exist.
     */
    public CompletableFuture<Void> ensureBucket() {
        return async(c -> c.headBucket(r -> r.bucket(location.bucket()))).thenApply(r -> (Void) null)
                .exceptionallyCompose(t -> {
                    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                    if (cause instanceof S3Exception e && e.statusCode() == 403) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return async(c -> c.createBucket(r -> r.bucket(location.bucket()))).thenApply(r -> (Void) null);
                })
                .thenApply(Function.identity());
    }

    @Override
    public String describe() {
        return "s3://" + location.bucket() + (location.prefix().isEmpty() ? "" : "/" + location.prefix())
                + (location.endpoint() == null ? "" : " at " + location.endpoint());
    }

    @Override
    public void close() {
        gets.close();
        S3AsyncClient a;
        io.netty.channel.EventLoopGroup io;
        synchronized (this) {
            closed = true;
            a = async;
            io = ioThreads;
        }
        if (a == null) {
            return;
        }
        a.close();
        io.netty.util.concurrent.Future<?> stopped = io.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        // Returns once its threads have ended: a thread still in its native poll when the JVM exits holds the exit for
        // 300 ms (HotSpot waits for threads in native code to stop), which a one-shot command like strata replay paid
        // after its work was done. Not on one of its own threads, which would wait for itself.
        boolean own = false;
        for (io.netty.util.concurrent.EventExecutor e : io) {
            own |= e.inEventLoop();
        }
        if (!own) {
            stopped.awaitUninterruptibly(2, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The GETs' side (for tests). */
    BlockingGets gets() {
        return gets;
    }

    /** Whether the async client has been opened (for tests). */
    synchronized boolean asyncClientOpened() {
        return async != null;
    }

    /** Whether every I/O thread has stopped (for tests). */
    synchronized boolean ioThreadsTerminated() {
        return ioThreads == null || ioThreads.isTerminated();
    }
}
