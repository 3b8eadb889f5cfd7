package io.strata.metastore;

/** Thrown by a backend inside a transaction attempt when it must be retried from the start. */
public class ConflictException extends RuntimeException {
    public ConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
