package io.strata.bench;

import io.strata.it.StrataNode;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strata against Apache Kafka 4.x on this machine: the same kafka-clients workloads against a
 * single KRaft Kafka node (as shipped: no fsync per message), Kafka with flush.messages=1 (the
 * like-for-like durability of Strata's fsync-before-ack), and a Strata node, each with a 1 GiB
 * heap, one broker at a time, in alternating rounds; medians are reported.
 */
final class KafkaComparisonBench {
    static final String HEAP = "-Xms1g -Xmx1g";
    static final int ROUNDS = Integer.getInteger("strata.bench.rounds", 3);
    static final int RECORDS = Integer.getInteger("strata.bench.records", 200_000);
    static final List<String> BROKERS = List.of("Kafka", "Kafka fsync", "Strata");
    static final List<String> METRICS = List.of("produce records/s", "produce MB/s", "produce p50 ms", "produce p99 ms",
            "produce p99.9 ms", "consume MB/s", "end-to-end p50 ms", "end-to-end p99 ms", "1000 partitions MB/s",
            "1000 partitions p99 ms", "peak RSS MB", "failed records");

    private KafkaComparisonBench() {
    }

    static String run(Path out) throws Exception {
        Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
        for (String b : BROKERS) {
            Map<String, List<Double>> m = new LinkedHashMap<>();
            METRICS.forEach(k -> m.put(k, new ArrayList<>()));
            results.put(b, m);
        }
        Path tmp = Files.createTempDirectory("strata-bench-kafka");
        for (int round = 1; round <= ROUNDS; round++) {
            for (String broker : BROKERS) {
                System.err.println("round " + round + ": " + broker);
                Path dir = tmp.resolve(broker.replace(' ', '-') + "-" + round);
                Map<String, List<Double>> r = results.get(broker);
                if (broker.equals("Strata")) {
                    String profile = round == 1 && Boolean.getBoolean("strata.bench.profile")
                            ? " -XX:StartFlightRecording=filename=" + out.toAbsolutePath().resolve("strata-produce.jfr") + ",settings=profile" : "";
                    System.setProperty("strata.it.jvmArgs", HEAP + profile);
                    try (StrataNode node = StrataNode.start(dir, "object.store=none")) {
                        measure(node.bootstrap(), r);
                        r.get("peak RSS MB").add(peakRssMb(node.pid()));
                    }
                } else {
                    try (KafkaBroker kafka = KafkaBroker.start(dir, HEAP, broker.equals("Kafka fsync"))) {
                        measure(kafka.bootstrap(), r);
                        r.get("peak RSS MB").add(peakRssMb(kafka.pid()));
                    }
                }
                deleteTree(dir);
            }
        }
        return report(results, out);
    }

    private static void measure(String bootstrap, Map<String, List<Double>> r) throws Exception {
        // Warm-up (untimed): JIT on both sides, and every partition's leader known before timing starts.
        Workloads.createTopic(bootstrap, "warmup", 6);
        Workloads.produce(bootstrap, "warmup", RECORDS / 4);
        Workloads.createTopic(bootstrap, "wide", 1000);
        Workloads.produce(bootstrap, "wide", 5000);
        Workloads.createTopic(bootstrap, "bench", 6);
        Workloads.ProduceResult p = Workloads.produce(bootstrap, "bench", RECORDS);
        r.get("produce records/s").add(p.recordsPerSec());
        r.get("produce MB/s").add(p.mbPerSec());
        r.get("produce p50 ms").add(p.p50Ms());
        r.get("produce p99 ms").add(p.p99Ms());
        r.get("produce p99.9 ms").add(p.p999Ms());
        r.get("consume MB/s").add(Workloads.consume(bootstrap, "bench", 6, RECORDS));
        Workloads.createTopic(bootstrap, "latency", 1);
        double[] e2e = Workloads.endToEnd(bootstrap, "latency");
        r.get("end-to-end p50 ms").add(e2e[0]);
        r.get("end-to-end p99 ms").add(e2e[1]);
        Workloads.ProduceResult wide = Workloads.produce(bootstrap, "wide", RECORDS / 2);
        r.get("1000 partitions MB/s").add(wide.mbPerSec());
        r.get("1000 partitions p99 ms").add(wide.p99Ms());
        r.get("failed records").add((double) (p.failed() + wide.failed()));
    }

    private static double peakRssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            // Not Linux, or the process is gone.
        }
        return Double.NaN;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }

    private static boolean lowerIsBetter(String metric) {
        return metric.contains(" ms") || metric.contains("RSS") || metric.contains("failed");
    }

    private static String report(Map<String, Map<String, List<Double>>> results, Path out) throws Exception {
        StringBuilder md = new StringBuilder("## Strata vs Apache Kafka 4.4 (single node, same machine, "
                + ROUNDS + " alternating rounds, medians)\n\n"
                + "Workload: kafka-clients, 1 KiB records, acks=all, idempotent, linger 5 ms, 128 KiB batches; "
                + RECORDS + " records on 6 partitions, unthrottled; end-to-end at 1,000 records/s; "
                + RECORDS / 2 + " records on 1,000 partitions. Heap 1 GiB each.\n"
                + "Durability differs: Kafka acknowledges acks=all before fsync (RF=1); \"Kafka fsync\" sets "
                + "flush.messages=1, which is what Strata always does before acknowledging acks=all.\n\n"
                + "| measure | Kafka | Kafka fsync | Strata | Strata / Kafka | Strata / Kafka fsync |\n|---|---|---|---|---|---|\n");
        List<String> labels = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (String metric : METRICS) {
            double k = median(results.get("Kafka").get(metric));
            double kf = median(results.get("Kafka fsync").get(metric));
            double s = median(results.get("Strata").get(metric));
            md.append(String.format("| %s%s | %.1f | %.1f | %.1f | %.2f | %.2f |%n", metric, lowerIsBetter(metric) ? " (lower is better)" : "",
                    k, kf, s, s / k, s / kf));
            labels.add(metric);
            ratios.add(lowerIsBetter(metric) ? k / s : s / k);
        }
        chart(labels, ratios, out.resolve("kafka-comparison.png"));
        md.append("\nChart: `kafka-comparison.png` (Strata's advantage per row, >1 means Strata is better).\n\nRaw runs:\n\n");
        for (var e : results.entrySet()) {
            md.append("- ").append(e.getKey()).append(": ");
            e.getValue().forEach((m, v) -> md.append(m).append(' ').append(Arrays.toString(v.stream().mapToDouble(x -> Math.round(x * 10) / 10.0).toArray())).append("; "));
            md.append('\n');
        }
        return md.toString();
    }

    private static void chart(List<String> labels, List<Double> values, Path file) throws Exception {
        int w = 900;
        int rowH = 34;
        int h = 60 + rowH * labels.size();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("Strata vs Kafka (>1: Strata better; medians)", 20, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        double max = Math.max(2.0, values.stream().mapToDouble(v -> v.isNaN() ? 0 : v).max().orElse(1));
        int x0 = 260;
        int barMax = w - x0 - 80;
        int oneX = x0 + (int) (barMax / max);
        for (int i = 0; i < labels.size(); i++) {
            int y = 50 + i * rowH;
            double v = values.get(i).isNaN() ? 0 : values.get(i);
            g.setColor(Color.BLACK);
            g.drawString(labels.get(i), 20, y + 20);
            g.setColor(v >= 1 ? new Color(46, 139, 87) : new Color(205, 92, 92));
            g.fillRect(x0, y + 6, (int) (barMax * v / max), rowH - 12);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.2f", v), x0 + (int) (barMax * v / max) + 6, y + 20);
        }
        g.setColor(Color.GRAY);
        g.drawLine(oneX, 45, oneX, h - 5);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // Temp data; best effort.
        }
    }
}
