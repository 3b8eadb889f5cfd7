package io.strata.ingest.log;

/** The offset is within the log but no longer on local disk: it must be read from object storage. */
public class NotLocalException extends RuntimeException {
    public NotLocalException(String message) {
        super(message);
    }
}
