package io.strata.metastore.store;

/**
 * One sealed segment in object storage, as the manifest records it: offsets
 * {@code [baseOffset, lastOffset]}, the object holding them, its size, and the timestamp range.
 */
public record SegmentEntry(long baseOffset, long lastOffset, String objectKey, long sizeBytes,
                           long minTimestamp, long maxTimestamp, int leaderEpoch, long committedAtMs) {
}
