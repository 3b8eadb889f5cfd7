package io.strata.ingest.log;

import org.apache.kafka.common.protocol.Errors;

/**
 * The outcome of appending one partition's records: the offsets assigned (or, for a retried
 * idempotent batch, the offsets it got the first time), or an error with a reason.
 */
public record AppendResult(Errors error, String message, long baseOffset, long lastOffset,
                           long logAppendTime, long logStartOffset) {

    public static AppendResult failed(Errors error, String message, long logStartOffset) {
        return new AppendResult(error, message, -1, -1, -1, logStartOffset);
    }

    public boolean ok() {
        return error == Errors.NONE;
    }

    /** A retried batch written before whose offsets are no longer kept: answered as Kafka does, the log unchanged below {@link #lastOffset}. */
    public boolean oldDuplicate() {
        return error == Errors.DUPLICATE_SEQUENCE_NUMBER && lastOffset >= 0;
    }
}
