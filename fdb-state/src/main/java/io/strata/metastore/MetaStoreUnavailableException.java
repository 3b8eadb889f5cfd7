package io.strata.metastore;

/** The store could not be reached, or a transaction kept conflicting past its retry budget: retriable. */
public class MetaStoreUnavailableException extends MetaStoreException {
    public MetaStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
