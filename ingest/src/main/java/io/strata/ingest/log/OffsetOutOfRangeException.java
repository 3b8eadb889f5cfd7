package io.strata.ingest.log;

/** A read or delete asked for an offset outside the log; answered with OFFSET_OUT_OF_RANGE. */
public class OffsetOutOfRangeException extends RuntimeException {
    public OffsetOutOfRangeException(String message) {
        super(message);
    }
}
