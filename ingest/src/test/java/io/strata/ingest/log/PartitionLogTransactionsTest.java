package io.strata.ingest.log;

import io.strata.records.AbortedTxn;

import io.strata.records.TxnMarker;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions in one partition log: the last stable offset stops at the first open
 * transaction, markers decide transactions (an abort is listed for read_committed fetches),
 * markers from a fenced producer epoch or an older coordinator are refused, and all of it is
 * rebuilt when the log reopens, after a crash (from the batches) and after a clean roll (from
 * the producer snapshot).
 */
class PartitionLogTransactionsTest {
    @TempDir
    Path dir;
    long now = 1_000_000;

    private PartitionLog open(int segmentBytes) {
        LogConfig d = LogConfig.defaults();
        return PartitionLog.open(dir.resolve("t-0"), "t-0",
                new LogConfig(segmentBytes, d.segmentMs(), d.retentionMs(), d.retentionBytes(), 1_000_000, 256, false), now);
    }

    private ByteBuffer txBatch(long pid, short epoch, int seq, String... values) {
        SimpleRecord[] rs = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            rs[i] = new SimpleRecord(now, ("k" + i).getBytes(), values[i].getBytes());
        }
        return MemoryRecords.withTransactionalRecords(Compression.NONE, pid, epoch, seq, rs).buffer();
    }

    private ByteBuffer plainBatch(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(now, "k".getBytes(), value.getBytes())).buffer();
    }

    @Test
    void theLastStableOffsetStopsAtTheFirstOpenTransactionAndAbortsAreListed() {
        PartitionLog log = open(1 << 20);
        log.append(plainBatch("before"), now);                                          // 0
        assertThat(log.append(txBatch(7, (short) 0, 0, "a", "b"), now).baseOffset()).isEqualTo(1);     // 1-2
        assertThat(log.append(txBatch(8, (short) 0, 0, "c"), now).baseOffset()).isEqualTo(3);          // 3
        assertThat(log.lastStableOffset()).isEqualTo(1);
        assertThat(log.highWatermark()).isEqualTo(4);

        assertThat(log.appendTxnMarker(7, (short) 0, new TxnMarker(false, 0), now).baseOffset()).isEqualTo(4);
        // Producer 7's transaction is decided, producer 8's still holds the stable offset back.
        assertThat(log.lastStableOffset()).isEqualTo(3);
        assertThat(log.abortedTransactions(0, 10)).containsExactly(new AbortedTxn(7, 1, 4, 3));

        assertThat(log.appendTxnMarker(8, (short) 0, new TxnMarker(true, 0), now).ok()).isTrue();  // 5
        assertThat(log.lastStableOffset()).isEqualTo(6);
        assertThat(log.abortedTransactions(5, 10)).isEmpty();
        // A read_committed read stops at the stable offset: with producer 8 open again, nothing past it.
        log.append(txBatch(8, (short) 0, 1, "d"), now);                                 // 6
        assertThat(log.lastStableOffset()).isEqualTo(6);
        assertThat(log.readCommitted(6, 1 << 20).records().remaining()).isZero();
        assertThat(log.read(6, 1 << 20).records().remaining()).isPositive();
    }

    @Test
    void markersOfAFencedEpochOrAnOlderCoordinatorAreRefused() {
        PartitionLog log = open(1 << 20);
        log.append(txBatch(7, (short) 3, 0, "a"), now);
        assertThat(log.appendTxnMarker(7, (short) 2, new TxnMarker(true, 5), now).error()).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        assertThat(log.appendTxnMarker(7, (short) 3, new TxnMarker(true, 5), now).ok()).isTrue();
        log.append(txBatch(7, (short) 3, 1, "b"), now);
        assertThat(log.appendTxnMarker(7, (short) 3, new TxnMarker(true, 4), now).error()).isEqualTo(Errors.TRANSACTION_COORDINATOR_FENCED);
        // A coordinator aborting on timeout raises the epoch: the producer's old epoch is fenced from then on.
        assertThat(log.appendTxnMarker(7, (short) 4, new TxnMarker(false, 5), now).ok()).isTrue();
        assertThat(log.append(txBatch(7, (short) 3, 2, "zombie"), now).error()).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        assertThat(log.append(txBatch(7, (short) 5, 0, "next"), now).ok()).isTrue();
    }

    @Test
    void aNonTransactionalBatchInsideAnOpenTransactionIsRefused() {
        PartitionLog log = open(1 << 20);
        log.append(txBatch(7, (short) 0, 0, "a"), now);
        ByteBuffer idempotent = MemoryRecords.withIdempotentRecords(Compression.NONE, 7, (short) 0, 1,
                new SimpleRecord(now, null, "b".getBytes())).buffer();
        assertThat(log.append(idempotent, now).error()).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void transactionStateIsRebuiltAfterACrash() {
        PartitionLog log = open(1 << 20);
        log.append(txBatch(7, (short) 0, 0, "a"), now);          // 0
        log.appendTxnMarker(7, (short) 0, new TxnMarker(false, 0), now);   // 1
        log.append(txBatch(8, (short) 0, 0, "b"), now);          // 2
        log.flush();
        // No close: the reopen replays every batch, markers included.
        PartitionLog reopened = open(1 << 20);
        assertThat(reopened.abortedTransactions(0, 10)).extracting(AbortedTxn::producerId, AbortedTxn::firstOffset, AbortedTxn::lastOffset)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(7L, 0L, 1L));
        assertThat(reopened.lastStableOffset()).isEqualTo(2);
        assertThat(reopened.appendTxnMarker(8, (short) 0, new TxnMarker(true, 0), now).ok()).isTrue();
        assertThat(reopened.lastStableOffset()).isEqualTo(4);
        reopened.close();
    }

    @Test
    void transactionStateTravelsInTheProducerSnapshotAcrossRolls() {
        PartitionLog log = open(200);
        log.append(txBatch(7, (short) 0, 0, "aborted-in-the-first-segment"), now);
        log.appendTxnMarker(7, (short) 0, new TxnMarker(false, 0), now);
        log.append(txBatch(9, (short) 0, 0, "open-across-rolls"), now);
        for (int i = 0; i < 20; i++) {
            log.append(plainBatch("filler-" + i), now);
        }
        assertThat(log.segmentCount()).isGreaterThan(2);
        log.close();
        PartitionLog reopened = open(200);
        // The first segments' batches are not replayed (the snapshot covers them): the state must come from it.
        assertThat(reopened.abortedTransactions(0, 1)).hasSize(1);
        assertThat(reopened.lastStableOffset()).isEqualTo(2);
        reopened.close();
    }

    @Test
    void aVerificationNeitherMakesAProducerKnownNorOutlivesAMarker() {
        PartitionLog log = open(1 << 20);
        Object guard = log.startTransactionVerification(7);
        assertThat(log.producerCount()).as("a check does not make the producer known").isZero();
        log.appendTxnMarker(7, (short) 0, new TxnMarker(false, 0), now);
        // The marker (an abort decided meanwhile) voids the check: the batch cannot open a transaction now.
        assertThat(log.append(txBatch(7, (short) 0, 0, "late"), now, guard, true).error()).isEqualTo(Errors.INVALID_TXN_STATE);
        Object fresh = log.startTransactionVerification(9);
        assertThat(log.append(txBatch(9, (short) 0, 0, "verified"), now, fresh, true).ok()).isTrue();
        // Open now: the producer's next batches need no new check.
        assertThat(log.startTransactionVerification(9)).isNull();
        assertThat(log.append(txBatch(9, (short) 0, 1, "more"), now, null, true).ok()).isTrue();
    }
}
