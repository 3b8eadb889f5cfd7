package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The page cache's unwritten data during a run, sampled every half second from /proc/meminfo: a
 * broker that does not fsync leaves its appends there until the kernel writes them back, and that
 * write-back is when such a broker's tail latencies appear.
 */
final class DirtyPages implements AutoCloseable {
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long peakDirtyKb;
    private volatile long peakWritebackKb;

    DirtyPages() {
        sampler = new Thread(this::sample, "dirty-pages");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void sample() {
        while (running) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                    if (line.startsWith("Dirty:")) {
                        peakDirtyKb = Math.max(peakDirtyKb, kb(line));
                    } else if (line.startsWith("Writeback:")) {
                        peakWritebackKb = Math.max(peakWritebackKb, kb(line));
                    }
                }
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                return; // no /proc/meminfo: the summary says 0
            }
        }
    }

    /**
     * Writes the page cache's dirty data back to disk ({@code sync}) before a timed run, so that the run does not pay for
     * an earlier run's deferred writes: a broker that does not fsync leaves them to the kernel, which writes them back
     * about 30 s later, in the middle of whatever runs then. Returns "N MiB dirty written back in S s".
     */
    static String writeBack() throws Exception {
        long dirtyKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("Dirty:")) {
                dirtyKb = kb(line);
            }
        }
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sync").inheritIO().start();
        if (!p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("sync did not finish in 300 s");
        }
        return String.format("%d MiB dirty written back in %.1f s", dirtyKb / 1024, (System.nanoTime() - t0) / 1e9);
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("\\D", ""));
    }

    /** "dirty page cache peak 1620 MiB, write-back peak 40 MiB". */
    String summary() {
        return String.format("dirty page cache peak %d MiB, write-back peak %d MiB", peakDirtyKb / 1024, peakWritebackKb / 1024);
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
    }
}
