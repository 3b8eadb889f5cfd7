package io.strata.metastore.store;

/** A committed consumer offset as OffsetCommit gave it; {@code leaderEpoch} is -1 when unknown. */
public record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
}
