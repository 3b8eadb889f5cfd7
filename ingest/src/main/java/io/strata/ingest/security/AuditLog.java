package io.strata.ingest.security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One line per failed authentication and per denied operation, on the {@code io.strata.audit}
 * logger, so operators can route it apart. At most {@link #LINES_PER_SECOND} lines a second: a
 * client retrying a bad password in a loop must not fill the disk; the lines left out are
 * counted in the next one written.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger("io.strata.audit");
    static final int LINES_PER_SECOND = 20;

    private static final AtomicLong windowStart = new AtomicLong();
    private static final AtomicLong inWindow = new AtomicLong();
    private static final AtomicLong suppressed = new AtomicLong();

    private AuditLog() {
    }

    public static void authenticationFailed(String listener, String peer, String mechanism, String user, String reason) {
        if (admit()) {
            log.warn("authentication failed: listener={} peer={} mechanism={} user={} reason=\"{}\"{}", listener, peer, mechanism,
                    user == null || user.isEmpty() ? "-" : user, reason, suppressedNote());
        }
    }

    public static void denied(String principal, String peer, String operation, String resource) {
        if (admit()) {
            log.warn("denied: principal={} peer={} operation={} resource={}{}", principal, peer, operation, resource, suppressedNote());
        }
    }

    private static boolean admit() {
        long second = System.nanoTime() / 1_000_000_000L;
        long start = windowStart.get();
        if (start != second && windowStart.compareAndSet(start, second)) {
            inWindow.set(0);
        }
        if (inWindow.incrementAndGet() > LINES_PER_SECOND) {
            suppressed.incrementAndGet();
            return false;
        }
        return true;
    }

    private static String suppressedNote() {
        long n = suppressed.getAndSet(0);
        return n == 0 ? "" : " (" + n + " similar lines suppressed)";
    }
}
