package io.strata.sdk.replay;

import io.strata.tiering.store.ObjectInfo;
import io.strata.tiering.store.ObjectStore;
import io.strata.tiering.store.ObjectStores;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedObjectStoresTest {
    /** A client that only says whether it was closed: the cache's bookkeeping is what is under test. */
    static final class Client implements ObjectStore {
        final String url;
        volatile boolean closed;

        Client(String url) {
            this.url = url;
        }

        @Override
        public CompletableFuture<Void> put(String key, Path file) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> put(String key, byte[] data) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<byte[]> get(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<byte[]> getRange(String key, long offset, int length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Optional<ObjectInfo>> head(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<List<ObjectInfo>> list(String prefix) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> delete(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String describe() {
            return url;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void replaysOfOneBucketShareAClientThatClosesOnlyWhenIdleLongEnough() throws Exception {
        List<Client> opened = new ArrayList<>();
        SharedObjectStores shared = new SharedObjectStores(url -> {
            Client c = new Client(url);
            synchronized (opened) {
                opened.add(c);
            }
            return c;
        }, Duration.ofMillis(300));

        ObjectStore a = shared.lease("s3://one");
        ObjectStore b = shared.lease("s3://one");
        ObjectStore other = shared.lease("s3://two");
        assertEquals(2, opened.size(), "one client per bucket URL");
        assertEquals("s3://one", a.describe());
        assertEquals("s3://two", other.describe());

        a.close();
        a.close();
        Thread.sleep(600);
        assertFalse(opened.get(0).closed, "a client another replay still holds stays open, however often one lease is closed");

        b.close();
        Thread.sleep(100);
        ObjectStore again = shared.lease("s3://one");
        assertEquals(2, opened.size(), "a replay within the idle time reuses the client");
        again.close();
        Thread.sleep(100);
        assertFalse(opened.get(0).closed, "a lease taken back before the idle time ran out cancels the close");

        Thread.sleep(600);
        assertTrue(opened.get(0).closed, "idle for longer than the idle time: closed");
        assertFalse(opened.get(1).closed, "another bucket's client in use is not");
        assertEquals(1, shared.openCount());

        ObjectStore fresh = shared.lease("s3://one");
        assertEquals(3, opened.size(), "after the close a replay opens a new client");
        fresh.close();
        other.close();
    }

    @Test
    void aProcessAboutToExitClosesTheIdleClientsAtOnceAndNotThoseInUse() {
        List<Client> opened = new ArrayList<>();
        SharedObjectStores shared = new SharedObjectStores(url -> {
            Client c = new Client(url);
            opened.add(c);
            return c;
        }, Duration.ofMinutes(1));
        ObjectStore done = shared.lease("s3://one");
        ObjectStore busy = shared.lease("s3://two");
        done.close();

        shared.closeUnused();
        assertTrue(opened.get(0).closed, "an idle client closes now, not a minute later");
        assertFalse(opened.get(1).closed, "a client a replay still holds stays open");
        assertEquals(1, shared.openCount());
        busy.close();
    }

    @Test
    void anS3ClientWaitingToBeReusedKeepsNoProcessAlive() throws Exception {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        // Nothing listens on port 1: the GET fails, after the client has started every thread it runs.
        try (ObjectStore s3 = ObjectStores.open("s3://bucket?endpoint=http://127.0.0.1:1&region=us-east-1")) {
            assertTrue(s3.getRange("key", 0, 10).handle((v, t) -> t != null).get());
            Set<Thread> started = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t)).collect(Collectors.toSet());
            assertFalse(started.isEmpty());
            List<String> nonDaemon = started.stream().filter(t -> t.isAlive() && !t.isDaemon()).map(Thread::getName).toList();
            assertEquals(List.of(), nonDaemon, "threads that would keep a process alive");
        }
    }
}
