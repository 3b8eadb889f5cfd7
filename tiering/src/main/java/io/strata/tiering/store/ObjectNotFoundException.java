package io.strata.tiering.store;

/** No object has that key. */
public class ObjectNotFoundException extends ObjectStoreException {
    public ObjectNotFoundException(String key, Throwable cause) {
        super("no object " + key, cause);
    }
}
