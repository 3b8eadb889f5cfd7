package io.strata.ingest.log;

/**
 * The partition's log is offline after a disk error: it refuses appends and reads (Kafka's
 * {@code KAFKA_STORAGE_ERROR}) until the node restarts and recovery truncates it to its last
 * valid batch. Going offline rather than carrying on matters after a failed fsync: Linux reports
 * a writeback error once, so a later fsync can succeed although the earlier bytes are lost.
 */
public final class LogOfflineException extends RuntimeException {
    public LogOfflineException(String message, Throwable cause) {
        super(message, cause);
    }
}
