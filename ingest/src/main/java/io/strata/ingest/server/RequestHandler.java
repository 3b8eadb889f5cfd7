package io.strata.ingest.server;

import org.apache.kafka.common.protocol.ApiMessage;

import java.util.concurrent.CompletableFuture;

/**
 * What a connection hands its decoded requests to. A request's buffers (a produce's records) are
 * views of the frame as Netty received it: the connection releases the frame once the answer has
 * completed and been written, so a handler must be done with them by the time its future completes
 * and must not keep them past it.
 */
public interface RequestHandler {
    /** The answer to {@code request}; a null answer means none is sent (acks=0 produce). */
    CompletableFuture<ApiMessage> handle(Request request);

    /** The answer of the request's own shape that reports {@code error}. */
    ApiMessage errorResponse(Request request, Throwable error);
}
