package io.strata.ingest.log;

import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
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
 * snapshot: version int16 (2) | count int32 | per producer: id int64, epoch int16,
 *           lastTimestamp int64, floorSeq int32 (version 2), batches int8, per batch: firstSeq int32,
 *           lastSeq int32, firstOffset int64, lastOffset int64 | crc int32 (CRC-32C of everything before)
 * (version 1, without floorSeq, still reads: the oldest kept batch's first sequence stands in)
 * </pre>
 */
final class ProducerStateTable {
    static final int RETAINED_BATCHES = 5;

    private final Map<Long, Entry> producers = new HashMap<>();

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
        Entry e = producers.get(producerId);
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
        producers.values().removeIf(e -> e.lastTimestamp >= 0 && nowMs - e.lastTimestamp > expirationMs);
        return before - producers.size();
    }

    int size() {
        return producers.size();
    }

    void clear() {
        producers.clear();
    }

    byte[] snapshot() {
        int size = 2 + 4 + 4;
        for (Entry e : producers.values()) {
            size += 8 + 2 + 8 + 4 + 1 + e.recent.size() * 24;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size);
        b.putShort((short) 2).putInt(producers.size());
        for (Map.Entry<Long, Entry> p : producers.entrySet()) {
            Entry e = p.getValue();
            b.putLong(p.getKey()).putShort(e.epoch).putLong(e.lastTimestamp).putInt(e.floorSeq).put((byte) e.recent.size());
            for (BatchMeta m : e.recent) {
                b.putInt(m.firstSeq).putInt(m.lastSeq).putLong(m.firstOffset).putLong(m.lastOffset);
            }
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
        if (version != 1 && version != 2) {
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
        producers.clear();
        producers.putAll(loaded);
    }

    private static int nextSeq(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
