package io.strata.ingest.log;

/** A follower's write prepared in one leader epoch, arriving after the replica's role or epoch changed. */
public final class StaleEpochException extends RuntimeException {
    StaleEpochException(String message) {
        super(message);
    }
}
