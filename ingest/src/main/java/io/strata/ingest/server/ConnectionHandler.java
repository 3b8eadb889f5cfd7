package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.strata.ingest.security.AuditLog;
import io.strata.ingest.security.ConnectionSecurity;
import io.strata.ingest.security.SaslAuthenticator;
import io.strata.ingest.security.Session;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.ApiMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection. Requests are handled one at a time in arrival order (as Kafka does,
 * so an idempotent producer's pipelined batches are appended in sequence), but a request whose
 * answer waits — an acks=all produce waiting for fsync, a fetch waiting for data — does not hold
 * up the next one. Responses are written strictly in request order.
 *
 * <p>Backpressure: a client that pipelines faster than it is answered does not make the
 * broker buffer without bound. Above {@link #MAX_QUEUED_REQUESTS} requests or
 * {@link #MAX_QUEUED_BYTES} request bytes not yet answered, the connection stops reading from its
 * socket (Netty {@code autoRead} off) until the queue drains to half, as Kafka mutes a channel.
 *
 * <p>Security: on a TLS listener the client certificate's principal is taken once the handshake
 * completes; on a SASL listener nothing but ApiVersions and the SASL requests is served until the
 * client has authenticated, nor after its session expired (a request then closes the
 * connection, as Kafka does).
 *
 * <p>Memory: a produce is parsed where Netty received it, in pooled direct memory, so its records
 * reach the log file without a copy into the heap (one copy per byte fewer, and no frame-sized
 * heap arrays: a produce frame is often over half a G1 region, which made it a humongous
 * allocation that G1 could only free in a young collection). The frame goes back to the pool once
 * the handler's answer completes, whether or not the connection is still open: never while a
 * handler may still read it. Other requests are copied and their frames released at once.
 *
 * <p>Threads: the event loop reads frames and writes answers; handlers run on the I/O pool. A
 * request is queued by the event loop and taken by an I/O thread, which, once its handler has
 * returned, takes the connection's next request itself (up to {@link #MAX_REQUESTS_PER_TURN}
 * in a row before it yields its thread): a pipelined request waits for no trip through the event
 * loop and back, each a thread wake-up, which on a loaded machine is where a request's queue
 * time went. The I/O thread reads the session and the request's stage times as well: each is
 * handed over through the queue, the {@code handling} flag or an executor, which order memory.
 * The outbox and the counts of unanswered requests are touched only on the event loop.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private final RequestHandler dispatcher;
    private final Executor ioPool;
    private final ConnectionCounter connections;
    private final Listener listener;
    private final ConnectionSecurity security;
    private final RequestStages stages;
    private Session session;
    private SaslAuthenticator sasl;
    /** Requests not yet taken by an I/O thread, in arrival order; added on the event loop, taken on the I/O pool. */
    private final Queue<InFlight> inbox = new ConcurrentLinkedQueue<>();
    /** Every request not yet answered, in arrival order (event loop only). */
    private final Deque<InFlight> outbox = new ArrayDeque<>();
    /** Whether an I/O thread is taking this connection's requests: at most one at a time, so that they are handled in order. */
    private final AtomicBoolean handling = new AtomicBoolean();
    private String connectionId = "?";
    /** Requests received and not yet answered, and their bytes. */
    private int queuedRequests;
    private long queuedBytes;
    private boolean muted;
    /**
     * Set once the connection is closing: answers that complete later are dropped, and their
     * frames released; an I/O thread taking the connection's requests stops at the next one.
     */
    private volatile boolean closing;

    static final int MAX_QUEUED_REQUESTS = 64;
    /** Requests an I/O thread handles for one connection before it lets the pool's other work run. */
    static final int MAX_REQUESTS_PER_TURN = 16;
    static final long MAX_QUEUED_BYTES = 64L << 20;

    ConnectionHandler(RequestHandler dispatcher, Executor ioPool, ConnectionCounter connections, Listener listener,
                      ConnectionSecurity security) {
        this(dispatcher, ioPool, connections, listener, security, RequestStages.NONE);
    }

    ConnectionHandler(RequestHandler dispatcher, Executor ioPool, ConnectionCounter connections, Listener listener,
                      ConnectionSecurity security, RequestStages stages) {
        this.stages = stages;
        this.dispatcher = dispatcher;
        this.ioPool = ioPool;
        this.connections = connections;
        this.listener = listener;
        this.security = security;
    }

    private static final class InFlight {
        final Request request;
        /** The frame {@code request}'s buffers are views of (a produce's); null for a copied request, or once released. */
        private ByteBuf frame;
        final int bytes;
        /**
         * Taken by an I/O thread (its handler may read the frame until its answer completes, which
         * releases it; a request refused before authentication releases it at once) or dropped by
         * the connection's closing (which releases it): whichever comes first.
         */
        private final AtomicInteger claim = new AtomicInteger(QUEUED);
        static final int QUEUED = 0;
        static final int TAKEN = 1;
        static final int DROPPED = 2;
        boolean done;
        boolean closeAfter;
        ApiMessage response;
        /**
         * When its frame arrived, a handler took it, the handler returned, and its answer completed
         * ({@link RequestStages}); each written before the hand-off to the next thread that reads it.
         */
        final long arrived;
        long taken;
        long returned;
        long completed;

        InFlight(Request request, ByteBuf frame, int bytes, long arrived) {
            this.arrived = arrived;
            this.request = request;
            this.frame = frame;
            this.bytes = bytes;
        }

        boolean take() {
            return claim.compareAndSet(QUEUED, TAKEN);
        }

        /** Releases the frame unless an I/O thread took it; whether it did. */
        boolean drop() {
            if (!claim.compareAndSet(QUEUED, DROPPED)) {
                return false;
            }
            release();
            return true;
        }

        void release() {
            if (frame != null) {
                frame.release();
                frame = null;
            }
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        connectionId = ctx.channel().remoteAddress() + "->" + ctx.channel().localAddress();
        String clientHost = ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress().getHostAddress()
                : String.valueOf(ctx.channel().remoteAddress());
        session = new Session(connectionId, listener.name(), listener.protocol(), clientHost);
        if (listener.usesSasl()) {
            sasl = new SaslAuthenticator(session, security.sasl(), security.maxReauthMs());
            // A client that connects and never finishes its SASL exchange must not hold the connection forever.
            ctx.executor().schedule(() -> {
                if (!session.isAuthenticated() && ctx.channel().isActive()) {
                    AuditLog.authenticationFailed(listener.name(), session.clientHost(), "-", null,
                            "not authenticated within " + security.authenticationTimeoutMs() + " ms");
                    ctx.close();
                }
            }, security.authenticationTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        connections.opened();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        connections.closed();
        closing = true;
        // Frames no handler took go back now; a handler's frame goes back when its answer completes (answered()).
        inbox.clear();
        outbox.removeIf(InFlight::drop);
        if (muted) {
            muted = false;
            connections.resume();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                try {
                    session.certificatePrincipal(security.certificatePrincipals().of(
                            ctx.pipeline().get(SslHandler.class).engine().getSession()));
                } catch (IllegalStateException e) {
                    AuditLog.authenticationFailed(listener.name(), session.clientHost(), "SSL", null, e.getMessage());
                    ctx.close();
                }
            } else {
                AuditLog.authenticationFailed(listener.name(), session.clientHost(), "SSL", null,
                        "TLS handshake failed: " + rootMessage(done.cause()));
                ctx.close();
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long arrived = stages.now();
        ByteBuf frame = (ByteBuf) msg;
        int size = frame.readableBytes();
        ByteBuf kept = null;
        Request request;
        try {
            if (closing) {
                return;
            }
            // Only a produce keeps its frame: its records go to the log file from where Netty received them. Other
            // requests are small and some wait long for their answer (a long-poll fetch, a JoinGroup), pinning the
            // buffer their frame is part of: they are copied, and their frame released at once.
            boolean produce = size >= 2 && frame.getShort(frame.readerIndex()) == ApiKeys.PRODUCE.id;
            ByteBuffer bytes = produce ? frame.nioBuffer() : ByteBuffer.allocate(size);
            if (!produce) {
                frame.getBytes(frame.readerIndex(), bytes);
                bytes.flip();
            }
            request = RequestCodec.decode(bytes, session);
            kept = produce ? frame : null;
        } catch (InvalidFrameException e) {
            log.warn("closing connection {}: {}", connectionId, e.getMessage());
            ctx.close();
            return;
        } finally {
            if (kept == null) {
                frame.release();
            }
        }
        queuedRequests++;
        queuedBytes += size;
        if (!muted && (queuedRequests >= MAX_QUEUED_REQUESTS || queuedBytes >= MAX_QUEUED_BYTES)) {
            muted = true;
            connections.pause();
            ctx.channel().config().setAutoRead(false);
            log.debug("connection {}: {} requests ({} bytes) unanswered; pausing reads", connectionId, queuedRequests, queuedBytes);
        }
        InFlight inFlight = new InFlight(request, kept, size, arrived);
        outbox.add(inFlight);
        inbox.add(inFlight);
        startHandling(ctx);
    }

    /** Gives the connection's queued requests an I/O thread unless one has them. */
    private void startHandling(ChannelHandlerContext ctx) {
        if (inbox.isEmpty() || !handling.compareAndSet(false, true)) {
            return;
        }
        submitTurn(ctx);
    }

    /** Queues a turn of {@link #handleQueued} on the I/O pool (the caller holds {@code handling}). */
    private void submitTurn(ChannelHandlerContext ctx) {
        try {
            ioPool.execute(() -> handleQueued(ctx));
        } catch (RejectedExecutionException e) {
            log.debug("closing connection {}: the node is stopping", connectionId);
            ctx.close();
        }
    }

    /** On the I/O pool: handles queued requests in order until none is left, or for one turn. */
    private void handleQueued(ChannelHandlerContext ctx) {
        for (int handled = 0; ; ) {
            if (closing || !ctx.channel().isActive()) {
                return; // handling stays set: the closing connection drops what is queued (channelInactive)
            }
            InFlight next = inbox.poll();
            if (next == null) {
                handling.set(false);
                // A request queued after the poll and before the flag was cleared saw the flag set and left it to this thread.
                if (inbox.isEmpty() || !handling.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            if (!next.take()) {
                continue; // dropped by the closing connection
            }
            if (!handle(ctx, next) || next.closeAfter) {
                // The connection closes (refused, or once this answer is written, a failed SASL exchange): whatever the
                // client sent after it is never handled. handling stays set; channelInactive drops the rest.
                return;
            }
            if (++handled >= MAX_REQUESTS_PER_TURN && !inbox.isEmpty()) {
                submitTurn(ctx);
                return;
            }
        }
    }

    /**
     * On the I/O pool: hands the request to its handler, whose answer is taken back to the event
     * loop; false when the request closed the connection instead (before SASL authentication, or
     * after the session expired). Whatever fails here fails the request's answer, which the
     * event loop turns into the request's error response: it never leaves the connection without
     * an I/O thread.
     */
    private boolean handle(ChannelHandlerContext ctx, InFlight inFlight) {
        inFlight.taken = stages.now();
        ApiKeys key = inFlight.request.apiKey();
        boolean saslRequest = key == ApiKeys.SASL_HANDSHAKE || key == ApiKeys.SASL_AUTHENTICATE;
        CompletableFuture<ApiMessage> answer;
        try {
            String refusal = saslRequest || key == ApiKeys.API_VERSIONS ? null
                    : !session.isAuthenticated() ? key + " before SASL authentication"
                    : session.expired(System.nanoTime()) ? key + " after the SASL session expired (connections.max.reauth.ms)" : null;
            if (refusal != null) {
                AuditLog.authenticationFailed(listener.name(), session.clientHost(), "-", null, refusal);
                log.info("closing connection {}: {}", connectionId, refusal);
                ctx.close();
                inFlight.release();
                return false;
            }
            if (saslRequest) {
                SaslAuthenticator.Answer a = authenticate(inFlight.request);
                inFlight.closeAfter = a.closeAfter();
                answer = CompletableFuture.completedFuture(a.response());
            } else {
                answer = java.util.Objects.requireNonNull(dispatcher.handle(inFlight.request), "the handler gave no answer");
            }
        } catch (Throwable t) {
            answer = CompletableFuture.failedFuture(t);
        }
        inFlight.returned = stages.now();
        answer.whenComplete((response, error) -> {
            inFlight.completed = Math.max(inFlight.returned, stages.now());
            try {
                ctx.executor().execute(() -> answered(ctx, inFlight, response, error));
            } catch (RejectedExecutionException e) {
                // The event loop has stopped with the node: nothing will be written, but the frame must still go back.
                inFlight.release();
            }
        });
        return true;
    }

    /** On the event loop: the handler is done with the request's buffers, so its frame goes back now. */
    private void answered(ChannelHandlerContext ctx, InFlight inFlight, ApiMessage response, Throwable error) {
        inFlight.done = true;
        ApiMessage answer;
        try {
            answer = error == null ? response : dispatcher.errorResponse(inFlight.request, error);
        } catch (RuntimeException e) {
            log.error("closing connection {}: cannot answer {} v{}", connectionId, inFlight.request.apiKey(),
                    inFlight.request.version(), e);
            ctx.close();
            return;
        } finally {
            // An error response may still read the request; after it, nothing does.
            inFlight.release();
        }
        if (closing) {
            return;
        }
        if (answer == null) {
            // acks=0: nothing is sent.
            stages.unanswered(inFlight.request.apiKey(), inFlight.arrived, inFlight.taken, inFlight.returned, inFlight.completed);
        }
        inFlight.response = answer;
        writeReady(ctx);
    }

    /** SaslHandshake or SaslAuthenticate; on a listener without SASL, ILLEGAL_SASL_STATE as Kafka answers. */
    private SaslAuthenticator.Answer authenticate(Request request) {
        if (sasl == null) {
            ApiMessage refusal = request.apiKey() == ApiKeys.SASL_HANDSHAKE
                    ? new SaslHandshakeResponseData().setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                    : new SaslAuthenticateResponseData().setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                            .setErrorMessage("listener " + listener.name() + " does not use SASL").setAuthBytes(new byte[0]);
            return new SaslAuthenticator.Answer(refusal, false);
        }
        return request.apiKey() == ApiKeys.SASL_HANDSHAKE
                ? sasl.handshake((SaslHandshakeRequestData) request.body(), request.version())
                : sasl.authenticate((SaslAuthenticateRequestData) request.body(), request.version());
    }

    private void writeReady(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (!outbox.isEmpty() && outbox.peek().done) {
            InFlight f = outbox.poll();
            queuedRequests--;
            queuedBytes -= f.bytes;
            if (f.response != null) {
                try {
                    // Record bytes go from the page cache to the socket (sendfile) unless TLS must encrypt them here.
                    boolean fileRegions = ctx.pipeline().get(SslHandler.class) == null;
                    java.util.List<Object> parts = RequestCodec.encode(ctx.alloc(), f.request, f.response, fileRegions);
                    io.netty.channel.ChannelFuture last = null;
                    for (Object part : parts) {
                        last = ctx.write(part);
                    }
                    if (last != null) {
                        // Only the figures are kept, not the request and its answer, until the last byte has gone.
                        ApiKeys api = f.request.apiKey();
                        long arrived = f.arrived;
                        long taken = f.taken;
                        long returned = f.returned;
                        long completed = f.completed;
                        long written = stages.now();
                        last.addListener(done -> stages.answered(api, arrived, taken, returned, completed, written, stages.now()));
                    }
                    if (f.closeAfter) {
                        ctx.flush();
                        last.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                        closing = true;
                        return;
                    }
                    wrote = true;
                } catch (RuntimeException e) {
                    // A response we cannot encode for the client's version is our bug; closing beats a hang.
                    log.error("closing connection {}: cannot encode {} v{} response", connectionId,
                            f.request.apiKey(), f.request.version(), e);
                    ctx.close();
                    return;
                }
            }
        }
        if (wrote) {
            ctx.flush();
        }
        if (muted && queuedRequests <= MAX_QUEUED_REQUESTS / 2 && queuedBytes <= MAX_QUEUED_BYTES / 2) {
            muted = false;
            connections.resume();
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() instanceof InvalidFrameException e) {
            log.warn("closing connection {}: {}", connectionId, e.getMessage());
        } else if (cause instanceof java.io.IOException) {
            log.debug("connection {} failed: {}", connectionId, cause.getMessage());
        } else {
            log.warn("closing connection {} after an unexpected error", connectionId, cause);
        }
        ctx.close();
    }
}
