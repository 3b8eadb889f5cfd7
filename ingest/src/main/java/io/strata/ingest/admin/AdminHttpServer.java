package io.strata.ingest.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP listener. Requests are answered by {@link AdminApi} on a small worker pool, since
 * some answers read the MetaStore; the event loop only parses and writes.
 */
public final class AdminHttpServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "admin-http");
        t.setDaemon(true);
        return t;
    });
    private volatile AdminApi api;
    private Channel channel;
    private volatile AdminAuth auth = AdminAuth.NONE;

    private volatile io.strata.ingest.security.SslEngines tls;

    /** HTTPS with these engines (set before {@link #start}); null: plain HTTP. */
    public void setTls(io.strata.ingest.security.SslEngines tls) {
        this.tls = tls;
    }

    /** Who may call which path (set before {@link #serve}). */
    public void setAuth(AdminAuth auth) {
        this.auth = auth;
    }

    public InetSocketAddress start(String host, int port) throws InterruptedException {
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        io.strata.ingest.security.SslEngines engines = tls;
                        if (engines != null) {
                            InetSocketAddress peer = ch.remoteAddress();
                            io.netty.handler.ssl.SslHandler ssl = new io.netty.handler.ssl.SslHandler(engines.serverEngine(peer.getHostString(), peer.getPort()));
                            ssl.setHandshakeTimeoutMillis(10_000);
                            ch.pipeline().addLast("tls", ssl);
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler());
                    }
                }).bind(host, port).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** Until set, only /health answers (the node is still starting). */
    public void serve(AdminApi adminApi) {
        this.api = adminApi;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String method = req.method().name();
            String path = new QueryStringDecoder(req.uri()).path();
            String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
            String peer = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "-";
            String certificate = clientCertificate(ctx);
            workers.execute(() -> {
                AdminApi a = api;
                AdminApi.Answer answer = !auth.permits(path, authorization, peer, certificate)
                        ? new AdminApi.Answer(401, "application/json", "{\"error\":\"this path needs 'Authorization: Bearer <admin.auth.token>'"
                                + (auth.certificates() ? " or a client certificate" : "") + "\"}")
                        : a != null ? a.handle(method, path)
                        : path.equals("/health") ? new AdminApi.Answer(200, "application/json", "{\"status\":\"ok\"}")
                        : new AdminApi.Answer(503, "application/json", "{\"error\":\"starting\"}");
                // The body's bytes as they are: Unpooled.copiedBuffer(String) sizes its buffer for three bytes a character.
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.status()),
                        Unpooled.wrappedBuffer(answer.body().getBytes(StandardCharsets.UTF_8)));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
                if (answer.status() == 401) {
                    r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"strata\"");
                }
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            });
        }

        /** The subject of the client certificate the TLS handshake verified, or null. */
        private String clientCertificate(ChannelHandlerContext ctx) {
            io.netty.handler.ssl.SslHandler ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            if (ssl == null) {
                return null;
            }
            try {
                return ssl.engine().getSession().getPeerPrincipal().getName();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                return null;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
        workers.shutdown();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
