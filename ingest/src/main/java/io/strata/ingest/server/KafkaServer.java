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
import io.strata.ingest.api.RequestDispatcher;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The Kafka-protocol listener: Netty event loops for the sockets, a fixed pool for request handling. */
public final class KafkaServer implements AutoCloseable {
    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private final ExecutorService ioPool;
    private final ConnectionCounter connections = new ConnectionCounter();
    private Channel channel;
    private volatile RequestDispatcher dispatcher;

    public KafkaServer(int ioThreads) {
        AtomicInteger n = new AtomicInteger();
        this.ioPool = Executors.newFixedThreadPool(ioThreads, r -> {
            Thread t = new Thread(r, "kafka-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Binds the listener without accepting yet, so the actual port (for port 0) is known before
     * the dispatcher, which advertises it, is built; {@link #serve} starts accepting.
     */
    public InetSocketAddress bind(String host, int port, int maxFrameBytes) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(maxFrameBytes),
                                new ConnectionHandler(dispatcher, ioPool, connections));
                    }
                });
        channel = b.bind(host, port).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    public void serve(RequestDispatcher requestDispatcher) {
        this.dispatcher = requestDispatcher;
        channel.config().setAutoRead(true);
    }

    public ConnectionCounter connections() {
        return connections;
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly();
        }
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
