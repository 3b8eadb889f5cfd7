package io.strata.ingest.txn;

import io.strata.ingest.cluster.ClusterNode;
import io.strata.metastore.MetaStoreUnavailableException;
import io.strata.metastore.store.PartitionKey;
import io.strata.metastore.store.ProducerIdStore;
import io.strata.metastore.store.TransactionRecord;
import io.strata.metastore.store.TransactionRecord.State;
import io.strata.metastore.store.TransactionStore;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Kafka's transaction coordinator (KIP-98) for the transactional ids this node coordinates (the
 * live node an id hashes to, as for groups). State lives in the MetaStore
 * ({@link TransactionStore}), not in memory: every operation reads the id's record, checks the
 * producer's id and epoch against it, and writes the next state in a MetaStore transaction that
 * fails if another coordinator has taken the id over since this one did. So coordinators can move
 * between nodes, and a coordinator that restarts resumes where the record stands.
 *
 * <p>Ending a transaction: PREPARE_COMMIT or PREPARE_ABORT is written first (the decision),
 * then a marker goes to every partition of the transaction ({@link TxnMarkers}), then
 * COMPLETE_COMMIT or COMPLETE_ABORT, which in the same MetaStore transaction applies or drops
 * the consumer offsets the transaction committed. A coordinator that finds an id in a PREPARE
 * state (its predecessor died mid-way) writes the markers again; partitions take a repeated
 * marker harmlessly. Transactions open longer than their timeout are aborted with the producer's
 * epoch raised, which fences the producer that let them lapse; ids unused for
 * {@code transactional.id.expiration.ms} are forgotten.
 *
 * <p>Threads: called on the request threads (blocking on the MetaStore, as other handlers do);
 * markers are written on {@code txn-markers}; one lock per transactional id orders its state changes.
 */
public final class TransactionCoordinator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TransactionCoordinator.class);

    private final TransactionStore store;
    private final ProducerIdStore producerIds;
    private final ClusterNode cluster;
    private final TxnMarkers markers;
    private final LongSupplier clock;
    private final int maxTimeoutMs;
    private final ScheduledExecutorService timer = io.strata.ingest.util.NamedThreads.scheduled("txn-timeouts");
    /** The coordinator epoch this node holds each id in, since it took the id over. */
    private final Map<String, Integer> owned = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /** Ids whose markers are being written, with the completion of that write. */
    private final Map<String, CompletableFuture<Errors>> completing = new ConcurrentHashMap<>();

    private final long idExpirationMs;

    public TransactionCoordinator(TransactionStore store, ProducerIdStore producerIds, ClusterNode cluster, TxnMarkers markers,
                                  LongSupplier clock, int maxTimeoutMs, long idExpirationMs) {
        this.idExpirationMs = idExpirationMs;
        this.store = store;
        this.producerIds = producerIds;
        this.cluster = cluster;
        this.markers = markers;
        this.clock = clock;
        this.maxTimeoutMs = maxTimeoutMs;
    }

    /** Starts the sweep that aborts timed-out transactions and finishes ones a previous coordinator left half-done. */
    public void start(long sweepIntervalMs) {
        timer.scheduleWithFixedDelay(this::sweep, sweepIntervalMs, sweepIntervalMs, TimeUnit.MILLISECONDS);
    }

    public record InitResult(Errors error, long producerId, short producerEpoch) {
    }

    /** The refusal of an operation: the Kafka error the client gets. */
    private static final class Refused extends RuntimeException {
        final Errors error;

        Refused(Errors error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    // ---- the client-facing operations ----

    /**
     * InitProducerId with a transactional id: the id's producer with its epoch raised (a new
     * producer id once the epoch is exhausted), fencing any earlier producer of the id. An open
     * transaction is aborted first; meanwhile the client is told CONCURRENT_TRANSACTIONS and retries.
     */
    public InitResult initProducerId(String txnId, int timeoutMs, long expectedProducerId, short expectedEpoch) {
        if (timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
            return new InitResult(Errors.INVALID_TRANSACTION_TIMEOUT, -1, (short) -1);
        }
        try {
            return locked(txnId, () -> {
                TransactionRecord cur = current(txnId);
                long now = clock.getAsLong();
                if (expectedProducerId >= 0 && cur.producerId() >= 0
                        && (expectedProducerId != cur.producerId() || expectedEpoch != cur.producerEpoch())) {
                    // KIP-360: a producer asking for its own epoch to be raised must still hold the current one. Checked
                    // first, as Kafka does: a fenced instance must not abort the current producer's transaction.
                    throw new Refused(Errors.PRODUCER_FENCED, "producer " + expectedProducerId + " epoch " + expectedEpoch
                            + " is not the current producer of " + txnId);
                }
                if (cur.state().preparing()) {
                    resumeCompletion(cur);
                    throw new Refused(Errors.CONCURRENT_TRANSACTIONS, "the previous transaction of " + txnId + " is completing");
                }
                if (cur.state() == State.ONGOING) {
                    // A new producer instance for the id: the old one's open transaction is aborted, and it is fenced.
                    beginCompletion(fence(cur), false, now);
                    throw new Refused(Errors.CONCURRENT_TRANSACTIONS, "aborting the open transaction of " + txnId);
                }
                TransactionRecord next = bump(cur);
                next = new TransactionRecord(txnId, next.producerId(), next.producerEpoch(), timeoutMs, State.EMPTY, List.of(), List.of(),
                        -1, now, cur.coordinatorEpoch());
                store.write(next);
                return new InitResult(Errors.NONE, next.producerId(), next.producerEpoch());
            });
        } catch (Refused r) {
            return new InitResult(r.error, -1, (short) -1);
        }
    }

    /** AddPartitionsToTxn: the partitions join the producer's open transaction (opening it if none is). */
    public Errors addPartitions(String txnId, long producerId, short epoch, List<PartitionKey> partitions) {
        return addToTransaction(txnId, producerId, epoch, partitions, List.of());
    }

    /** AddOffsetsToTxn: the group's offsets, committed with TxnOffsetCommit, become part of the transaction. */
    public Errors addGroup(String txnId, long producerId, short epoch, String groupId) {
        return addToTransaction(txnId, producerId, epoch, List.of(), List.of(groupId));
    }

    private Errors addToTransaction(String txnId, long producerId, short epoch, List<PartitionKey> partitions, List<String> groups) {
        try {
            return locked(txnId, () -> {
                TransactionRecord cur = current(txnId);
                checkProducer(cur, producerId, epoch);
                if (cur.state().preparing()) {
                    resumeCompletion(cur);
                    throw new Refused(Errors.CONCURRENT_TRANSACTIONS, "the previous transaction of " + txnId + " is completing");
                }
                long now = clock.getAsLong();
                boolean opening = cur.state() != State.ONGOING;
                Set<PartitionKey> ps = new LinkedHashSet<>(opening ? List.of() : cur.partitions());
                Set<String> gs = new LinkedHashSet<>(opening ? List.of() : cur.groups());
                if (!opening && ps.containsAll(partitions) && gs.containsAll(groups)) {
                    return Errors.NONE;
                }
                ps.addAll(partitions);
                gs.addAll(groups);
                store.write(new TransactionRecord(txnId, cur.producerId(), cur.producerEpoch(), cur.timeoutMs(), State.ONGOING,
                        List.copyOf(ps), List.copyOf(gs), opening ? now : cur.startMs(), now, cur.coordinatorEpoch()));
                return Errors.NONE;
            });
        } catch (Refused r) {
            return r.error;
        }
    }

    /**
     * EndTxn: commits or aborts the producer's open transaction. The answer comes once the markers
     * are written and the transaction is complete, or once the decision is durable if the markers
     * take longer than {@code waitMs} (they are retried until written, as Kafka does; meanwhile the
     * id answers CONCURRENT_TRANSACTIONS).
     */
    public CompletableFuture<Errors> endTransaction(String txnId, long producerId, short epoch, boolean commit, long waitMs) {
        CompletableFuture<Errors> done;
        try {
            done = locked(txnId, () -> {
                TransactionRecord cur = current(txnId);
                checkProducer(cur, producerId, epoch);
                State wanted = commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT;
                switch (cur.state()) {
                    case ONGOING -> {
                        return beginCompletion(cur, commit, clock.getAsLong());
                    }
                    case PREPARE_COMMIT, PREPARE_ABORT -> {
                        if (cur.state() == (commit ? State.PREPARE_COMMIT : State.PREPARE_ABORT)) {
                            return resumeCompletion(cur);
                        }
                        throw new Refused(Errors.INVALID_TXN_STATE, txnId + " is completing its transaction the other way");
                    }
                    case COMPLETE_COMMIT, COMPLETE_ABORT -> {
                        // A retry of an EndTxn that completed: the same answer; the other outcome is not possible any more.
                        if (cur.state() == wanted) {
                            return CompletableFuture.completedFuture(Errors.NONE);
                        }
                        throw new Refused(Errors.INVALID_TXN_STATE, txnId + " has no open transaction to "
                                + (commit ? "commit" : "abort") + "; its last one ended " + cur.state().kafkaName());
                    }
                    default -> throw new Refused(Errors.INVALID_TXN_STATE, txnId + " has no open transaction");
                }
            });
        } catch (Refused r) {
            return CompletableFuture.completedFuture(r.error);
        }
        CompletableFuture<Errors> answer = new CompletableFuture<>();
        done.whenComplete((e, t) -> answer.complete(t == null ? e : Errors.NONE));
        timer.schedule(() -> answer.complete(Errors.NONE), waitMs, TimeUnit.MILLISECONDS);
        return answer;
    }

    /** The id's record as this node would describe it (DescribeTransactions), or an error. */
    public Optional<TransactionRecord> describe(String txnId) {
        if (!cluster.coordinates(txnId)) {
            throw new Refused(Errors.NOT_COORDINATOR, "not the coordinator of " + txnId);
        }
        return store.load(txnId).filter(r -> r.producerId() >= 0);
    }

    /**
     * KIP-890's server-side check, for a partition leader about to take a transactional batch that
     * opens a transaction: NONE when the id's current transaction is open, held by this producer and
     * epoch, and includes the partition; INVALID_PRODUCER_EPOCH for a fenced epoch;
     * INVALID_PRODUCER_ID_MAPPING for another producer id; INVALID_TXN_STATE otherwise. Read from the MetaStore, where the coordinator records a
     * partition before it answers AddPartitionsToTxn, so any node can answer it.
     */
    public Errors partitionInTransaction(String txnId, long producerId, short epoch, PartitionKey partition) {
        Optional<TransactionRecord> r = store.load(txnId);
        if (r.isEmpty() || r.get().producerId() != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        if (r.get().producerEpoch() > epoch) {
            return Errors.INVALID_PRODUCER_EPOCH; // fenced, as the coordinator's verification answers a stale epoch
        }
        return r.get().state() == State.ONGOING && r.get().producerEpoch() == epoch && r.get().partitions().contains(partition)
                ? Errors.NONE : Errors.INVALID_TXN_STATE;
    }

    /** Whether {@code txnId} is this node's to coordinate. */
    public boolean coordinates(String txnId) {
        return cluster.coordinates(txnId);
    }

    /** The transactional ids this node coordinates, with their state (ListTransactions: each node lists its own). */
    public List<TransactionRecord> list() {
        List<TransactionRecord> out = new ArrayList<>();
        for (TransactionRecord r : store.loadAll()) {
            if (r.producerId() >= 0 && cluster.coordinates(r.transactionalId())) {
                out.add(r);
            }
        }
        return out;
    }

    /** The Kafka error for a failure of {@link #describe}. */
    public static Errors errorOf(RuntimeException e) {
        return e instanceof Refused r ? r.error : Errors.forException(e);
    }

    // ---- completion ----

    /** Writes the PREPARE state of {@code cur} ending as {@code commit} says, and starts the markers. */
    private CompletableFuture<Errors> beginCompletion(TransactionRecord cur, boolean commit, long now) {
        TransactionRecord prepared = cur.with(commit ? State.PREPARE_COMMIT : State.PREPARE_ABORT, now);
        store.write(prepared);
        return resumeCompletion(prepared);
    }

    /** Writes the markers of a PREPARE record and then completes it; at most one such write runs per id. */
    private CompletableFuture<Errors> resumeCompletion(TransactionRecord prepared) {
        String id = prepared.transactionalId();
        CompletableFuture<Errors> started = new CompletableFuture<>();
        CompletableFuture<Errors> running = completing.putIfAbsent(id, started);
        if (running != null) {
            return running;
        }
        boolean commit = prepared.state() == State.PREPARE_COMMIT;
        // The completion runs on the coordinator's own thread, never on the fsync or replication threads that finish
        // the markers' writes: it takes the id's lock and writes to the MetaStore.
        markers.write(prepared.producerId(), prepared.producerEpoch(), prepared.coordinatorEpoch(), commit, prepared.partitions(),
                        () -> stillOwned(prepared))
                .thenApplyAsync(v -> {
                    complete(prepared, commit);
                    return Errors.NONE;
                }, timer)
                .whenComplete((e, t) -> {
                    completing.remove(id, started);
                    if (t != null) {
                        log.warn("transaction of {} (producer {} epoch {}) not completed here: {}", id, prepared.producerId(),
                                prepared.producerEpoch(), t.getMessage());
                        started.completeExceptionally(t);
                    } else {
                        started.complete(e);
                    }
                });
        return started;
    }

    private void complete(TransactionRecord prepared, boolean commit) {
        locked(prepared.transactionalId(), () -> {
            TransactionRecord cur = store.load(prepared.transactionalId()).orElseThrow();
            if (cur.state() != prepared.state() || cur.producerEpoch() != prepared.producerEpoch()
                    || cur.coordinatorEpoch() != prepared.coordinatorEpoch()) {
                throw new IllegalStateException("the record of " + prepared.transactionalId() + " changed while its markers were written");
            }
            store.complete(cur.with(commit ? State.COMPLETE_COMMIT : State.COMPLETE_ABORT, clock.getAsLong()), commit);
            return null;
        });
    }

    private boolean stillOwned(TransactionRecord r) {
        Integer held = owned.get(r.transactionalId());
        return held != null && held == r.coordinatorEpoch() && cluster.coordinates(r.transactionalId());
    }

    /**
     * Aborts transactions open past their timeout (raising the producer's epoch, so the producer
     * that let one lapse is fenced) and finishes PREPARE states left by a coordinator that died.
     */
    void sweep() {
        try {
            long now = clock.getAsLong();
            for (TransactionRecord r : store.loadAll()) {
                String id = r.transactionalId();
                if (r.producerId() < 0 || !cluster.coordinates(id) || completing.containsKey(id)) {
                    continue;
                }
                boolean expired = r.state() == State.ONGOING && now - r.startMs() > r.timeoutMs();
                boolean idle = (r.state() == State.EMPTY || r.state() == State.COMPLETE_COMMIT || r.state() == State.COMPLETE_ABORT)
                        && now - r.updateMs() > idExpirationMs;
                if (idle) {
                    // transactional.id.expiration.ms: an id unused that long is forgotten, as Kafka forgets it.
                    if (store.expire(r, now)) {
                        owned.remove(id);
                        log.info("transactional id {} expired: unused for {} ms", id, now - r.updateMs());
                    }
                    continue;
                }
                if (!expired && !r.state().preparing()) {
                    continue;
                }
                try {
                    locked(id, () -> {
                        TransactionRecord cur = current(id);
                        if (cur.state() == State.ONGOING && now - cur.startMs() > cur.timeoutMs()) {
                            log.info("aborting the transaction of {} (producer {} epoch {}): open {} ms, past its timeout of {} ms",
                                    id, cur.producerId(), cur.producerEpoch(), now - cur.startMs(), cur.timeoutMs());
                            beginCompletion(fence(cur), false, now);
                        } else if (cur.state().preparing()) {
                            resumeCompletion(cur);
                        }
                        return null;
                    });
                } catch (Refused e) {
                    log.debug("sweep of {}: {}", id, e.getMessage());
                }
            }
        } catch (MetaStoreUnavailableException e) {
            log.warn("transaction sweep skipped: metastore unavailable: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("transaction sweep failed", e);
        }
    }

    // ---- helpers ----

    /** The id's record, taking the id over first if this node has not held it since it became its coordinator. */
    private TransactionRecord current(String txnId) {
        if (!cluster.coordinates(txnId)) {
            owned.remove(txnId);
            throw new Refused(Errors.NOT_COORDINATOR, "this node does not coordinate " + txnId);
        }
        Integer held = owned.get(txnId);
        if (held == null) {
            TransactionRecord claimed = store.claim(txnId, clock.getAsLong());
            owned.put(txnId, claimed.coordinatorEpoch());
            log.info("coordinating transactional id {} in coordinator epoch {} (state {})", txnId, claimed.coordinatorEpoch(),
                    claimed.state().kafkaName());
            return claimed;
        }
        Optional<TransactionRecord> loaded = store.load(txnId);
        if (loaded.isEmpty()) {
            owned.remove(txnId);
            throw new Refused(Errors.NOT_COORDINATOR, txnId + " vanished; it is taken over again on the next request");
        }
        TransactionRecord cur = loaded.get();
        if (cur.coordinatorEpoch() != held) {
            // Another node took the id over (this one was cut off from the cluster for a while): it is theirs.
            owned.remove(txnId);
            throw new Refused(Errors.NOT_COORDINATOR, "coordinator epoch " + cur.coordinatorEpoch() + " of " + txnId
                    + " is newer than this node's " + held);
        }
        return cur;
    }

    private static void checkProducer(TransactionRecord cur, long producerId, short epoch) {
        if (cur.producerId() != producerId) {
            throw new Refused(Errors.INVALID_PRODUCER_ID_MAPPING, "producer id " + producerId + " does not hold "
                    + cur.transactionalId() + " (" + cur.producerId() + " does)");
        }
        if (epoch < cur.producerEpoch()) {
            throw new Refused(Errors.PRODUCER_FENCED, "producer " + producerId + " epoch " + epoch + " was fenced by epoch "
                    + cur.producerEpoch() + " of " + cur.transactionalId());
        }
        if (epoch > cur.producerEpoch()) {
            throw new Refused(Errors.INVALID_PRODUCER_EPOCH, "producer " + producerId + " epoch " + epoch + " is newer than "
                    + cur.producerEpoch() + " of " + cur.transactionalId());
        }
    }

    /**
     * {@code cur} with its producer's epoch raised to fence the producer, keeping the producer id:
     * the markers of the transaction being aborted must carry the id its data was written with
     * (Kafka lets this bump reach Short.MAX_VALUE; the next InitProducerId then takes a new id).
     */
    private static TransactionRecord fence(TransactionRecord cur) {
        short epoch = cur.producerEpoch() < Short.MAX_VALUE ? (short) (cur.producerEpoch() + 1) : cur.producerEpoch();
        return new TransactionRecord(cur.transactionalId(), cur.producerId(), epoch, cur.timeoutMs(), cur.state(), cur.partitions(),
                cur.groups(), cur.startMs(), cur.updateMs(), cur.coordinatorEpoch());
    }

    /** {@code cur} with its producer's epoch raised, or a new producer id once the epoch would overflow. */
    private TransactionRecord bump(TransactionRecord cur) {
        long pid = cur.producerId();
        short epoch;
        if (pid < 0 || cur.producerEpoch() >= Short.MAX_VALUE - 1) {
            pid = producerIds.nextProducerId();
            epoch = 0;
        } else {
            epoch = (short) (cur.producerEpoch() + 1);
        }
        return new TransactionRecord(cur.transactionalId(), pid, epoch, cur.timeoutMs(), cur.state(), cur.partitions(), cur.groups(),
                cur.startMs(), cur.updateMs(), cur.coordinatorEpoch());
    }

    private <T> T locked(String txnId, java.util.function.Supplier<T> work) {
        Object lock = locks.computeIfAbsent(txnId, k -> new Object());
        synchronized (lock) {
            try {
                return work.get();
            } catch (TransactionStore.CoordinatorFencedException e) {
                owned.remove(txnId);
                throw new Refused(Errors.NOT_COORDINATOR, e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        markers.close();
    }
}
