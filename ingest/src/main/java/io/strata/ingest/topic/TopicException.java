package io.strata.ingest.topic;

import org.apache.kafka.common.protocol.Errors;

/** A topic operation was refused; carries the Kafka error clients understand and a reason. */
public class TopicException extends RuntimeException {
    private final Errors error;

    public TopicException(Errors error, String message) {
        super(message);
        this.error = error;
    }

    public Errors error() {
        return error;
    }
}
