package io.strata.ingest.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that at least one bootstrap address answers before an admin command builds its Kafka
 * client: the client itself retries a dead address for its whole API timeout and reports it only
 * as a generic timeout, where a user needs to hear at once which address is wrong and what to check.
 */
final class Reachability {
    static final int CONNECT_TIMEOUT_MS = 3_000;

    private Reachability() {
    }

    /** Returns null when some address accepts a TCP connection, else one line saying what failed. */
    static String problem(String bootstrap) {
        List<String> failures = new ArrayList<>();
        for (String entry : bootstrap.split(",")) {
            String address = entry.trim();
            if (address.isEmpty()) {
                continue;
            }
            int colon = address.lastIndexOf(':');
            if (colon <= 0 || colon == address.length() - 1) {
                failures.add("'" + address + "' is not HOST:PORT");
                continue;
            }
            String host = address.substring(0, colon).replace("[", "").replace("]", "");
            int port;
            try {
                port = Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                failures.add("'" + address + "' has no numeric port");
                continue;
            }
            try {
                InetAddress ip = InetAddress.getByName(host);
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ip, port), CONNECT_TIMEOUT_MS);
                    return null;
                }
            } catch (UnknownHostException e) {
                failures.add("cannot resolve host '" + host + "'");
            } catch (IOException e) {
                failures.add("cannot reach a Strata node at " + host + ":" + port + " (" + reason(e) + ")");
            }
        }
        if (failures.isEmpty()) {
            return "--bootstrap-server is empty";
        }
        return String.join("; ", failures)
                + ". Check that a node is running there (./strata dev, or ./strata cluster up), the host and the Kafka port"
                + " given with --bootstrap-server, and any firewall in between.";
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.toLowerCase();
    }
}
