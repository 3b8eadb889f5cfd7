package io.strata.metastore.store;

import com.apple.foundationdb.subspace.Subspace;
import com.apple.foundationdb.tuple.Tuple;
import io.strata.metastore.KeyRange;
import io.strata.metastore.KeyValue;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.Transaction;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Transaction state ({@code transactions/<transactionalId>}) and the offsets transactions commit
 * for consumer groups ({@code txnoffsets/<group>/<producerId>/<topic>/<partition>}), which become
 * the group's committed offsets in the same MetaStore transaction that completes the commit, and
 * vanish in the one that completes an abort.
 *
 * <p>Fencing: a coordinator takes a transactional id over with {@link #claim}, which raises the
 * id's coordinator epoch; every later write names the epoch its writer holds and fails with
 * {@link CoordinatorFencedException} once another coordinator has claimed the id since.
 */
public final class TransactionStore {
    private final MetaStore store;
    private final Subspace transactions;
    private final Subspace pending;
    private final Subspace offsets;

    public TransactionStore(MetaStore store, Keyspace keyspace) {
        this.store = store;
        this.transactions = keyspace.area(Keyspace.Area.TRANSACTIONS);
        this.pending = keyspace.area(Keyspace.Area.TXN_OFFSETS);
        this.offsets = keyspace.area(Keyspace.Area.OFFSETS);
    }

    /** A write by a coordinator that another has replaced. */
    public static final class CoordinatorFencedException extends RuntimeException {
        public CoordinatorFencedException(String message) {
            super(message);
        }
    }

    public Optional<TransactionRecord> load(String transactionalId) {
        return store.run(tx -> read(tx, transactionalId));
    }

    public List<TransactionRecord> loadAll() {
        return store.run(tx -> {
            List<TransactionRecord> out = new ArrayList<>();
            for (KeyValue kv : tx.getRange(KeyRange.of(transactions))) {
                out.add(Json.read(kv.value(), TransactionRecord.class));
            }
            return out;
        });
    }

    /**
     * Takes {@code transactionalId} over for a coordinator: its coordinator epoch goes up by one
     * (an id never seen gets an empty record without a producer). Returns the record as claimed.
     */
    public TransactionRecord claim(String transactionalId, long nowMs) {
        return store.run(tx -> {
            TransactionRecord cur = read(tx, transactionalId).orElse(new TransactionRecord(transactionalId, -1, (short) -1, 60_000,
                    TransactionRecord.State.EMPTY, List.of(), List.of(), -1, nowMs, -1));
            TransactionRecord claimed = new TransactionRecord(cur.transactionalId(), cur.producerId(), cur.producerEpoch(),
                    cur.timeoutMs(), cur.state(), cur.partitions(), cur.groups(), cur.startMs(), cur.updateMs(), cur.coordinatorEpoch() + 1);
            tx.set(key(transactionalId), Json.write(claimed));
            return claimed;
        });
    }

    /** Writes {@code next} if its coordinator epoch is still the id's. */
    public void write(TransactionRecord next) {
        store.run(tx -> {
            checkEpoch(tx, next);
            tx.set(key(next.transactionalId()), Json.write(next));
            return null;
        });
    }

    /**
     * Completes a transaction: writes {@code done} (COMPLETE_COMMIT or COMPLETE_ABORT) and, in
     * the same MetaStore transaction, applies (commit) or drops (abort) the offsets it staged for
     * each of its groups.
     */
    public void complete(TransactionRecord done, boolean commit) {
        store.run(tx -> {
            checkEpoch(tx, done);
            for (String group : done.groups()) {
                Subspace staged = pending.get(group).get(done.producerId());
                KeyRange range = KeyRange.of(staged);
                if (commit) {
                    for (KeyValue kv : tx.getRange(range)) {
                        Tuple k = staged.unpack(kv.key());
                        tx.set(offsets.pack(Tuple.from(group, k.getString(0), k.getLong(1))), kv.value());
                    }
                }
                tx.clearRange(range.begin(), range.end());
            }
            tx.set(key(done.transactionalId()), Json.write(done));
            return null;
        });
    }

    /**
     * Forgets a transactional id's producer (transactional.id.expiration.ms), if the record is
     * still {@code expected}, unchanged since the caller read it. What stays is an empty record
     * with the id's coordinator epoch, so fencing between coordinators survives the expiry.
     */
    public boolean expire(TransactionRecord expected, long nowMs) {
        return store.run(tx -> {
            Optional<TransactionRecord> cur = read(tx, expected.transactionalId());
            if (cur.isEmpty() || !cur.get().equals(expected)) {
                return false;
            }
            tx.set(key(expected.transactionalId()), Json.write(new TransactionRecord(expected.transactionalId(), -1, (short) -1,
                    expected.timeoutMs(), TransactionRecord.State.EMPTY, List.of(), List.of(), -1, nowMs, expected.coordinatorEpoch())));
            return true;
        });
    }

    /** Why offsets were or were not staged. */
    public enum StageResult {
        STAGED, UNKNOWN_PRODUCER, FENCED, NOT_IN_TRANSACTION
    }

    /**
     * Stages offsets a transaction commits for {@code group} (TxnOffsetCommit), in one MetaStore
     * transaction with the check that the id's transaction is open, held by this producer and
     * epoch, and includes the group (AddOffsetsToTxn): late offsets of a fenced or finished
     * transaction would otherwise wait forever, or be applied by a later transaction's commit.
     */
    public StageResult stageOffsets(String transactionalId, String group, long producerId, short epoch,
                                    Map<PartitionKey, CommittedOffset> commits) {
        return store.run(tx -> {
            Optional<TransactionRecord> r = read(tx, transactionalId);
            if (r.isEmpty() || r.get().producerId() != producerId) {
                return StageResult.UNKNOWN_PRODUCER;
            }
            if (r.get().producerEpoch() != epoch) {
                return StageResult.FENCED;
            }
            if (r.get().state() != TransactionRecord.State.ONGOING || !r.get().groups().contains(group)) {
                return StageResult.NOT_IN_TRANSACTION;
            }
            commits.forEach((tp, o) -> tx.set(pending.pack(Tuple.from(group, producerId, tp.topic(), tp.partition())),
                    Tuple.from(o.offset(), o.leaderEpoch(), o.metadata(), o.commitTimestamp(), o.topicId()).pack()));
            return StageResult.STAGED;
        });
    }

    /** The partitions of {@code group} with offsets staged by a transaction not yet decided. */
    public Set<PartitionKey> pendingPartitions(String group) {
        return store.run(tx -> {
            Set<PartitionKey> out = new TreeSet<>();
            Subspace g = pending.get(group);
            for (KeyValue kv : tx.getRange(KeyRange.of(g))) {
                Tuple k = g.unpack(kv.key());
                out.add(new PartitionKey(k.getString(1), (int) k.getLong(2)));
            }
            return out;
        });
    }

    private void checkEpoch(Transaction tx, TransactionRecord next) {
        Optional<TransactionRecord> cur = read(tx, next.transactionalId());
        if (cur.isPresent() && cur.get().coordinatorEpoch() != next.coordinatorEpoch()) {
            throw new CoordinatorFencedException("transactional id " + next.transactionalId() + " was taken over by coordinator epoch "
                    + cur.get().coordinatorEpoch() + "; this coordinator holds " + next.coordinatorEpoch());
        }
    }

    private Optional<TransactionRecord> read(Transaction tx, String transactionalId) {
        return Optional.ofNullable(tx.get(key(transactionalId))).map(b -> Json.read(b, TransactionRecord.class));
    }

    private byte[] key(String transactionalId) {
        return transactions.pack(Tuple.from(transactionalId));
    }
}
