package io.strata.records;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What compaction keeps, shared by the local log cleaner and the compaction of tiered segments:
 * each key's newest offset (records of aborted transactions never count), each producer's
 * newest batch, and the filter that rewrites batches with kafka-clients'
 * {@link MemoryRecords#filterTo}: a record a newer one of its key replaces goes, a tombstone goes
 * once its delete horizon (now + {@code delete.retention.ms}, stamped when first kept) has
 * passed, aborted data goes, markers stay, and an emptied batch stays only if it is its
 * producer's newest (which keeps the producer's sequence state).
 */
public final class CompactionMap {
    private static final long ENTRY_OVERHEAD = 64;

    private final Map<ByteBuffer, Long> latest = new HashMap<>();
    private final Map<Long, Long> producersLastBatch = new HashMap<>();
    private final Map<Long, List<AbortedTxn>> aborted = new HashMap<>();
    private long bytes;

    public CompactionMap(List<AbortedTxn> abortedTransactions) {
        for (AbortedTxn a : abortedTransactions) {
            aborted.computeIfAbsent(a.producerId(), k -> new ArrayList<>()).add(a);
        }
    }

    /** Notes the producer of every batch in {@code batches} (batches that are kept but not mapped count too). */
    public void noteProducers(ByteBuffer batches) {
        for (RecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            noteProducer(b.producerId(), b.lastOffset());
        }
    }

    public void noteProducer(long producerId, long lastOffset) {
        if (producerId >= 0) {
            producersLastBatch.merge(producerId, lastOffset, Math::max);
        }
    }

    /** Maps the keys of {@code batches} to their offsets (newer offsets win). */
    public void map(ByteBuffer batches) {
        for (RecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            map(b);
        }
    }

    public void map(RecordBatch batch) {
        noteProducer(batch.producerId(), batch.lastOffset());
        if (batch.isControlBatch() || isAborted(batch)) {
            // An aborted record never replaces a key's committed value: read_committed consumers never see it.
            return;
        }
        for (Record r : batch) {
            if (r.hasKey()) {
                ByteBuffer key = copy(r.key());
                Long before = latest.get(key);
                if (before == null) {
                    bytes += key.remaining() + ENTRY_OVERHEAD;
                }
                if (before == null || before < r.offset()) {
                    latest.put(key, r.offset());
                }
            }
        }
    }

    /** About how many bytes of memory the map takes. */
    public long bytes() {
        return bytes;
    }

    /** Whether {@code batch} holds data of an aborted transaction. */
    boolean isAborted(RecordBatch batch) {
        if (!batch.isTransactional() || batch.isControlBatch()) {
            return false;
        }
        for (AbortedTxn a : aborted.getOrDefault(batch.producerId(), List.of())) {
            if (a.firstOffset() <= batch.baseOffset() && batch.lastOffset() < a.lastOffset()) {
                return true;
            }
        }
        return false;
    }

    /** The filter of a pass at {@code nowMs}. */
    public MemoryRecords.RecordFilter filter(long nowMs, long deleteRetentionMs) {
        return new MemoryRecords.RecordFilter(nowMs, deleteRetentionMs) {
            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                if (isAborted(batch)) {
                    // Kafka's cleaner drops the data of aborted transactions; the markers stay, so the offsets stay decided.
                    return new BatchRetentionResult(BatchRetention.DELETE, false);
                }
                if (batch.isControlBatch()) {
                    return new BatchRetentionResult(BatchRetention.RETAIN_EMPTY, false);
                }
                boolean producersNewest = batch.hasProducerId() && producersLastBatch.getOrDefault(batch.producerId(), -1L) == batch.lastOffset();
                return new BatchRetentionResult(producersNewest ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY, false);
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                if (batch.isControlBatch() || !record.hasKey()) {
                    return true; // a marker, or a record written before the topic was compacted: nothing replaces it
                }
                Long newest = latest.get(record.key());
                if (newest != null && record.offset() < newest) {
                    return false;
                }
                if (!record.hasValue()) {
                    OptionalLong horizon = batch.deleteHorizonMs();
                    return horizon.isEmpty() || nowMs < horizon.getAsLong();
                }
                return true;
            }
        };
    }

    /** Whole batches after filtering, and how many records the filter removed. */
    public record Filtered(ByteBuffer batches, long recordsRemoved) {
    }

    /** {@code batches} (whole batches) through {@code filter}. */
    public static Filtered apply(ByteBuffer batches, MemoryRecords.RecordFilter filter) {
        MemoryRecords.FilterResult r = MemoryRecords.readableRecords(batches.duplicate()).filterTo(filter,
                ByteBuffer.allocate(batches.remaining()), BufferSupplier.NO_CACHING, Integer.MAX_VALUE);
        ByteBuffer kept = r.outputBuffer();
        kept.flip();
        return new Filtered(kept, r.messagesRead() - r.messagesRetained());
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate()).flip();
        return c;
    }
}
