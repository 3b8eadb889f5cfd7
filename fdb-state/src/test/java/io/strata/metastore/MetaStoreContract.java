package io.strata.metastore;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The behaviour every MetaStore backend must show. A backend's test extends this class and
 * supplies a fresh, empty store; the same assertions then run unchanged against it.
 */
public abstract class MetaStoreContract {
    protected MetaStore store;
    private final Subspace space = new Subspace(Tuple.from("contract-test"));

    /** A store with no keys under the "contract-test" tuple prefix. */
    protected abstract MetaStore openStore() throws Exception;

    /** The URL other processes use to reach the same store. */
    protected abstract String url();

    /** Makes the store unreachable (stops its server); false when the backend has no server to stop. */
    protected boolean stopServer() throws Exception {
        return false;
    }

    protected void startServer() throws Exception {
    }

    @BeforeEach
    void open() throws Exception {
        store = openStore();
        store.run(tx -> {
            KeyRange r = KeyRange.of(space);
            tx.clearRange(r.begin(), r.end());
            return null;
        });
    }

    @AfterEach
    void close() {
        store.close();
    }

    private byte[] k(Object... parts) {
        return space.pack(Tuple.from(parts));
    }

    private static byte[] v(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void setGetAndClear() {
        store.run(tx -> {
            tx.set(k("a"), v("1"));
            return null;
        });
        assertThat(read(k("a"))).isEqualTo(v("1"));
        store.run(tx -> {
            tx.clear(k("a"));
            return null;
        });
        assertThat(read(k("a"))).isNull();
    }

    @Test
    void aTransactionReadsItsOwnWrites() {
        byte[] seen = store.run(tx -> {
            tx.set(k("x"), v("mine"));
            return tx.get(k("x"));
        });
        assertThat(seen).isEqualTo(v("mine"));
    }

    @Test
    void aFailedTransactionLeavesNoTrace() {
        assertThatThrownBy(() -> store.run(tx -> {
            tx.set(k("half"), v("written"));
            throw new IllegalStateException("abort");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(read(k("half"))).isNull();
    }

    @Test
    void rangeReadsFollowTupleOrderWithLimitsAndReverse() {
        store.run(tx -> {
            for (long i : new long[] {10, 2, -5, 300, 7}) {
                tx.set(k("r", i), v(Long.toString(i)));
            }
            tx.set(k("s", 1L), v("outside"));
            return null;
        });
        KeyRange r = KeyRange.of(space.get("r"));
        List<Long> asc = store.run(tx -> keys(tx.getRange(r.begin(), r.end(), 0, false)));
        List<Long> desc = store.run(tx -> keys(tx.getRange(r.begin(), r.end(), 2, true)));
        List<Long> limited = store.run(tx -> keys(tx.getRange(r.begin(), r.end(), 3, false)));
        assertThat(asc).containsExactly(-5L, 2L, 7L, 10L, 300L);
        assertThat(desc).containsExactly(300L, 10L);
        assertThat(limited).containsExactly(-5L, 2L, 7L);
    }

    @Test
    void clearRangeRemovesOnlyThatRange() {
        store.run(tx -> {
            for (int i = 0; i < 5; i++) {
                tx.set(k("c", i), v("x"));
            }
            tx.clearRange(k("c", 1), k("c", 3));
            return null;
        });
        KeyRange r = KeyRange.of(space.get("c"));
        List<Long> left = store.run(tx -> keys(tx.getRange(r)));
        assertThat(left).containsExactly(0L, 3L, 4L);
    }

    @Test
    void largeValuesRoundTrip() {
        byte[] big = new byte[2 * 1024 * 1024];
        new Random(7).nextBytes(big);
        store.run(tx -> {
            tx.set(k("big"), big);
            return null;
        });
        assertThat(read(k("big"))).isEqualTo(big);
    }

    @Test
    void concurrentReadModifyWriteLosesNoUpdate() throws Exception {
        int threads = 4;
        int perThread = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        store.run(tx -> {
                            byte[] cur = tx.get(k("counter"));
                            long n = cur == null ? 0 : Tuple.fromBytes(cur).getLong(0);
                            tx.set(k("counter"), Tuple.from(n + 1).pack());
                            return null;
                        });
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        long total = store.run(tx -> Tuple.fromBytes(tx.get(k("counter"))).getLong(0));
        assertThat(total).isEqualTo((long) threads * perThread);
    }

    @Test
    void runAsyncCompletesWithTheResult() throws Exception {
        String out = store.runAsync(tx -> {
            tx.set(k("async"), v("done"));
            return "ok";
        }).get();
        assertThat(out).isEqualTo("ok");
        assertThat(read(k("async"))).isEqualTo(v("done"));
    }

    @Test
    void concurrentWritersInSeveralProcessesLoseNoUpdate() throws Exception {
        store.run(tx -> {
            tx.clear(CounterWorker.KEY);
            return null;
        });
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> workers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            workers.add(new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                    CounterWorker.class.getName(), url(), "40").redirectErrorStream(true).start());
        }
        for (int i = 0; i < 40; i++) {
            CounterWorker.increment(store);
        }
        for (Process p : workers) {
            assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        }
        long total = store.run(tx -> Tuple.fromBytes(tx.get(CounterWorker.KEY)).getLong(0));
        assertThat(total).isEqualTo(120);
    }

    @Test
    void anUnreachableStoreFailsClearlyAndRecoversIntact() throws Exception {
        store.run(tx -> {
            tx.set(k("before-outage"), v("kept"));
            return null;
        });
        org.junit.jupiter.api.Assumptions.assumeTrue(stopServer(), "this backend is embedded: it cannot become unreachable");
        try {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> store.run(tx -> {
                tx.set(k("during-outage"), v("lost"));
                return null;
            })).isInstanceOf(MetaStoreUnavailableException.class).hasMessageContaining("unreachable");
            assertThat((System.nanoTime() - t0) / 1_000_000).as("fails within seconds, not hangs").isLessThan(30_000);
        } finally {
            startServer();
        }
        assertThat(read(k("before-outage"))).isEqualTo(v("kept"));
        assertThat(read(k("during-outage"))).isNull();
    }

    protected byte[] read(byte[] key) {
        return store.run(tx -> tx.get(key));
    }

    private List<Long> keys(List<KeyValue> kvs) {
        List<Long> out = new ArrayList<>();
        for (KeyValue kv : kvs) {
            out.add(space.unpack(kv.key()).getLong(1));
        }
        return out;
    }
}
