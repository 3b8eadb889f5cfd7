package io.strata.records;

/**
 * An aborted transaction of one partition (Kafka's aborted-transaction index entry): the
 * producer's data lies in {@code [firstOffset, lastOffset]}, the ABORT marker at
 * {@code lastOffset}; a read_committed consumer drops that producer's records in the range.
 */
public record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {
}
