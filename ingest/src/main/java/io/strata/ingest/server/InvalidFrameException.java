package io.strata.ingest.server;

/** A request frame cannot be read: oversized, truncated, or not a Kafka request. Closes the connection. */
public class InvalidFrameException extends RuntimeException {
    public InvalidFrameException(String message) {
        super(message);
    }

    public InvalidFrameException(String message, Throwable cause) {
        super(message, cause);
    }
}
