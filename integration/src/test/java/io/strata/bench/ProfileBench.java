package io.strata.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./strata bench profile}: CPU flame graphs of a node as {@code ./strata broker} runs it,
 * taken with async-profiler attached to the running process, one per workload of the Kafka
 * comparison after its warm-up (produce, consume from the first fetch, produce to 1,000
 * partitions), written as {@code bench-results/flame-<workload>.html} with the top frames in
 * {@code bench-results/profile.md}. {@code ./strata bench alloc} does the same for heap
 * allocation (bytes allocated, {@code flame-alloc-<workload>.html}, {@code alloc.md}): what fills
 * the young generation decides how much of the heap G1 touches, and so the node's resident memory.
 */
final class ProfileBench {
    private ProfileBench() {
    }

    private static Path profilerJar() throws Exception {
        return Path.of(Class.forName("one.converter.Main").getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static String tool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KafkaBroker.java(), "-jar", profilerJar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    interface Workload {
        void run() throws Exception;
    }

    /** Profiles {@code w} in the node {@code pid}; returns the top-frames section. */
    static String profile(long pid, String event, String name, Workload w, Path out) throws Exception {
        return profile(pid, event, name, w, out, new LinkedHashMap<>());
    }

    /**
     * As above, with a table of the samples grouped by {@code parts}: each stack goes to the first
     * part whose test it passes (the stack as one string, frames joined by ';'), else to "the rest".
     */
    static String profile(long pid, String event, String name, Workload w, Path out,
                          LinkedHashMap<String, java.util.function.Predicate<String>> parts) throws Exception {
        if (event.equals("alloc")) {
            tool("profiler", "start", "-e", "alloc", Long.toString(pid));
        } else {
            tool("profiler", "start", "-e", "cpu", "-i", "1ms", Long.toString(pid));
        }
        long t0 = System.nanoTime();
        w.run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path collapsed = Files.createTempFile("profile-" + name, ".collapsed");
        if (event.equals("alloc")) {
            // Bytes, not samples: --total is an output option, given where the profile is written.
            tool("profiler", "stop", "-o", "collapsed", "--total", "-f", collapsed.toString(), Long.toString(pid));
        } else {
            tool("profiler", "stop", "-o", "collapsed", "-f", collapsed.toString(), Long.toString(pid));
        }
        String flame = event.equals("alloc") ? "flame-alloc-" + name + ".html" : "flame-" + name + ".html";
        tool("converter", "-o", "html", collapsed.toString(), out.resolve(flame).toString());
        String top = event.equals("alloc") ? allocSummary(name, collapsed, seconds) : summary(name, collapsed, seconds);
        return parts.isEmpty() ? top : top + byPart(collapsed, parts);
    }

    /** Hands each stack of a collapsed profile (frames joined by ';') to {@code each} with its count; returns the counts' sum. */
    private static long forEachStack(Path collapsed, java.util.function.ObjLongConsumer<String> each) throws IOException {
        long all = 0;
        for (String line : Files.readAllLines(collapsed)) {
            int sp = line.lastIndexOf(' ');
            if (sp < 0) {
                continue;
            }
            long n = Long.parseLong(line.substring(sp + 1));
            each.accept(line.substring(0, sp), n);
            all += n;
        }
        return all;
    }

    /** The samples of a collapsed profile grouped by the first of {@code parts} each stack matches, largest first. */
    static String byPart(Path collapsed, LinkedHashMap<String, java.util.function.Predicate<String>> parts) throws IOException {
        Map<String, Long> counts = new LinkedHashMap<>();
        long total = forEachStack(collapsed, (stack, n) -> {
            String part = parts.entrySet().stream().filter(e -> e.getValue().test(stack)).map(Map.Entry::getKey).findFirst()
                    .orElse("the rest (kernel task switches, other threads)");
            counts.merge(part, n, Long::sum);
        });
        StringBuilder sb = new StringBuilder("### By part (the same samples, each stack in the first part it matches)\n\n"
                + "| % of samples | part |\n|---|---|\n");
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sb.append(String.format("| %.1f | %s |%n", 100.0 * e.getValue() / total, e.getKey())));
        return sb.append('\n').toString();
    }

    /** A collapsed profile's counts: by last frame (or another key of the stack), by every frame, and in all. */
    private record Tally(Map<String, Long> self, Map<String, Long> total, long all) {
        static Tally of(Path collapsed, java.util.function.Function<String[], String> selfKey) throws IOException {
            Map<String, Long> self = new HashMap<>();
            Map<String, Long> total = new HashMap<>();
            long all = forEachStack(collapsed, (stack, n) -> {
                String[] frames = stack.split(";");
                self.merge(selfKey.apply(frames), n, Long::sum);
                for (String f : new HashSet<>(List.of(frames))) {
                    total.merge(f, n, Long::sum);
                }
            });
            return new Tally(self, total, all);
        }

        /** The twelve largest self entries, then the fifteen io.strata frames with the largest totals. */
        String tables(String selfHeader) {
            StringBuilder sb = new StringBuilder("| " + selfHeader + " |\n|---|---|\n");
            self.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
                    .forEach(e -> sb.append(String.format("| %.1f | `%s` |%n", 100.0 * e.getValue() / all, e.getKey())));
            sb.append("\n| total % | Strata frame |\n|---|---|\n");
            total.entrySet().stream().filter(e -> e.getKey().startsWith("io/strata/") && !e.getKey().contains("$$Lambda"))
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey(Comparator.naturalOrder())))
                    .limit(15).forEach(e -> sb.append(String.format("| %.1f | `%s` |%n", 100.0 * e.getValue() / all, e.getKey())));
            return sb.append('\n').toString();
        }
    }

    /** The frames with the most samples: by self time, and the node's own (io.strata) by total time. */
    static String summary(String name, Path collapsed, double seconds) throws IOException {
        Tally t = Tally.of(collapsed, frames -> frames[frames.length - 1]);
        return "### " + name + String.format(" (%.1f s, %d samples of 1 ms CPU: %.2f cores busy)%n%n", seconds, t.all(),
                t.all() / 1000.0 / seconds) + t.tables("self % | frame");
    }

    /** The frames that allocate the most bytes: by self, and the node's own (io.strata) by total. */
    static String allocSummary(String name, Path collapsed, double seconds) throws IOException {
        // The last frame is the allocated class; the one before it the allocating method.
        Tally t = Tally.of(collapsed, frames -> frames.length > 1 ? frames[frames.length - 2] + " -> " + frames[frames.length - 1] : frames[0]);
        return "### " + name + String.format(" (%.1f s, %.0f MiB allocated: %.0f MiB/s)%n%n", seconds, t.all() / 1048576.0,
                t.all() / 1048576.0 / seconds) + t.tables("% of bytes | allocating site -> class");
    }

    static String run(Path out) throws Exception {
        return run(out, "cpu");
    }

    static String runAlloc(Path out) throws Exception {
        return run(out, "alloc");
    }

    private static String run(Path out, String event) throws Exception {
        Path dir = Files.createTempDirectory("strata-bench-profile");
        String prefix = event.equals("alloc") ? "flame-alloc-" : "flame-";
        StringBuilder md = new StringBuilder((event.equals("alloc")
                ? "## What a Strata node allocates on its heap (async-profiler, bytes allocated)\n\n`./strata bench alloc`"
                : "## Where a Strata node spends its CPU (async-profiler, 1 ms CPU samples)\n\n`./strata bench profile`")
                + " on " + Runtime.getRuntime().availableProcessors() + " cores: `./strata broker` with its"
                + " defaults and a 1 GiB heap, Kafka's ProducerPerformance and ConsumerPerformance in their own JVMs (the workloads"
                + " of the Kafka comparison), each profiled after a warm-up. Flame graphs: `" + prefix + "produce.html`, `" + prefix
                + "consume.html`, `" + prefix + "wide.html`. Samples cover the node's process only; the clients share the same cores.\n\n");
        try (BrokerProcess b = StrataBroker.start(dir.resolve("node"), "-Xms1G -Xmx1G")) {
            String bootstrap = b.bootstrap();
            Workloads.createTopic(bootstrap, "warmup", 6);
            ClientProcess.produce(bootstrap, "warmup", 200_000, -1);
            ClientProcess.consume(bootstrap, "warmup", 200_000, "warmup");
            Workloads.createTopic(bootstrap, "bench", 6);
            md.append(profile(b.pid(), event, "produce", () -> ClientProcess.produce(bootstrap, "bench", 1_000_000, -1), out));
            md.append(profile(b.pid(), event, "consume", () -> ClientProcess.consume(bootstrap, "bench", 1_000_000, "profile"), out));
            Workloads.createTopic(bootstrap, "wide", 1000);
            md.append(profile(b.pid(), event, "wide", () -> ClientProcess.produce(bootstrap, "wide", 200_000, -1), out));
        }
        return md.toString();
    }
}
