package io.strata.ingest.replication;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Opens a connection from this node to another node's inter-broker listener: a plain socket, or
 * a TLS one when that listener uses SSL (the node presents its own certificate, for mutual TLS).
 */
@FunctionalInterface
public interface NodeConnector {
    Socket open(String host, int port, int timeoutMs) throws IOException;

    NodeConnector PLAIN = (host, port, timeoutMs) -> {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), timeoutMs);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    };
}
