package io.strata.ingest.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.strata.ingest.api.RequestDispatcher;
import io.strata.ingest.security.ConnectionSecurity;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The Kafka-protocol listeners: Netty event loops for the sockets (TLS in the pipeline where a listener uses it), a fixed pool for request handling. */
public final class KafkaServer implements AutoCloseable {
    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private final ExecutorService ioPool;
    private final ConnectionCounter connections = new ConnectionCounter();
    /** A TLS client that has not finished its handshake by then is disconnected. */
    static final long TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
    private final List<Channel> channels = new ArrayList<>();
    private volatile RequestDispatcher dispatcher;
    private volatile RequestStages stages = RequestStages.NONE;

    public KafkaServer(int ioThreads) {
        AtomicInteger n = new AtomicInteger();
        this.ioPool = Executors.newFixedThreadPool(ioThreads, r -> {
            Thread t = new Thread(r, "kafka-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Binds every listener without accepting yet, so the actual ports (for port 0) are known
     * before the dispatcher, which advertises them, is built; {@link #serve} starts accepting.
     * Returns the listeners with their bound ports.
     */
    public List<Listener> bind(List<Listener> listeners, java.util.function.Function<Listener, ConnectionSecurity> securityOf, int maxFrameBytes)
            throws InterruptedException {
        List<Listener> out = new ArrayList<>();
        for (Listener l : listeners) {
            ConnectionSecurity security = securityOf.apply(l);
            ServerBootstrap b = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (l.usesTls()) {
                                InetSocketAddress peer = ch.remoteAddress();
                                SslHandler tls = new SslHandler(security.tls().serverEngine(peer.getHostString(), peer.getPort()));
                                tls.setHandshakeTimeoutMillis(TLS_HANDSHAKE_TIMEOUT_MS);
                                ch.pipeline().addLast("tls", tls);
                            }
                            ch.pipeline().addLast(new FrameDecoder(maxFrameBytes),
                                    new ConnectionHandler(dispatcher, ioPool, connections, l, security, stages));
                        }
                    });
            Channel c = b.bind(l.bindHost(), l.bindPort()).sync().channel();
            channels.add(c);
            out.add(l.bound(((InetSocketAddress) c.localAddress()).getPort()));
        }
        return out;
    }

    /** Starts accepting; every request's time by stage goes to {@code metrics} ({@link RequestStages}). */
    public void serve(RequestDispatcher requestDispatcher, io.micrometer.core.instrument.MeterRegistry metrics) {
        this.dispatcher = requestDispatcher;
        this.stages = new RequestStages(metrics);
        channels.forEach(c -> c.config().setAutoRead(true));
    }

    public ConnectionCounter connections() {
        return connections;
    }

    @Override
    public void close() {
        channels.forEach(c -> c.close().awaitUninterruptibly());
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        ioPool.shutdown();
        try {
            ioPool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
