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
