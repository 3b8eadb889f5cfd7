package io.strata.ingest.log;

import io.strata.records.AbortedTxn;

import io.strata.records.BatchHeader;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the last five
 * batches (Kafka's max.in.flight bound), so a retried batch is recognised and answered with its
 * original offset, and a gap in sequence numbers is refused. A log rebuilds it when it opens
 * from its newest snapshot ({@link #snapshot}, written at every roll and kept with the segment
 * in object storage) plus the batch headers after it. Producers idle longer than
 * {@code producer.id.expiration.ms} are forgotten, as in Kafka. Guarded by the owning log's lock.
 *
 * <pre>
 * snapshot: version int16 (3) | count int32 | per producer: id int64, epoch int16,
 *           lastTimestamp int64, floorSeq int32 (version 2+), txnFirstOffset int64 and
 *           coordinatorEpoch int32 (version 3), batches int8, per batch: firstSeq int32,
 *           lastSeq int32, firstOffset int64, lastOffset int64
 *           | aborted int32, per aborted transaction: producerId, firstOffset, lastOffset,
 *           lastStableOffset int64 (version 3) | crc int32 (CRC-32C of everything before)
 * (version 1, without floorSeq, still reads: the oldest kept batch's first sequence stands in)
 * </pre>
 *
 * <p>Transactions (KIP-98) are tracked here too, as Kafka's producer state manager does: each
 * producer's open transaction (the offset of its first batch), the transactions whose marker is
 * written but not yet below the high watermark, which together hold back the last stable offset,
 * and the aborted transactions a {@code read_committed} fetch must name. The aborted list covers
 * the whole log from its start (tiered history included) and travels in the snapshot, so a node
 * that lost its disk still filters aborted data it reads back from object storage.
 */
final class ProducerStateTable {
    static final int RETAINED_BATCHES = 5;

    private final Map<Long, Entry> producers = new HashMap<>();
    /** KIP-890: the verification under way before each producer's next transaction here; a marker ends it. Not persisted. */
    private final Map<Long, Object> verifications = new HashMap<>();
    /** Transactions not yet stable, by first offset: the marker's offset, or -1 while open. */
    private final java.util.TreeMap<Long, Long> unstable = new java.util.TreeMap<>();
    /** Aborted transactions in marker order. */
    private final java.util.ArrayList<AbortedTxn> aborted = new java.util.ArrayList<>();

    /** What to do with an incoming batch. */
    sealed interface Check permits Accept, Duplicate, OldDuplicate, Reject {
    }

    record Accept() implements Check {
    }

    record Duplicate(long firstOffset, long lastOffset) implements Check {
    }

    /**
     * A retry of a batch written before, older than the batches kept: Kafka's
     * DUPLICATE_SEQUENCE_NUMBER, which clients take as success without an offset.
     */
    record OldDuplicate() implements Check {
    }

    record Reject(Errors error, String message) implements Check {
    }

    private record BatchMeta(int firstSeq, int lastSeq, long firstOffset, long lastOffset) {
    }

    private static final class Entry {
        short epoch;
        /** The first offset of this producer's open transaction in this log, -1 when none is open. */
        long txnFirstOffset = -1;
        /** The epoch of the transaction coordinator that wrote this producer's last marker (-1: none yet). */
        int coordinatorEpoch = -1;
        /** The first sequence of this epoch's contiguous run in this log: every sequence from it to the last was written. */
        int floorSeq;
        long lastTimestamp = -1;
        final Deque<BatchMeta> recent = new ArrayDeque<>();
    }

    /**
     * @param neverWritten whether the log has never held a record (start and end offset 0), so an
     *                     unknown producer cannot have written to it before
     */
    Check check(long producerId, short epoch, int firstSeq, int lastSeq, boolean neverWritten) {
        return check(producerId, epoch, firstSeq, lastSeq, neverWritten, false);
    }

    Check check(long producerId, short epoch, int firstSeq, int lastSeq, boolean neverWritten, boolean transactional) {
        Entry e = producers.get(producerId);
        if (e != null && e.txnFirstOffset >= 0 && !transactional && epoch == e.epoch) {
            return new Reject(Errors.INVALID_TXN_STATE, "producer " + producerId + " has an open transaction in this partition "
                    + "and sent a batch outside it");
        }
        if (e == null) {
            if (neverWritten && firstSeq != 0) {
                // The producer's batches from sequence 0 were refused a moment ago (this node did not lead yet)
                // and are on their way again. Taking this later one first would leave them out of order for
                // good: the client would retry them until its delivery timeout. Refused, it is retried after them.
                return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "producer " + producerId + " has not written to this "
                        + "partition yet, so its first batch must start at sequence 0, got " + firstSeq);
            }
            // Unknown producer (new, or its state aged out with the log): accept from any sequence, as Kafka does.
            return new Accept();
        }
        if (epoch < e.epoch) {
            return new Reject(Errors.INVALID_PRODUCER_EPOCH,
                    "producer " + producerId + " epoch " + epoch + " is older than current epoch " + e.epoch);
        }
        if (epoch > e.epoch) {
            return firstSeq == 0 ? new Accept() : new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    "producer " + producerId + " new epoch " + epoch + " must start at sequence 0, got " + firstSeq);
        }
        for (BatchMeta b : e.recent) {
            if (b.firstSeq == firstSeq && b.lastSeq == lastSeq) {
                return new Duplicate(b.firstOffset, b.lastOffset);
            }
        }
        BatchMeta last = e.recent.peekLast();
        if (last != null && e.floorSeq <= firstSeq && firstSeq <= lastSeq && lastSeq <= last.lastSeq) {
            // Written before, but older than the batches kept: the client retried it after later ones were taken (it
            // had batches in flight to an old leader and to the new one). Refusing it as out of order would have the
            // client retry it until its delivery timeout and then re-send its later batches under a new epoch.
            return new OldDuplicate();
        }
        if (last != null && firstSeq != nextSeq(last.lastSeq)) {
            return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "producer " + producerId + " expected sequence "
                    + nextSeq(last.lastSeq) + " but got " + firstSeq);
        }
        return new Accept();
    }

    /** Producer and transaction state from one batch header, as its append recorded it (recovery and truncation replay them). */
    void replay(BatchHeader h) {
        if (h.producerId() >= 0 && h.baseSequence() >= 0) {
            int lastSeq = h.baseSequence() + h.lastOffsetDelta();
            record(h.producerId(), h.producerEpoch(), h.baseSequence(), lastSeq, h.baseOffset(), h.lastOffset(), h.maxTimestamp());
        }
        if (h.producerId() >= 0 && h.isTransactional() && !h.isControl()) {
            recordTxnData(h.producerId(), h.baseOffset());
        }
        if (h.marker() != null) {
            recordMarker(h.producerId(), h.producerEpoch(), h.marker().commit(), h.marker().coordinatorEpoch(), h.baseOffset(),
                    h.maxTimestamp());
        }
    }

    void record(long producerId, short epoch, int firstSeq, int lastSeq, long firstOffset, long lastOffset) {
        record(producerId, epoch, firstSeq, lastSeq, firstOffset, lastOffset, -1);
    }

    void record(long producerId, short epoch, int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {
        Entry e = producers.computeIfAbsent(producerId, id -> new Entry());
        e.lastTimestamp = Math.max(e.lastTimestamp, timestamp);
        if (epoch != e.epoch || e.recent.isEmpty()) {
            e.epoch = epoch;
            e.recent.clear();
            e.floorSeq = firstSeq;
        } else if (firstSeq != nextSeq(e.recent.peekLast().lastSeq)) {
            // Not contiguous (a replica copying whatever its leader took): the run starts again here.
            e.floorSeq = firstSeq;
        }
        e.recent.addLast(new BatchMeta(firstSeq, lastSeq, firstOffset, lastOffset));
        while (e.recent.size() > RETAINED_BATCHES) {
            e.recent.removeFirst();
        }
    }

    /** Forgets producers whose last batch is older than {@code expirationMs}; returns how many. */
    int expire(long nowMs, long expirationMs) {
        int before = producers.size();
        producers.values().removeIf(e -> e.txnFirstOffset < 0 && e.lastTimestamp >= 0 && nowMs - e.lastTimestamp > expirationMs);
        return before - producers.size();
    }

    int size() {
        return producers.size();
    }

    void clear() {
        producers.clear();
        verifications.clear();
        unstable.clear();
        aborted.clear();
    }

    // ---- transactions ----

    /**
     * Starts KIP-890's check before a producer's transactional batch opens a transaction here:
     * null when the producer already has one open in this partition (nothing to check), else a
     * guard that the append must present and that a marker written meanwhile voids.
     */
    Object startVerification(long producerId) {
        Entry e = producers.get(producerId);
        if (e != null && e.txnFirstOffset >= 0) {
            return null;
        }
        // Kept apart from the producer entries (as Kafka's verification state is): a check must not make an unknown
        // producer known, which would change how its sequences are judged, nor be written into snapshots.
        Object guard = new Object();
        verifications.put(producerId, guard);
        return guard;
    }

    /** Whether a transactional batch of the producer may be appended with {@code guard} (KIP-890). */
    boolean verified(long producerId, Object guard) {
        Entry e = producers.get(producerId);
        return (e != null && e.txnFirstOffset >= 0) || (guard != null && guard == verifications.get(producerId));
    }

    /** Notes a transactional batch at {@code firstOffset}: it opens the producer's transaction unless one is open. */
    void recordTxnData(long producerId, long firstOffset) {
        Entry e = producers.computeIfAbsent(producerId, id -> new Entry());
        if (e.txnFirstOffset < 0) {
            e.txnFirstOffset = firstOffset;
            unstable.put(firstOffset, -1L);
            verifications.remove(producerId);
        }
    }

    /** Whether a marker of {@code epoch} from coordinator epoch {@code coordinatorEpoch} may end the producer's transaction. */
    Reject checkMarker(long producerId, short epoch, int coordinatorEpoch) {
        Entry e = producers.get(producerId);
        if (e == null) {
            return null;
        }
        if (epoch < e.epoch) {
            return new Reject(Errors.INVALID_PRODUCER_EPOCH, "marker for producer " + producerId + " epoch " + epoch
                    + " is older than its current epoch " + e.epoch);
        }
        if (coordinatorEpoch < e.coordinatorEpoch) {
            return new Reject(Errors.TRANSACTION_COORDINATOR_FENCED, "marker from coordinator epoch " + coordinatorEpoch
                    + " is older than " + e.coordinatorEpoch + ", which already wrote one for producer " + producerId);
        }
        return null;
    }

    /**
     * Ends the producer's transaction with the marker at {@code markerOffset}: an abort is listed
     * for read_committed fetches; either stays unstable until the high watermark passes the marker.
     * A marker of a newer epoch (a coordinator aborting on timeout) starts that epoch's sequences.
     */
    void recordMarker(long producerId, short epoch, boolean commit, int coordinatorEpoch, long markerOffset, long timestamp) {
        Entry e = producers.computeIfAbsent(producerId, id -> new Entry());
        if (epoch != e.epoch) {
            e.epoch = epoch;
            e.recent.clear();
        }
        e.coordinatorEpoch = Math.max(e.coordinatorEpoch, coordinatorEpoch);
        e.lastTimestamp = Math.max(e.lastTimestamp, timestamp);
        verifications.remove(producerId);
        if (e.txnFirstOffset >= 0) {
            unstable.put(e.txnFirstOffset, markerOffset);
            if (!commit) {
                // As Kafka records it: the stable offset once this transaction is decided (the first other open one's start).
                long stable = markerOffset;
                for (Map.Entry<Long, Long> u : unstable.entrySet()) {
                    if (u.getValue() < 0 && u.getKey() < stable) {
                        stable = u.getKey();
                        break;
                    }
                }
                aborted.add(new AbortedTxn(producerId, e.txnFirstOffset, markerOffset, stable));
            }
            e.txnFirstOffset = -1;
        }
    }

    /** The last stable offset: the first offset of a transaction not yet decided below {@code highWatermark}, else the watermark. */
    long lastStableOffset(long highWatermark) {
        java.util.Iterator<Map.Entry<Long, Long>> it = unstable.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Long> u = it.next();
            long marker = u.getValue();
            if (marker >= 0 && marker < highWatermark) {
                it.remove();
                continue;
            }
            return Math.min(u.getKey(), highWatermark);
        }
        return highWatermark;
    }

    /** Aborted transactions with data in {@code [from, upTo]}, for a read_committed fetch of that range. */
    List<AbortedTxn> abortedBetween(long from, long upTo) {
        List<AbortedTxn> out = new java.util.ArrayList<>();
        int lo = 0;
        int hi = aborted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (aborted.get(mid).lastOffset() < from) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int i = lo; i < aborted.size(); i++) {
            AbortedTxn a = aborted.get(i);
            if (a.firstOffset() <= upTo) {
                out.add(a);
            }
        }
        return out;
    }

    /** Forgets aborted transactions that end below the log start (their data is gone). */
    void trimAborted(long logStartOffset) {
        aborted.removeIf(a -> a.lastOffset() < logStartOffset);
    }

    int abortedCount() {
        return aborted.size();
    }

    byte[] snapshot() {
        int size = 2 + 4 + 4 + 4 + aborted.size() * 32;
        for (Entry e : producers.values()) {
            size += 8 + 2 + 8 + 4 + 8 + 4 + 1 + e.recent.size() * 24;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size);
        b.putShort((short) 3).putInt(producers.size());
        for (Map.Entry<Long, Entry> p : producers.entrySet()) {
            Entry e = p.getValue();
            b.putLong(p.getKey()).putShort(e.epoch).putLong(e.lastTimestamp).putInt(e.floorSeq)
                    .putLong(e.txnFirstOffset).putInt(e.coordinatorEpoch).put((byte) e.recent.size());
            for (BatchMeta m : e.recent) {
                b.putInt(m.firstSeq).putInt(m.lastSeq).putLong(m.firstOffset).putLong(m.lastOffset);
            }
        }
        b.putInt(aborted.size());
        for (AbortedTxn a : aborted) {
            b.putLong(a.producerId()).putLong(a.firstOffset()).putLong(a.lastOffset()).putLong(a.lastStableOffset());
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Replaces this table's content with a snapshot's.
     *
     * @throws IllegalArgumentException when the snapshot is torn or corrupt
     */
    void load(byte[] snapshot) {
        if (snapshot.length < 10) {
            throw new IllegalArgumentException("producer snapshot of " + snapshot.length + " bytes is too short");
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(snapshot);
        if (b.getInt(snapshot.length - 4) != (int) crc.getValue()) {
            throw new IllegalArgumentException("producer snapshot CRC mismatch");
        }
        short version = b.getShort();
        if (version < 1 || version > 3) {
            throw new IllegalArgumentException("unknown producer snapshot version " + version);
        }
        Map<Long, Entry> loaded = new HashMap<>();
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            long id = b.getLong();
            Entry e = new Entry();
            e.epoch = b.getShort();
            e.lastTimestamp = b.getLong();
            boolean hasFloor = version >= 2;
            e.floorSeq = hasFloor ? b.getInt() : 0;
            if (version >= 3) {
                e.txnFirstOffset = b.getLong();
                e.coordinatorEpoch = b.getInt();
            }
            int n = b.get();
            for (int j = 0; j < n; j++) {
                e.recent.addLast(new BatchMeta(b.getInt(), b.getInt(), b.getLong(), b.getLong()));
            }
            if (!hasFloor && !e.recent.isEmpty()) {
                // Version 1 kept no run start: the contiguous tail of the kept batches is all that is known.
                BatchMeta[] kept = e.recent.toArray(BatchMeta[]::new);
                int k = kept.length - 1;
                while (k > 0 && kept[k].firstSeq == nextSeq(kept[k - 1].lastSeq)) {
                    k--;
                }
                e.floorSeq = kept[k].firstSeq;
            }
            loaded.put(id, e);
        }
        List<AbortedTxn> abortedLoaded = new java.util.ArrayList<>();
        if (version >= 3) {
            int n = b.getInt();
            for (int i = 0; i < n; i++) {
                abortedLoaded.add(new AbortedTxn(b.getLong(), b.getLong(), b.getLong(), b.getLong()));
            }
        }
        clear();
        producers.putAll(loaded);
        aborted.addAll(abortedLoaded);
        for (Entry e : loaded.values()) {
            if (e.txnFirstOffset >= 0) {
                unstable.put(e.txnFirstOffset, -1L);
            }
        }
    }

    private static int nextSeq(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
