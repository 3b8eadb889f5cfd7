package io.strata.ingest.log;

import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the last five
 * batches (Kafka's max.in.flight bound), so a retried batch is recognised and answered with its
 * original offset, and a gap in sequence numbers is refused. Rebuilt from batch headers when a
 * log opens. Guarded by the owning log's lock.
 */
final class ProducerStateTable {
    static final int RETAINED_BATCHES = 5;

    private final Map<Long, Entry> producers = new HashMap<>();

    /** What to do with an incoming batch. */
    sealed interface Check permits Accept, Duplicate, Reject {
    }

    record Accept() implements Check {
    }

    record Duplicate(long firstOffset, long lastOffset) implements Check {
    }

    record Reject(Errors error, String message) implements Check {
    }

    private record BatchMeta(int firstSeq, int lastSeq, long firstOffset, long lastOffset) {
    }

    private static final class Entry {
        short epoch;
        final Deque<BatchMeta> recent = new ArrayDeque<>();
    }

    Check check(long producerId, short epoch, int firstSeq, int lastSeq) {
        Entry e = producers.get(producerId);
        if (e == null) {
            // Unknown producer (new, or its state aged out with the log): accept from any sequence.
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
        if (last != null && firstSeq != nextSeq(last.lastSeq)) {
            return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "producer " + producerId + " expected sequence "
                    + nextSeq(last.lastSeq) + " but got " + firstSeq);
        }
        return new Accept();
    }

    void record(long producerId, short epoch, int firstSeq, int lastSeq, long firstOffset, long lastOffset) {
        Entry e = producers.computeIfAbsent(producerId, id -> new Entry());
        if (epoch != e.epoch) {
            e.epoch = epoch;
            e.recent.clear();
        }
        e.recent.addLast(new BatchMeta(firstSeq, lastSeq, firstOffset, lastOffset));
        while (e.recent.size() > RETAINED_BATCHES) {
            e.recent.removeFirst();
        }
    }

    private static int nextSeq(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
