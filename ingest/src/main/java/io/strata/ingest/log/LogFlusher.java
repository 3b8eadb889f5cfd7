package io.strata.ingest.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.concurrent.TimeUnit;

/**
 * Kafka's flush.ms: a log holding records not yet on disk is fsynced once it has not been for
 * its flush.ms. An acks=all produce is fsynced before it is answered whatever this says; what
 * the flusher bounds is the rest, acks=0 and acks=1 records, which would otherwise reach the
 * disk only when the kernel writes them back (about 30 s here) or their segment rolls. That also
 * keeps a roll's fsync, which runs on the appending thread under the partition's lock, to what
 * flush.ms lets pile up rather than up to a whole segment. The fsyncs go through
 * {@link GroupCommit}: one already running for a log covers the flusher's need, and produces
 * waiting meanwhile share the flusher's.
 */
public final class LogFlusher {
    private static final Logger log = LoggerFactory.getLogger(LogFlusher.class);

    private final GroupCommit commit;

    public LogFlusher(GroupCommit commit) {
        this.commit = commit;
    }

    /** Starts an fsync of each of {@code logs} that holds unsynced records and is due by its flush.ms; returns how many it started. */
    public int flushDue(Collection<PartitionLog> logs) {
        long now = System.nanoTime();
        int started = 0;
        for (PartitionLog pl : logs) {
            long end = pl.logEndOffset();
            if (pl.isOffline() || pl.flushedOffset() >= end
                    || now - pl.lastFlushNanos() < TimeUnit.MILLISECONDS.toNanos(pl.config().flush().ms())) {
                continue;
            }
            commit.awaitDurable(pl, end - 1).whenComplete((v, t) -> {
                if (t != null) {
                    // GroupCommit has logged the failed fsync, and the log is offline.
                    log.debug("flush of {} failed: {}", pl.name(), t.getMessage());
                }
            });
            started++;
        }
        return started;
    }
}
