package io.strata.metastore.fdb;

import com.apple.foundationdb.Database;
import com.apple.foundationdb.FDB;
import com.apple.foundationdb.FDBException;
import com.apple.foundationdb.Range;
import com.apple.foundationdb.directory.DirectoryLayer;
import com.apple.foundationdb.directory.DirectorySubspace;
import com.apple.foundationdb.tuple.ByteArrayUtil;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyValue;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStoreException;
import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.Transaction;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The production MetaStore on FoundationDB (fdb-java, API version {@value #API_VERSION}).
 * Everything lives under the Directory-layer directory {@code ("strata")}: user keys under
 * prefix {@code 0x01}, value chunks under {@code 0x02}. FoundationDB limits a value to 100 kB,
 * so a larger value is split into chunks of {@value #CHUNK} bytes and the key holds only a
 * marker and the chunk count; range reads see one entry per user key, as on the other backends.
 *
 * <p>Transactions go through fdb-java's own retry loop ({@link Database#run}) with a timeout
 * and a retry limit, so an unreachable cluster surfaces as {@link MetaStoreUnavailableException}
 * instead of blocking forever. Each transaction must fit FoundationDB's five seconds.
 */
public final class FdbMetaStore implements MetaStore {
    public static final int API_VERSION = 730;
    static final int CHUNK = 90_000;
    private static final byte INLINE = 0;
    private static final byte CHUNKED = 1;

    private final Database db;
    private final byte[] values;
    private final byte[] chunks;
    private final byte[] signals;
    private final String display;

    private FdbMetaStore(Database db, DirectorySubspace dir, String display) {
        this.db = db;
        this.values = ByteArrayUtil.join(dir.getKey(), new byte[] {1});
        this.chunks = ByteArrayUtil.join(dir.getKey(), new byte[] {2});
        this.signals = ByteArrayUtil.join(dir.getKey(), new byte[] {3});
        this.display = display;
    }

    /** Opens {@code fdb:} (the default cluster file) or {@code fdb:/path/to/fdb.cluster}, with TLS options ({@link FdbUrl}). */
    public static FdbMetaStore open(String url) {
        return open(url, io.strata.metastore.StartupWait.none());
    }

    /** As {@link #open(String)}; the first transaction (the directory's) tried again as {@code wait} says while the cluster cannot be reached. */
    public static FdbMetaStore open(String url, io.strata.metastore.StartupWait wait) {
        FdbUrl parsed = FdbUrl.parse(url);
        String clusterFile = parsed.clusterFile();
        FDB fdb;
        try {
            fdb = FDB.selectAPIVersion(API_VERSION);
        } catch (LinkageError | RuntimeException e) {
            // No outage: nothing to wait for (and a second try would only meet the class whose initialisation failed).
            throw new MetaStoreException("the FoundationDB client library (libfdb_c) is not installed: "
                    + e.getMessage(), new RuntimeException(e));
        }
        // Network options: set before the first open starts the client's network thread.
        parsed.tls().forEach((option, value) -> {
            switch (option) {
                case "tls_cert_path" -> fdb.options().setTLSCertPath(value);
                case "tls_key_path" -> fdb.options().setTLSKeyPath(value);
                case "tls_ca_path" -> fdb.options().setTLSCaPath(value);
                case "tls_verify_peers" -> fdb.options().setTLSVerifyPeers(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                case "tls_password" -> fdb.options().setTLSPassword(value);
                default -> throw new IllegalArgumentException(option);
            }
        });
        Database db = clusterFile == null ? fdb.open() : fdb.open(clusterFile);
        db.options().setTransactionTimeout(5000);
        db.options().setTransactionRetryLimit(100);
        try {
            DirectorySubspace dir = wait.attempt(() -> {
                try {
                    return DirectoryLayer.getDefault().createOrOpen(db, List.of("strata")).join();
                } catch (CompletionException | FDBException e) {
                    throw translate(parsed.display(), e);
                }
            });
            return new FdbMetaStore(db, dir, parsed.display());
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    @Override
    public <T> T run(Function<Transaction, T> work) {
        try {
            return db.run(tr -> work.apply(new FdbTransaction(tr)));
        } catch (CompletionException | FDBException e) {
            throw translate(display, e);
        }
    }

    @Override
    public <T> CompletableFuture<T> runAsync(Function<Transaction, T> work) {
        return CompletableFuture.supplyAsync(() -> run(work), db.getExecutor());
    }

    private static RuntimeException translate(String display, Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof FDBException fe) {
            // 1031 transaction_timed_out, 1020 not_committed (retry limit), 1021 commit_unknown_result
            if (fe.getCode() == 1031 || fe.getCode() == 1020 || fe.getCode() == 1021 || fe.isRetryable()) {
                return new MetaStoreUnavailableException(display + ": " + fe.getMessage() + " (code " + fe.getCode() + ")", fe);
            }
            return new MetaStoreException(display + ": " + fe.getMessage() + " (code " + fe.getCode() + ")", fe);
        }
        return cause instanceof RuntimeException re ? re : new MetaStoreException(display + ": " + cause, cause);
    }

    private byte[] signalKey(String channel) {
        return ByteArrayUtil.join(signals, Tuple.from(channel).pack());
    }

    /** FoundationDB's watch on the channel's change key, re-armed after every change. */
    @Override
    public AutoCloseable watch(String channel, Runnable onSignal) {
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        arm(channel, onSignal, stopped);
        return () -> stopped.set(true);
    }

    private void arm(String channel, Runnable onSignal, java.util.concurrent.atomic.AtomicBoolean stopped) {
        if (stopped.get()) {
            return;
        }
        CompletableFuture<Void> fired;
        try {
            fired = db.run(tr -> tr.watch(signalKey(channel)));
        } catch (RuntimeException e) {
            fired = CompletableFuture.failedFuture(e);
        }
        fired.whenComplete((v, error) -> {
            if (error == null && !stopped.get()) {
                onSignal.run();
            }
            // After an error (too many watches, a lost connection) wait a little: the watcher polls meanwhile.
            CompletableFuture.delayedExecutor(error == null ? 0 : 1000, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .execute(() -> arm(channel, onSignal, stopped));
        });
    }

    @Override
    public String describe() {
        return display;
    }

    @Override
    public void close() {
        db.close();
    }

    private final class FdbTransaction implements Transaction {
        private final com.apple.foundationdb.Transaction tr;

        FdbTransaction(com.apple.foundationdb.Transaction tr) {
            this.tr = tr;
        }

        private byte[] valueKey(byte[] key) {
            return ByteArrayUtil.join(values, key);
        }

        @Override
        public void signal(String channel) {
            // An atomic add: concurrent signallers never conflict, and every commit changes the key.
            tr.mutate(com.apple.foundationdb.MutationType.ADD, signalKey(channel), new byte[] {1, 0, 0, 0, 0, 0, 0, 0});
        }

        private Range chunkRange(byte[] key) {
            return Range.startsWith(ByteArrayUtil.join(chunks, Tuple.from(key).pack()));
        }

        @Override
        public byte[] get(byte[] key) {
            return decode(key, tr.get(valueKey(key)).join());
        }

        private byte[] decode(byte[] key, byte[] stored) {
            if (stored == null) {
                return null;
            }
            if (stored[0] == INLINE) {
                byte[] out = new byte[stored.length - 1];
                System.arraycopy(stored, 1, out, 0, out.length);
                return out;
            }
            int total = ByteBuffer.wrap(stored, 1, 4).getInt();
            ByteBuffer out = ByteBuffer.allocate(total);
            for (com.apple.foundationdb.KeyValue kv : tr.getRange(chunkRange(key)).asList().join()) {
                out.put(kv.getValue());
            }
            if (out.hasRemaining()) {
                throw new MetaStoreException(display + ": value of " + ByteArrayUtil.printable(key) + " is missing chunks");
            }
            return out.array();
        }

        @Override
        public void set(byte[] key, byte[] value) {
            tr.clear(chunkRange(key));
            if (value.length < CHUNK) {
                tr.set(valueKey(key), ByteArrayUtil.join(new byte[] {INLINE}, value));
                return;
            }
            tr.set(valueKey(key), ByteBuffer.allocate(5).put(CHUNKED).putInt(value.length).array());
            byte[] prefix = ByteArrayUtil.join(chunks, Tuple.from(key).pack());
            for (int i = 0, n = 0; i < value.length; i += CHUNK, n++) {
                byte[] part = new byte[Math.min(CHUNK, value.length - i)];
                System.arraycopy(value, i, part, 0, part.length);
                tr.set(ByteArrayUtil.join(prefix, Tuple.from(n).pack()), part);
            }
        }

        @Override
        public void clear(byte[] key) {
            tr.clear(valueKey(key));
            tr.clear(chunkRange(key));
        }

        @Override
        public void clearRange(byte[] begin, byte[] end) {
            for (KeyValue kv : getRange(begin, end, 0, false)) {
                tr.clear(chunkRange(kv.key()));
            }
            tr.clear(valueKey(begin), valueKey(end));
        }

        @Override
        public List<KeyValue> getRange(byte[] begin, byte[] end, int limit, boolean reverse) {
            List<KeyValue> out = new ArrayList<>();
            for (com.apple.foundationdb.KeyValue kv : tr.getRange(valueKey(begin), valueKey(end),
                    limit > 0 ? limit : com.apple.foundationdb.ReadTransaction.ROW_LIMIT_UNLIMITED, reverse).asList().join()) {
                byte[] userKey = new byte[kv.getKey().length - values.length];
                System.arraycopy(kv.getKey(), values.length, userKey, 0, userKey.length);
                out.add(new KeyValue(userKey, decode(userKey, kv.getValue())));
            }
            return out;
        }
    }
}
