package io.strata.sdk.replay;

/** A replay could not continue: corrupt data (naming the object and offset), or an unreachable source. */
public class ReplayException extends RuntimeException {
    public ReplayException(String message, Throwable cause) {
        super(message, cause);
    }
}
