package io.strata.ingest.cli;

import java.util.Locale;

/**
 * The replay's progress line: a bar, the percentage, records done of the total, throughput and
 * time left. The total counts offsets in the range, which compaction or transaction markers can
 * leave unused, so the percentage may stop short of 100 until the replay reports completion.
 */
final class ReplayProgress {
    private ReplayProgress() {
    }

    static String render(long records, long totalOffsets, long bytes, double seconds, int width) {
        double secs = Math.max(0.001, seconds);
        double fraction = totalOffsets <= 0 ? 1.0 : Math.min(1.0, (double) records / totalOffsets);
        int filled = (int) Math.round(fraction * width);
        StringBuilder bar = new StringBuilder("[");
        bar.append("#".repeat(filled)).append(".".repeat(width - filled)).append(']');
        double rate = records / secs;
        long left = Math.max(0, totalOffsets - records);
        String eta = left == 0 ? "0s" : rate > 0 ? duration((long) Math.ceil(left / rate)) : "?";
        return String.format(Locale.ROOT, "%s %3d%%  %,d of %,d records  %.1f MB/s  ETA %s",
                bar, (int) Math.floor(fraction * 100), records, totalOffsets, bytes / secs / 1e6, eta);
    }

    private static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return (seconds / 60) + "m" + String.format(Locale.ROOT, "%02d", seconds % 60) + "s";
        }
        return (seconds / 3600) + "h" + String.format(Locale.ROOT, "%02d", (seconds % 3600) / 60) + "m";
    }
}
