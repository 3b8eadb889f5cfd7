package io.strata.ingest.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.strata.ingest.api.RequestDispatcher;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

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
 * <p>All fields are touched only on the channel's event loop; handlers run on the I/O pool.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private final RequestDispatcher dispatcher;
    private final Executor ioPool;
    private final ConnectionCounter connections;
    private final Listener listener;
    private final ConnectionSecurity security;
    private Session session;
    private SaslAuthenticator sasl;
    private final Deque<InFlight> inbox = new ArrayDeque<>();
    private final Deque<InFlight> outbox = new ArrayDeque<>();
    private boolean handling;
    private String connectionId = "?";
    /** Requests received and not yet answered, and their bytes. */
    private int queuedRequests;
    private long queuedBytes;
    private boolean muted;

    static final int MAX_QUEUED_REQUESTS = 64;
    static final long MAX_QUEUED_BYTES = 64L << 20;

    ConnectionHandler(RequestDispatcher dispatcher, Executor ioPool, ConnectionCounter connections, Listener listener,
                      ConnectionSecurity security) {
        this.dispatcher = dispatcher;
        this.ioPool = ioPool;
        this.connections = connections;
        this.listener = listener;
        this.security = security;
    }

    private static final class InFlight {
        final Request request;
        int bytes;
        boolean done;
        boolean closeAfter;
        ApiMessage response;

        InFlight(Request request, int bytes) {
            this.request = request;
            this.bytes = bytes;
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
        ByteBuf frame = (ByteBuf) msg;
        ByteBuffer copy;
        try {
            copy = ByteBuffer.allocate(frame.readableBytes());
            frame.readBytes(copy);
            copy.flip();
        } finally {
            frame.release();
        }
        Request request;
        try {
            request = RequestCodec.decode(copy, session);
        } catch (InvalidFrameException e) {
            log.warn("closing connection {}: {}", connectionId, e.getMessage());
            ctx.close();
            return;
        }
        queuedRequests++;
        queuedBytes += copy.capacity();
        if (!muted && (queuedRequests >= MAX_QUEUED_REQUESTS || queuedBytes >= MAX_QUEUED_BYTES)) {
            muted = true;
            connections.pause();
            ctx.channel().config().setAutoRead(false);
            log.debug("connection {}: {} requests ({} bytes) unanswered; pausing reads", connectionId, queuedRequests, queuedBytes);
        }
        inbox.add(new InFlight(request, copy.capacity()));
        handleNext(ctx);
    }


    private void handleNext(ChannelHandlerContext ctx) {
        if (handling || inbox.isEmpty() || !ctx.channel().isActive()) {
            return;
        }
        handling = true;
        InFlight inFlight = inbox.poll();
        Request request = inFlight.request;
        outbox.add(inFlight);
        ApiKeys key = request.apiKey();
        boolean saslRequest = key == ApiKeys.SASL_HANDSHAKE || key == ApiKeys.SASL_AUTHENTICATE;
        if (!saslRequest && key != ApiKeys.API_VERSIONS) {
            String refusal = !session.isAuthenticated() ? key + " before SASL authentication"
                    : session.expired(System.nanoTime()) ? key + " after the SASL session expired (connections.max.reauth.ms)" : null;
            if (refusal != null) {
                AuditLog.authenticationFailed(listener.name(), session.clientHost(), "-", null, refusal);
                log.info("closing connection {}: {}", connectionId, refusal);
                ctx.close();
                return;
            }
        }
        ioPool.execute(() -> {
            CompletableFuture<ApiMessage> answer;
            try {
                if (saslRequest) {
                    SaslAuthenticator.Answer a = authenticate(request);
                    inFlight.closeAfter = a.closeAfter();
                    answer = CompletableFuture.completedFuture(a.response());
                } else {
                    answer = dispatcher.handle(request);
                }
            } catch (Throwable t) {
                answer = CompletableFuture.failedFuture(t);
            }
            ctx.executor().execute(() -> {
                handling = false;
                handleNext(ctx);
            });
            answer.whenComplete((response, error) -> ctx.executor().execute(() -> {
                inFlight.done = true;
                inFlight.response = error == null ? response : dispatcher.errorResponse(request, error);
                writeReady(ctx);
            }));
        });
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
                    if (f.closeAfter) {
                        ctx.flush();
                        last.addListener(io.netty.channel.ChannelFutureListener.CLOSE);
                        outbox.clear();
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
