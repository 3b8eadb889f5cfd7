package io.strata.ingest.log;

/**
 * The settings a partition log obeys, resolved from broker defaults and topic overrides
 * (Kafka's topic config names: segment.bytes, segment.ms, retention.ms, retention.bytes,
 * max.message.bytes, index.interval.bytes, message.timestamp.type, and KIP-405's
 * remote.storage.enable, local.retention.ms, local.retention.bytes; KIP-937's
 * message.timestamp.before.max.ms and message.timestamp.after.max.ms; the broker's
 * producer.id.expiration.ms; min.insync.replicas; cleanup.policy and the compaction settings;
 * flush.messages and flush.ms).
 * A retention of -1 means unlimited and a local retention of -2 "same as retention", as in Kafka.
 */
public record LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                        int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime,
                        boolean remoteStorage, long localRetentionMs, long localRetentionBytes,
                        long timestampBeforeMaxMs, long timestampAfterMaxMs, long producerIdExpirationMs, int minInsyncReplicas,
                        Compaction compaction, Flush flush) {

    /**
     * Kafka's flush.messages and flush.ms: when records not covered by an acks=all produce (which
     * is fsynced before it is answered, whatever these say) are fsynced. flush.messages: an
     * acks=0 or acks=1 produce that leaves this many records or more unsynced is fsynced before
     * it is answered (1: every one). flush.ms: a log not fsynced for this long while it holds
     * unsynced records is fsynced by the log flusher.
     */
    public record Flush(long messages, long ms) {
        /**
         * Kafka's flush.messages default (never); flush.ms one second where Kafka's is never:
         * what a power cut can take from acks=0 and acks=1 producers is bounded to about a second
         * of records, and a segment roll, which fsyncs on the appending thread, finds at most
         * that much to write.
         */
        public static final Flush DEFAULT = new Flush(Long.MAX_VALUE, 1000);
    }

    /** With the default flush policy. */
    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                     int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime,
                     boolean remoteStorage, long localRetentionMs, long localRetentionBytes,
                     long timestampBeforeMaxMs, long timestampAfterMaxMs, long producerIdExpirationMs, int minInsyncReplicas,
                     Compaction compaction) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime, remoteStorage,
                localRetentionMs, localRetentionBytes, timestampBeforeMaxMs, timestampAfterMaxMs, producerIdExpirationMs, minInsyncReplicas,
                compaction, Flush.DEFAULT);
    }

    /**
     * Kafka's cleanup.policy (compact, delete or both) and the log cleaner's settings:
     * delete.retention.ms (how long tombstones stay readable once cleaned), min.cleanable.dirty.ratio,
     * min.compaction.lag.ms and max.compaction.lag.ms.
     */
    public record Compaction(boolean compact, boolean delete, long deleteRetentionMs, double minCleanableDirtyRatio,
                             long minCompactionLagMs, long maxCompactionLagMs) {
        public static final Compaction NONE = new Compaction(false, true, 86_400_000L, 0.5, 0, Long.MAX_VALUE);
    }

    /** With cleanup.policy=delete. */
    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                     int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime,
                     boolean remoteStorage, long localRetentionMs, long localRetentionBytes,
                     long timestampBeforeMaxMs, long timestampAfterMaxMs, long producerIdExpirationMs, int minInsyncReplicas) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime, remoteStorage,
                localRetentionMs, localRetentionBytes, timestampBeforeMaxMs, timestampAfterMaxMs, producerIdExpirationMs, minInsyncReplicas,
                Compaction.NONE);
    }

    /** A copy with another cleanup policy. */
    public LogConfig withCompaction(Compaction c) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime,
                remoteStorage, localRetentionMs, localRetentionBytes, timestampBeforeMaxMs, timestampAfterMaxMs, producerIdExpirationMs,
                minInsyncReplicas, c, flush);
    }

    /** A copy with another flush policy. */
    public LogConfig withFlush(Flush f) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime,
                remoteStorage, localRetentionMs, localRetentionBytes, timestampBeforeMaxMs, timestampAfterMaxMs, producerIdExpirationMs,
                minInsyncReplicas, compaction, f);
    }

    public boolean compacted() {
        return compaction.compact();
    }

    /** With min.insync.replicas 1. */
    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                     int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime,
                     boolean remoteStorage, long localRetentionMs, long localRetentionBytes,
                     long timestampBeforeMaxMs, long timestampAfterMaxMs, long producerIdExpirationMs) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime, remoteStorage,
                localRetentionMs, localRetentionBytes, timestampBeforeMaxMs, timestampAfterMaxMs, producerIdExpirationMs, 1);
    }

    /** Kafka's default producer.id.expiration.ms: one day. */
    public static final long DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000L;

    /** Kafka 4's default of message.timestamp.after.max.ms: one hour. */
    public static final long DEFAULT_TIMESTAMP_AFTER_MAX_MS = 3_600_000L;

    /** Without tiering (remote.storage.enable=false) and with Kafka's timestamp bounds. */
    public LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                     int maxMessageBytes, int indexIntervalBytes, boolean logAppendTime) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, indexIntervalBytes, logAppendTime, false, -2, -2,
                Long.MAX_VALUE, DEFAULT_TIMESTAMP_AFTER_MAX_MS, DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    }

    /** What the batch validator needs to judge record timestamps (and, on a compacted topic, keys). */
    public io.strata.records.BatchValidator.TimestampPolicy timestampPolicy() {
        return new io.strata.records.BatchValidator.TimestampPolicy(logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compaction.compact());
    }

    public static LogConfig defaults() {
        return new LogConfig(1024 * 1024 * 1024, 7L * 24 * 3600 * 1000, 7L * 24 * 3600 * 1000, -1,
                1024 * 1024 + 12, 4096, false);
    }
}
