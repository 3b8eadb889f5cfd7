package io.strata.ingest.util;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's named daemon threads, so a thread dump says who is doing what. Every thread a node
 * runs, and what it runs:
 * <ul>
 *   <li>{@code kafka-io-N}: request handlers (never wait on S3 or the network);</li>
 *   <li>Netty event loops: frame decoding and response encoding only;</li>
 *   <li>{@code log-fsync-N}: fsyncs for acks=all, one chain per log;</li>
 *   <li>{@code log-roller-N}: the rest of each segment roll (the sealed segment's fsync, the producer snapshot);</li>
 *   <li>{@code fetch-purgatory}: waiting fetches, their wake-ups and expiry;</li>
 *   <li>{@code replica-fetcher}: a follower's fetches from its leaders;
 *       {@code replica-purgatory}: acks=all timeouts on replicated partitions;</li>
 *   <li>{@code cluster-control}: lease renewals, the controller's rounds, the cluster view;</li>
 *   <li>{@code tier-upload-N}: segment uploads; {@code remote-read-N}: cutting and CRC-checking the batches of remote reads
 *       (for fetches and ListOffsets) once their GETs complete, never waiting on the object store;</li>
 *   <li>{@code tier-tick}: finding segments to upload, followers' reading of the manifest; {@code tier-retention}:
 *       retention across tiers; {@code tier-sweep}: the orphan sweep; {@code tier-manifest}: a partition's manifest
 *       entries, loaded the first time a remote read needs them (all four {@code TieringService}'s own);</li>
 *   <li>{@code broker-scheduler}: topic refresh, local retention, group timers, TLS and ACL reloads;</li>
 *   <li>{@code log-deleter}: directories of deleted topics; {@code segment-deleter}: deleted segments after {@code file.delete.delay.ms};</li>
 *   <li>{@code admin-http}: the admin API.</li>
 * </ul>
 */
public final class NamedThreads {
    private NamedThreads() {
    }

    /** A factory of daemon threads called {@code name}, or {@code name-N} when {@code numbered}. */
    public static ThreadFactory daemon(String name, boolean numbered) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, numbered ? name + "-" + n.incrementAndGet() : name);
            t.setDaemon(true);
            return t;
        };
    }

    public static ScheduledExecutorService scheduled(String name) {
        return Executors.newSingleThreadScheduledExecutor(daemon(name, false));
    }

    public static ExecutorService single(String name) {
        return Executors.newSingleThreadExecutor(daemon(name, false));
    }
}
