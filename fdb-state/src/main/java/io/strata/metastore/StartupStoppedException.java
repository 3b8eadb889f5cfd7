package io.strata.metastore;

/** Start-up gave up waiting for the MetaStore because the node was asked to stop: a clean stop, not a failure. */
public class StartupStoppedException extends MetaStoreUnavailableException {
    public StartupStoppedException(String message, Throwable cause) {
        super(message, cause);
    }
}
