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

    /**
     * The CPU ticks each JIT compiler thread of a HotSpot process ({@code C1 CompilerThre…}, {@code C2 CompilerThre…}) has
     * used so far, by thread id, from {@code /proc/PID/task}; empty where the platform cannot tell.
     */
    static java.util.Map<String, Long> compilerTicks(long pid) {
        java.util.Map<String, Long> ticks = new java.util.HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (var ids = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) ids::iterator) {
                try {
                    String comm = Files.readString(t.resolve("comm")).trim();
                    if (!comm.startsWith("C1 Compiler") && !comm.startsWith("C2 Compiler")) {
                        continue;
                    }
                    String stat = Files.readString(t.resolve("stat"));
                    // After the command's closing parenthesis: state is field 3, utime and stime fields 14 and 15.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(t.getFileName().toString(), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (java.io.IOException | RuntimeException e) {
                    // The thread exited while being read.
                }
            }
        } catch (java.io.IOException e) {
            // No /proc: nothing to tell.
        }
        return ticks;
    }

    /**
     * CPU seconds the JIT compiler threads used since {@code before} ({@link #compilerTicks}), thread by thread: a thread
     * started since counts whole, and the JVM stops extra compiler threads when idle, so one that exited meanwhile is
     * missed (a lower bound, never the difference of two sums over different threads). Ticks are the kernel's USER_HZ,
     * 100 a second on Linux. NaN where the platform cannot tell.
     */
    static double compilerCpuSecondsSince(long pid, java.util.Map<String, Long> before) {
        java.util.Map<String, Long> now = compilerTicks(pid);
        if (now.isEmpty()) {
            return Double.NaN;
        }
        long ticks = 0;
        for (var e : now.entrySet()) {
            ticks += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return ticks / 100.0;
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
