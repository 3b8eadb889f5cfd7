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
        // A request (refused) starts the I/O threads.
        assertThat(store.get("k").handle((v, t) -> t != null).get()).isTrue();
        store.close();
        // A thread still in its native poll when the JVM exits holds the exit 300 ms: a one-shot command closes and exits.
        assertThat(store.ioThreadsTerminated()).as("I/O threads terminated when close returned").isTrue();
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
