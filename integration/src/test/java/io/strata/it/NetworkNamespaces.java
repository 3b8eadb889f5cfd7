package io.strata.it;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One network namespace per node, joined by veth pairs to a bridge in the test's own namespace
 * (iproute2 only), so that links can be cut and healed one by one with blackhole routes. The
 * bridge address {@link #HOST} is where the test JVM and the MetaStore are reached. Needs
 * CAP_NET_ADMIN (root here); {@link #available} says whether this machine allows it.
 */
final class NetworkNamespaces implements AutoCloseable {
    static final String HOST = "10.203.0.1";
    private static final String BRIDGE = "stbr0";
    private final int count;

    private NetworkNamespaces(int count) {
        this.count = count;
    }

    static String address(int node) {
        return "10.203.0." + (10 + node);
    }

    static String namespace(int node) {
        return "strata-n" + node;
    }

    /** The command prefix that runs a process inside node {@code i}'s namespace. */
    static List<String> exec(int node) {
        return List.of("ip", "netns", "exec", namespace(node));
    }

    static boolean available() {
        try {
            if (run(false, "ip", "netns", "add", "strata-probe") != 0) {
                return false;
            }
            run(false, "ip", "netns", "del", "strata-probe");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static NetworkNamespaces create(int nodes) throws Exception {
        NetworkNamespaces n = new NetworkNamespaces(nodes);
        n.close();
        run(true, "ip", "link", "add", BRIDGE, "type", "bridge");
        run(true, "ip", "addr", "add", HOST + "/24", "dev", BRIDGE);
        run(true, "ip", "link", "set", BRIDGE, "up");
        for (int i = 1; i <= nodes; i++) {
            String ns = namespace(i);
            run(true, "ip", "netns", "add", ns);
            run(true, "ip", "link", "add", "stv" + i, "type", "veth", "peer", "name", "stp" + i);
            run(true, "ip", "link", "set", "stp" + i, "netns", ns);
            run(true, "ip", "link", "set", "stv" + i, "master", BRIDGE, "up");
            run(true, "ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", "stp" + i);
            run(true, "ip", "netns", "exec", ns, "ip", "link", "set", "stp" + i, "up");
            run(true, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
        }
        return n;
    }

    /** Cuts (or, with {@code cut} false, heals) the link between nodes {@code a} and {@code b}, both ways. */
    void link(int a, int b, boolean cut) throws Exception {
        route(a, address(b), cut);
        route(b, address(a), cut);
    }

    /** Cuts or heals node {@code a}'s path to the bridge host: the MetaStore and the test's own clients. */
    void host(int a, boolean cut) throws Exception {
        route(a, HOST, cut);
    }

    private static void route(int node, String to, boolean cut) throws Exception {
        run(true, "ip", "netns", "exec", namespace(node), "ip", "route", cut ? "add" : "del", "blackhole", to + "/32");
    }

    private static int run(boolean check, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
        if (check && p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.trim());
        }
        return p.exitValue();
    }

    @Override
    public void close() throws Exception {
        List<String> errors = new ArrayList<>();
        for (int i = 1; i <= Math.max(count, 5); i++) {
            run(false, "ip", "netns", "del", namespace(i));
            run(false, "ip", "link", "del", "stv" + i);
        }
        run(false, "ip", "link", "del", BRIDGE);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(String.join("; ", errors));
        }
    }
}
