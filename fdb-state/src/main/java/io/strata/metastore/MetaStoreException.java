package io.strata.metastore;

/** A MetaStore operation failed for a reason other than unavailability. */
public class MetaStoreException extends RuntimeException {
    public MetaStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public MetaStoreException(String message) {
        super(message);
    }
}
