package io.strata.tiering.store;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ObjectStore contract against a real s3proxy process over HTTP, through aws-sdk-java-v2. */
class S3ObjectStoreTest extends ObjectStoreContract {
    static S3ProxyServer server;

    @BeforeAll
    static void startServer() throws Exception {
        System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
        server = S3ProxyServer.start();
        try (S3ObjectStore s = new S3ObjectStore(S3Location.parse(server.url("contract", "")))) {
            s.ensureBucket().get();
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected ObjectStore open() {
        return ObjectStores.open(server.url("contract", "with/prefix"));
    }

    @Test
    void anUnreachableServerFailsWithANamedError() throws Exception {
        try (ObjectStore nowhere = ObjectStores.open("s3://contract/x?endpoint=http://127.0.0.1:1&region=us-east-1")) {
            assertThatThrownBy(() -> nowhere.get("k").get()).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(ObjectStoreException.class).hasMessageContaining("s3://contract/x");
        }
    }

    @Test
    void closeReturnsOnceItsIoThreadsHaveStopped() throws Exception {
        S3ObjectStore store = new S3ObjectStore(S3Location.parse("s3://contract/x?endpoint=http://127.0.0.1:1&region=us-east-1"));
        // A request of the async client's (refused) starts the I/O threads.
        assertThat(store.head("k").handle((v, t) -> t != null).get()).isTrue();
        assertThat(store.asyncClientOpened()).isTrue();
        store.close();
        // A thread still in its native poll when the JVM exits holds the exit 300 ms: a one-shot command closes and exits.
        assertThat(store.ioThreadsTerminated()).as("I/O threads terminated when close returned").isTrue();
    }

    @Test
    void aStoreThatOnlyReadsNeverOpensTheAsyncClientAndAClosedOneRefusesGets() throws Exception {
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new java.util.Random(7).nextBytes(data);
        try (ObjectStore writer = open()) {
            writer.put("reads/only", data).get();
        }
        S3ObjectStore reader = new S3ObjectStore(S3Location.parse(server.url("contract", "with/prefix")));
        assertThat(reader.get("reads/only").get()).isEqualTo(data);
        assertThat(reader.getRange("reads/only", 1_000_000, 2_000_000).get())
                .isEqualTo(java.util.Arrays.copyOfRange(data, 1_000_000, 3_000_000));
        assertThat(reader.getRange("reads/only", data.length, 10).get()).as("past the end").isEmpty();
        assertThatThrownBy(() -> reader.get("reads/none").get()).hasCauseInstanceOf(ObjectNotFoundException.class);
        assertThat(reader.asyncClientOpened()).as("the async client, for a store that only read").isFalse();
        reader.close();
        assertThat(reader.gets().terminated()).as("the GETs' threads ended when close returned").isTrue();
        assertThatThrownBy(() -> reader.get("reads/only").get()).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ObjectStoreException.class);
        assertThatThrownBy(() -> reader.head("reads/only").get()).as("the async client's, once closed").isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ObjectStoreException.class);
    }

    @Test
    void aGetItsCallerCancelsStopsReadingAndCloseAnswersEveryGetQueued() throws Exception {
        byte[] data = new byte[32 * 1024 * 1024];
        new java.util.Random(11).nextBytes(data);
        try (ObjectStore writer = open()) {
            writer.put("big", data).get();
        }
        int gets = 2 * BlockingGets.MAX_IN_FLIGHT;
        S3ObjectStore reader = new S3ObjectStore(S3Location.parse(server.url("contract", "with/prefix")));
        java.util.List<java.util.concurrent.CompletableFuture<byte[]>> cancelled = new java.util.ArrayList<>();
        for (int i = 0; i < gets; i++) {
            cancelled.add(reader.getRange("big", 0, data.length));
        }
        cancelled.forEach(f -> f.cancel(false));
        // GETs that began before their cancel may have read some of their bodies by now, each at most a piece more after it.
        long readBeforeCancel = reader.gets().bodyBytesRead();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (reader.gets().open() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(reader.gets().open()).as("GETs still open").isZero();
        // Read whole, they would be 4 GiB in all.
        assertThat(reader.gets().bodyBytesRead() - readBeforeCancel).as("body bytes read after the cancel")
                .isLessThanOrEqualTo(2L * BlockingGets.MAX_IN_FLIGHT * BlockingGets.PIECE);

        java.util.List<java.util.concurrent.CompletableFuture<byte[]>> queued = new java.util.ArrayList<>();
        for (int i = 0; i < gets; i++) {
            queued.add(reader.getRange("big", i, 1024));
        }
        reader.close();
        java.util.concurrent.CompletableFuture.allOf(queued.toArray(new java.util.concurrent.CompletableFuture[0]))
                .handle((v, t) -> null).get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(queued).allMatch(java.util.concurrent.CompletableFuture::isDone);
    }

    @Test
    void urlsCarryBucketPrefixEndpointAndRegion() {
        S3Location l = S3Location.parse("s3://bucket/a/b/?endpoint=http://h:9000&region=eu-west-1");
        assertThat(l.bucket()).isEqualTo("bucket");
        assertThat(l.prefix()).isEqualTo("a/b");
        assertThat(l.endpoint()).isEqualTo("http://h:9000");
        assertThat(l.region()).isEqualTo("eu-west-1");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/p?endpont=x")).hasMessageContaining("endpont");
    }
}
