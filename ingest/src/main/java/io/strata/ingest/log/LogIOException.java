package io.strata.ingest.log;

import java.io.IOException;
import java.io.UncheckedIOException;

/** A disk operation of a partition log failed; the message names the file. */
public class LogIOException extends UncheckedIOException {
    public LogIOException(String message, IOException cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
