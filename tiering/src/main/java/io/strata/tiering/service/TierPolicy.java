package io.strata.tiering.service;

/**
 * The topic settings tiering obeys for one partition, as its log's configuration gives them:
 * {@code remote.storage.enable}; whether {@code cleanup.policy} compacts and whether it deletes;
 * {@code retention.ms} and {@code retention.bytes} across both tiers (-1: no limit);
 * {@code segment.bytes}, the size compacted objects are merged up to; and
 * {@code delete.retention.ms}, how long compaction keeps a tombstone.
 */
public record TierPolicy(boolean remoteStorage, boolean compact, boolean delete, long retentionMs, long retentionBytes,
                         long segmentBytes, long deleteRetentionMs) {
}
