package io.strata.sdk.replay;

import io.strata.tiering.store.ForwardingObjectStore;
import io.strata.tiering.store.ObjectStore;
import io.strata.tiering.store.ObjectStores;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Object-store clients shared by the replays of one process, one per bucket URL, and closed
 * {@link #IDLE} after the last replay using one returns it. Opening an S3 client costs a warm
 * process about a tenth of a second (its HTTP stack, credentials chain and endpoint rules), as
 * long as a replay of a few hundred megabytes takes to read: a service that replays on request
 * would pay it every time. Every thread the client runs is a daemon, so a client waiting to be
 * reused never keeps a process from exiting.
 */
final class SharedObjectStores {
    /** How long an unused client stays open for the next replay. */
    static final Duration IDLE = Duration.ofSeconds(60);
    private static final SharedObjectStores PROCESS = new SharedObjectStores(ObjectStores::open, IDLE);

    /** One URL's client and the replays using it. */
    private static final class Entry {
        final ObjectStore store;
        int users;
        ScheduledFuture<?> closing;

        Entry(ObjectStore store) {
            this.store = store;
        }
    }

    private final Function<String, ObjectStore> opener;
    private final Duration idle;
    private final Map<String, Entry> open = new HashMap<>();
    private ScheduledExecutorService closer;

    SharedObjectStores(Function<String, ObjectStore> opener, Duration idle) {
        this.opener = opener;
        this.idle = idle;
    }

    /** The process's shared clients. */
    static SharedObjectStores process() {
        return PROCESS;
    }

    /**
     * A lease on {@code url}'s client, opened if no replay holds one: closing the returned store
     * gives it back (once, however often it is closed).
     */
    ObjectStore lease(String url) {
        synchronized (this) {
            Entry e = open.get(url);
            if (e != null) {
                return leased(url, e);
            }
        }
        // Opened outside the lock: it is slow, and another URL's replay need not wait for it.
        ObjectStore opened = opener.apply(url);
        ObjectStore lease;
        synchronized (this) {
            Entry e = open.get(url);
            if (e == null) {
                e = new Entry(opened);
                open.put(url, e);
                return leased(url, e);
            }
            // Another replay opened one meanwhile: share that one, and close ours outside the lock (closing waits for its threads).
            lease = leased(url, e);
        }
        opened.close();
        return lease;
    }

    /** Clients open now (in use or waiting to be reused). */
    synchronized int openCount() {
        return open.size();
    }

    private ObjectStore leased(String url, Entry e) {
        e.users++;
        if (e.closing != null) {
            e.closing.cancel(false);
            e.closing = null;
        }
        return new Leased(e.store, () -> giveBack(url, e));
    }

    private synchronized void giveBack(String url, Entry e) {
        if (--e.users > 0) {
            return;
        }
        if (closer == null) {
            closer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "replay-store-closer");
                t.setDaemon(true);
                return t;
            });
        }
        e.closing = closer.schedule(() -> closeIfIdle(url, e), idle.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Closes now every client no replay is using (those still in use close when given back, after
     * {@link #IDLE}); for a process about to exit, which will not replay again.
     */
    void closeUnused() {
        java.util.List<ObjectStore> closing = new java.util.ArrayList<>();
        synchronized (this) {
            for (var it = open.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                if (e.users == 0) {
                    if (e.closing != null) {
                        e.closing.cancel(false);
                    }
                    closing.add(e.store);
                    it.remove();
                }
            }
        }
        closing.forEach(ObjectStore::close);
    }

    private void closeIfIdle(String url, Entry e) {
        synchronized (this) {
            if (e.users > 0 || open.get(url) != e) {
                return;
            }
            open.remove(url);
        }
        e.store.close();
    }

    /** A store whose close returns the lease instead of closing the client. */
    private static final class Leased extends ForwardingObjectStore {
        private final Runnable giveBack;
        private final AtomicBoolean returned = new AtomicBoolean();

        Leased(ObjectStore store, Runnable giveBack) {
            super(store);
            this.giveBack = giveBack;
        }

        @Override
        public void close() {
            if (returned.compareAndSet(false, true)) {
                giveBack.run();
            }
        }
    }
}
