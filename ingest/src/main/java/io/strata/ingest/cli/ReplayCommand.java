package io.strata.ingest.cli;

import io.strata.sdk.replay.Replay;
import io.strata.sdk.replay.ReplayException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** {@code strata replay}: a topic's history straight from object storage, as JSON lines. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay a topic's history from object storage (the un-tiered tail through the broker) as JSON lines.")
final class ReplayCommand implements Callable<Integer> {
    @Option(names = "--topic", required = true, description = "Topic to replay.")
    String topic;
    @Option(names = "--from", defaultValue = "earliest", description = "Start: earliest, an offset, or an ISO-8601 time (default: ${DEFAULT-VALUE}).")
    String from;
    @Option(names = "--to", defaultValue = "now", description = "End (exclusive): now, an offset, or an ISO-8601 time (default: ${DEFAULT-VALUE}).")
    String to;
    @Option(names = "--partitions", split = ",", description = "Only these partitions, e.g. 0,2,5.")
    Set<Integer> partitions;
    @Option(names = "--out", description = "Write JSON lines here instead of standard output.")
    Path out;
    @Option(names = "--admin-url", defaultValue = "http://localhost:9644", description = "A broker's admin API (default: ${DEFAULT-VALUE}).")
    String adminUrl;
    @Option(names = {"-b", "--bootstrap-server"}, defaultValue = "localhost:9092", description = "A broker, for time lookups and the tail (default: ${DEFAULT-VALUE}).")
    String bootstrap;
    @Option(names = "--object-store", description = "Bucket URL, if not the one the broker reports.")
    String objectStore;
    @Option(names = "--checkpoint", description = "Progress file: resume a stopped replay from it.")
    Path checkpoint;
    @Option(names = "--admin-token", defaultValue = "${env:STRATA_ADMIN_TOKEN}",
            description = "The node's admin.auth.token, if its admin API wants one (default: $STRATA_ADMIN_TOKEN).")
    String adminToken;
    @Option(names = "--command-config", paramLabel = "FILE",
            description = "Client properties for the Kafka connection (security.protocol, sasl.*, ssl.*), as Kafka's tools take them.")
    Path commandConfig;
    @Option(names = "--parallelism", defaultValue = "4", description = "Partitions read at once (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Override
    public Integer call() {
        Replay replay = Replay.of(topic).parallelism(parallelism).adminUrl(adminUrl).bootstrap(bootstrap).adminToken(adminToken);
        if (commandConfig != null) {
            java.util.Properties client = new java.util.Properties();
            try (java.io.Reader r = java.nio.file.Files.newBufferedReader(commandConfig)) {
                client.load(r);
            } catch (java.io.IOException e) {
                System.err.println("strata: cannot read --command-config " + commandConfig + ": " + e.getMessage());
                return 1;
            }
            replay.clientProperties(client);
        }
        try {
            bound(replay, from, true);
            bound(replay, to, false);
        } catch (IllegalArgumentException e) {
            System.err.println("strata: " + e.getMessage());
            return 2;
        }
        if (partitions != null) {
            replay.partitions(new TreeSet<>(partitions));
        }
        if (objectStore != null) {
            replay.objectStore(objectStore);
        }
        if (checkpoint != null) {
            replay.checkpoint(checkpoint);
        }
        // Ctrl-C stops the replay after the record in hand and waits for its output and checkpoint to be written.
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            replay.stop();
            try {
                finished.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            return replay(replay);
        } finally {
            // Nothing replays after this in a one-shot process: the S3 client's threads stop before the JVM exits.
            Replay.closeIdleClients();
            finished.countDown();
        }
    }

    private int replay(Replay replay) {
        Progress progress = System.console() != null ? new Progress(replay) : null;
        try (JsonLinesWriter w = new JsonLinesWriter(out == null ? System.out : Files.newOutputStream(out))) {
            if (progress != null) {
                progress.start();
            }
            // When the first record arrived, to report the replay's rate apart from the clients' start-up.
            long started = System.nanoTime();
            java.util.concurrent.atomic.AtomicLong firstRecord = new java.util.concurrent.atomic.AtomicLong();
            Replay.RecordHandler timed = new Replay.RecordHandler() {
                @Override
                public void handle(io.strata.sdk.replay.ReplayRecord record) throws IOException {
                    if (firstRecord.get() == 0) {
                        firstRecord.compareAndSet(0, System.nanoTime());
                    }
                    w.handle(record);
                }

                @Override
                public void flush() throws IOException {
                    w.flush();
                }
            };
            Replay.Result r = replay.run(timed);
            // The timing covers the output written, not only handed to the writer's buffers.
            w.flush();
            long finished = System.nanoTime();
            if (progress != null) {
                progress.finish();
            }
            if (r.alreadyComplete()) {
                System.err.println("strata: checkpoint " + checkpoint + " says this range was already replayed completely; "
                        + "delete it to replay the range again, or use another --checkpoint for a new range");
                return 0;
            }
            String timing = "";
            if (firstRecord.get() != 0) {
                double toFirst = (firstRecord.get() - started) / 1e9;
                double reading = Math.max(1e-9, (finished - firstRecord.get()) / 1e9);
                timing = String.format(" in %.2f s: first record after %.2f s, then %.1f MB/s", (finished - started) / 1e9, toFirst,
                        r.bytes() / 1e6 / reading);
            }
            System.err.printf("strata: replayed %d records (%.1f MB)%s%s%n", r.records(), r.bytes() / 1e6, timing,
                    r.complete() ? "" : "; stopped early, resume with the same --checkpoint");
            return 0;
        } catch (ReplayException e) {
            System.err.println("strata: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            System.err.println("strata: cannot write output: " + e.getMessage());
            return 1;
        }
    }

    private static void bound(Replay replay, String value, boolean isFrom) {
        if ((isFrom && value.equals("earliest")) || (!isFrom && value.equals("now"))) {
            return;
        }
        if (value.matches("\\d+")) {
            if (isFrom) {
                replay.from(Long.parseLong(value));
            } else {
                replay.to(Long.parseLong(value));
            }
            return;
        }
        try {
            Instant t = Instant.parse(value);
            if (isFrom) {
                replay.from(t);
            } else {
                replay.to(t);
            }
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException((isFrom ? "--from" : "--to") + " must be " + (isFrom ? "earliest" : "now")
                    + ", an offset or an ISO-8601 time like 2026-11-24T10:00:00Z; got '" + value + "'");
        }
    }

    /** Redraws {@link ReplayProgress} on the terminal's last line twice a second. */
    private static final class Progress extends Thread {
        private final Replay replay;
        private final long t0 = System.nanoTime();
        private volatile boolean done;

        Progress(Replay replay) {
            super("replay-progress");
            this.replay = replay;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!done) {
                draw();
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void draw() {
            long total = replay.ranges().values().stream().mapToLong(r -> Math.max(0, r[1] - r[0])).sum();
            System.err.print("\r" + ReplayProgress.render(replay.recordsDelivered(), total, replay.bytesDelivered(),
                    (System.nanoTime() - t0) / 1e9, 30) + "   ");
        }

        void finish() {
            done = true;
            draw();
            System.err.println();
        }
    }
}
