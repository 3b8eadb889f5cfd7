package io.strata.records;

/**
 * What a transaction marker (a control batch) says: the transaction it ends committed or aborted,
 * written by the coordinator of {@code coordinatorEpoch} (a lower one is a stale coordinator's).
 */
public record TxnMarker(boolean commit, int coordinatorEpoch) {
}
