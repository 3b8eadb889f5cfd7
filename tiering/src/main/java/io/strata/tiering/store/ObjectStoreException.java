package io.strata.tiering.store;

/** The object store failed or could not be reached; the message names the store and the key. */
public class ObjectStoreException extends RuntimeException {
    public ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
