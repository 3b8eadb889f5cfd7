package io.strata.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./strata bench fsync}: what durability costs this machine's CPU, by the shape of the
 * writes, without a broker. A Strata node fsyncs each partition's file before it acknowledges
 * acks=all, so under the comparison's produce (six partitions, one producer) it runs about one
 * fsync per partition per request, each covering one batch (the node's strata_log_fsync metrics
 * say how many and how large). The kernel's cost of an fsync — the journal commit of the file's
 * new size and blocks, the device's cache flush, the threads woken — is much the same whatever
 * it carries, so the same bytes in fewer, larger fsyncs cost less CPU; and an fsync that only
 * overwrites blocks already written needs no journal commit at all.
 *
 * <p>Each shape writes the same bytes ({@code -Dstrata.bench.fsync.mib}, default 1024) with one
 * thread per file, in alternating rounds; the table gives medians of MiB/s, this process's CPU
 * per GiB, and the whole machine's (kernel writeback and journal threads included).
 */
final class FsyncCostBench {
    static final int ROUNDS = Integer.getInteger("strata.bench.rounds", 3);
    static final long TOTAL = Long.getLong("strata.bench.fsync.mib", 1024) << 20;
    private static final int KIB = 1024;

    /** One way of writing {@link #TOTAL} bytes: files written side by side, each fsynced every {@code chunk} bytes (or never). */
    record Shape(String label, int files, int chunk, boolean fsync, boolean overwrite) {
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("6 files, no fsync (the bytes stay in the page cache: deleted before the kernel writes them back)", 6, 128 * KIB, false, false),
            new Shape("6 files, an fsync per 128 KiB appended to each (Strata's shape in the comparison's produce)", 6, 128 * KIB, true, false),
            new Shape("6 files, an fsync per 512 KiB appended to each", 6, 512 * KIB, true, false),
            new Shape("1 file, an fsync per 768 KiB appended (one durable write per request of six 128 KiB batches)", 1, 768 * KIB, true, false),
            new Shape("6 files, an fsync per 128 KiB, overwriting blocks written before (no journal commit)", 6, 128 * KIB, true, true));

    private FsyncCostBench() {
    }

    static String run() throws Exception {
        Path base = Path.of(System.getProperty("strata.bench.fsync.dir", System.getProperty("java.io.tmpdir")));
        Map<Shape, List<double[]>> results = new LinkedHashMap<>();
        SHAPES.forEach(s -> results.put(s, new ArrayList<>()));
        List<String> loads = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            List<Shape> order = new ArrayList<>(SHAPES);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            HostLoad load = new HostLoad();
            for (Shape s : order) {
                Path dir = Files.createTempDirectory(base, "strata-fsync-bench");
                try {
                    results.get(s).add(measure(s, dir));
                } finally {
                    KafkaComparisonBench.deleteTree(dir);
                }
            }
            loads.add("round " + round + ": " + load.since());
        }
        StringBuilder md = new StringBuilder("## What an fsync costs this machine (" + (TOTAL >> 20) + " MiB per shape, " + ROUNDS
                + " alternating rounds, medians)\n\n" + "Machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("os.name") + " " + System.getProperty("os.version") + ", file system of " + base
                + ". Run " + java.time.Instant.now() + ". One writer thread per file; CPU per GiB written: this process (its"
                + " writes and fsyncs), and the whole machine's busy time (kernel writeback and journal threads included; steal not"
                + " counted).\n\n| shape | MiB/s | fsyncs | process CPU s per GiB | machine CPU s per GiB |\n|---|---|---|---|---|\n");
        for (var e : results.entrySet()) {
            Shape s = e.getKey();
            md.append(String.format("| %s | %.1f | %d | %.2f | %.2f |%n", s.label(), median(e.getValue(), 0),
                    s.fsync() ? TOTAL / s.chunk() : 0, median(e.getValue(), 1), median(e.getValue(), 2)));
        }
        md.append("\nMachine load: ").append(String.join("; ", loads)).append(".\n");
        return md.toString();
    }

    /** {MiB/s, process CPU s per GiB, machine busy CPU s per GiB} of writing {@link #TOTAL} bytes in {@code s}'s shape. */
    private static double[] measure(Shape s, Path dir) throws Exception {
        long perFile = TOTAL / s.files();
        FileChannel[] files = new FileChannel[s.files()];
        for (int i = 0; i < files.length; i++) {
            files[i] = FileChannel.open(dir.resolve("f" + i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            if (s.overwrite()) {
                // Blocks allocated and on disk before the timed writes, as a recycled segment file would have them.
                write(files[i], perFile, 1 << 20, false);
                files[i].force(true);
            }
        }
        double gib = TOTAL / (double) (1 << 30);
        double cpu0 = HostLoad.cpuSeconds(ProcessHandle.current().pid());
        long machine0 = HostLoad.busyTicks();
        long t0 = System.nanoTime();
        ExecutorService writers = Executors.newFixedThreadPool(files.length);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (FileChannel f : files) {
                done.add(writers.submit(() -> {
                    write(f, perFile, s.chunk(), s.fsync());
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            writers.shutdown();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = HostLoad.cpuSeconds(ProcessHandle.current().pid()) - cpu0;
        long machine1 = HostLoad.busyTicks();
        for (FileChannel f : files) {
            f.close();
        }
        return new double[] {TOTAL / (double) (1 << 20) / seconds, cpu / gib, (machine1 - machine0) / 100.0 / gib};
    }

    /** Writes {@code bytes} from position 0 in writes of {@code chunk}, each followed by an fdatasync when {@code fsync}. */
    private static void write(FileChannel f, long bytes, int chunk, boolean fsync) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(chunk);
        for (long pos = 0; pos < bytes; pos += chunk) {
            b.clear();
            while (b.hasRemaining()) {
                f.write(b, pos + b.position());
            }
            if (fsync) {
                f.force(false);
            }
        }
    }

    private static double median(List<double[]> runs, int column) {
        return KafkaComparisonBench.median(runs.stream().map(r -> r[column]).toList());
    }
}
