package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's load during a run: 1-minute load average at its end, and the share of CPU time stolen by the hypervisor. */
final class HostLoad {
    private final long[] start = cpu();

    /** "load 1.93, steal 0.4%" for the time since this object was made. */
    String since() {
        long[] end = cpu();
        long total = 0;
        for (int i = 0; i < end.length; i++) {
            total += end[i] - start[i];
        }
        double steal = end.length > 7 && total > 0 ? 100.0 * (end[7] - start[7]) / total : Double.NaN;
        return String.format("load %s, steal %.1f%%", loadAverage(), steal);
    }

    /** CPU seconds a process has used so far (user and system), NaN where the platform cannot tell. */
    static double cpuSeconds(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    /** The machine's busy ticks so far: user, nice, system, irq and softirq (not idle, iowait or steal); 0 where /proc cannot tell. */
    static long busyTicks() {
        long[] t = cpu();
        return t.length < 7 ? 0 : t[0] + t[1] + t[2] + t[5] + t[6];
    }

    /** The aggregate "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal … */
    private static long[] cpu() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long[] out = new long[f.length - 1];
            for (int i = 1; i < f.length; i++) {
                out[i - 1] = Long.parseLong(f[i]);
            }
            return out;
        } catch (Exception e) {
            return new long[0];
        }
    }
}
