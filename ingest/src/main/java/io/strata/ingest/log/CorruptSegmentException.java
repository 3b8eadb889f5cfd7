package io.strata.ingest.log;

/** A segment's bytes do not form valid record batches where they must (outside a recoverable tail). */
public class CorruptSegmentException extends RuntimeException {
    public CorruptSegmentException(String message) {
        super(message);
    }
}
