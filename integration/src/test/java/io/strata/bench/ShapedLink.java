package io.strata.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP link to a local S3 server modelled on how Amazon S3 answers an instance in its region,
 * which the server on this machine (no network, sub-millisecond answers) cannot show: each
 * response's first byte held until {@code firstByteMillis} after its request was sent, and each
 * connection's bytes paced to {@code bytesPerSecond}. AWS's guidelines for S3 performance give
 * the model: median latencies of tens of milliseconds for small requests, and one request in
 * flight for each 85–90 MB/s of throughput wanted. It has no slow tail, as S3 has. A reader that
 * keeps few GETs in flight, or waits for one before it sends the next, is slow through this link
 * and not through the server itself. For GETs over HTTP/1.1 without pipelining, as the S3 clients
 * here send them: a request's bytes, then its response's (a PUT with {@code Expect: 100-continue}
 * would be held twice, once for the interim answer and once for the final one; none is timed
 * through it). Two threads per connection; closed with the link.
 */
final class ShapedLink implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final long firstByteNanos;
    private final long bytesPerSecond;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    /** Response bytes carried to the clients so far. */
    private final AtomicLong delivered = new AtomicLong();

    private ShapedLink(int targetPort, long firstByteMillis, long bytesPerSecond) throws IOException {
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.firstByteNanos = TimeUnit.MILLISECONDS.toNanos(firstByteMillis);
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Listens on a free loopback port and links every connection to {@code targetPort}. */
    static ShapedLink start(int targetPort, long firstByteMillis, long bytesPerSecond) throws IOException {
        ShapedLink link = new ShapedLink(targetPort, firstByteMillis, bytesPerSecond);
        daemon("shaped-link-accept", link::accept).start();
        return link;
    }

    int port() {
        return server.getLocalPort();
    }

    /** Response bytes carried to the clients since the link started. */
    long bytesDelivered() {
        return delivered.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            try {
                Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                open.add(client);
                open.add(target);
                // When the request now in flight was sent; -1 once its response has begun.
                AtomicLong requestSent = new AtomicLong(-1);
                daemon("shaped-link-up", () -> requests(client, target, requestSent)).start();
                daemon("shaped-link-down", () -> responses(target, client, requestSent)).start();
            } catch (IOException e) {
                // This connection only: the client sees it closed, and the link goes on accepting.
                closeQuietly(client);
            }
        }
    }

    private void requests(Socket client, Socket target, AtomicLong requestSent) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = client.getInputStream(); OutputStream out = target.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                requestSent.compareAndSet(-1, System.nanoTime());
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other side closed: so does this one.
        } finally {
            closeQuietly(client, target);
        }
    }

    private void responses(Socket target, Socket client, AtomicLong requestSent) {
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = target.getInputStream(); OutputStream out = client.getOutputStream()) {
            long paceFrom = System.nanoTime();
            long paced = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                long sent = requestSent.getAndSet(-1);
                if (sent != -1) {
                    // A response begins: its first byte leaves no sooner than the first-byte latency after its request.
                    sleepUntil(sent + firstByteNanos);
                    paceFrom = System.nanoTime();
                    paced = 0;
                }
                out.write(buf, 0, n);
                out.flush();
                delivered.addAndGet(n);
                paced += n;
                sleepUntil(paceFrom + (long) (paced * 1e9 / bytesPerSecond));
            }
        } catch (IOException | InterruptedException e) {
            // Closed, or the link is closing.
        } finally {
            closeQuietly(target, client);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void closeQuietly(Socket... sockets) {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
