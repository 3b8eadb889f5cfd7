package io.strata.tiering.segment;

/** A sealed-segment object, or a batch in it, failed validation; names the object and where. */
public class CorruptSegmentObjectException extends RuntimeException {
    public CorruptSegmentObjectException(String objectKey, String problem) {
        super("corrupt segment object " + objectKey + ": " + problem);
    }
}
