package io.strata.metastore.store;

/**
 * A committed consumer offset as OffsetCommit gave it; {@code leaderEpoch} is -1 when unknown.
 * {@code topicId} is the id of the topic it was committed for (null for offsets stored before
 * ids were recorded), so an offset of a deleted topic never applies to a recreated one of the
 * same name.
 */
public record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestamp, String topicId) {
    public CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
        this(offset, leaderEpoch, metadata, commitTimestamp, null);
    }
}
