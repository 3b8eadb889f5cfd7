package io.strata.records;

import org.apache.kafka.common.protocol.Errors;

/**
 * A producer's batch that must not be written, with the Kafka error the producer is answered
 * with: {@code CORRUPT_MESSAGE} for bytes that do not decode (CRC, compression),
 * {@code INVALID_RECORD} for a well-formed batch whose header or records lie,
 * {@code INVALID_TIMESTAMP} for timestamps outside the topic's bounds.
 */
public final class InvalidBatchException extends RuntimeException {
    private final Errors error;

    public InvalidBatchException(Errors error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public Errors error() {
        return error;
    }
}
