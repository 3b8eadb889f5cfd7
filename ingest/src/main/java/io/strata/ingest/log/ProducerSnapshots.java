package io.strata.ingest.log;

import io.strata.ingest.log.fs.LogFileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The producer-state snapshots of one partition directory, Kafka's {@code .snapshot} files:
 * {@code <offset, 20 digits>.snapshot} holds the idempotent-producer state as of that offset
 * (every batch before it). One is written at each segment roll, after the rolled segment is
 * fsynced (on the roll executor, from the state taken as the roll sealed it), through the file seam's atomic write (temporary file, fsync, rename, directory
 * fsync), so a snapshot on disk always describes durable batches. A log opening loads the newest
 * intact one and replays only the batches after it; the local copies of older segments can go.
 *
 * <p>Called under the owning log's lock.
 */
final class ProducerSnapshots {
    private static final Logger log = LoggerFactory.getLogger(ProducerSnapshots.class);
    static final String SUFFIX = ".snapshot";

    private final LogFileSystem fs;
    private final Path dir;
    private final String name;

    ProducerSnapshots(LogFileSystem fs, Path dir, String name) {
        this.fs = fs;
        this.dir = dir;
        this.name = name;
    }

    Path file(long offset) {
        return dir.resolve(LogSegment.fileName(offset, SUFFIX));
    }

    private List<Long> offsets() throws IOException {
        List<Long> out = new ArrayList<>();
        for (Path p : fs.list(dir)) {
            String f = p.getFileName().toString();
            if (f.endsWith(SUFFIX) && f.length() == 20 + SUFFIX.length() && f.chars().limit(20).allMatch(Character::isDigit)) {
                out.add(Long.parseLong(f.substring(0, 20)));
            }
        }
        out.sort(null);
        return out;
    }

    /** The offset of the newest snapshot file, intact or not (-1: none). */
    long newestOffset() throws IOException {
        List<Long> offsets = offsets();
        return offsets.isEmpty() ? -1 : offsets.get(offsets.size() - 1);
    }

    /**
     * Loads into {@code table} the newest intact snapshot at or below {@code maxOffset} (the
     * active segment's base: a snapshot is written only once the segment before it is durable);
     * returns its offset, or -1 when there is none and state comes from every local batch.
     */
    long loadNewest(long maxOffset, ProducerStateTable table) throws IOException {
        List<Long> offsets = offsets();
        for (int i = offsets.size() - 1; i >= 0; i--) {
            long o = offsets.get(i);
            if (o > maxOffset) {
                continue;
            }
            try {
                table.load(fs.readAll(file(o)));
                return o;
            } catch (IllegalArgumentException | IOException e) {
                log.warn("{}: ignoring producer snapshot {}: {}", name, o, e.getMessage());
            }
        }
        return -1;
    }

    /** Durably records {@code table} as the state as of {@code offset}. */
    void write(long offset, ProducerStateTable table) {
        write(offset, table.snapshot());
    }

    /** Durably records {@code state} ({@link ProducerStateTable#snapshot()}, taken at {@code offset}). */
    void write(long offset, byte[] state) {
        try {
            fs.writeAtomically(file(offset), state);
        } catch (IOException e) {
            throw new LogIOException("cannot write producer snapshot " + file(offset), e);
        }
    }

    /** Removes snapshots past {@code offset}: the log was truncated there and they describe batches it no longer has. */
    void deleteAfter(long offset) {
        try {
            for (long o : offsets()) {
                if (o > offset) {
                    fs.deleteIfExists(file(o));
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot remove producer snapshots after " + offset + " in " + dir, e);
        }
    }

    /**
     * Removes snapshots older than the newest one at or below {@code firstLocalOffset}, which
     * stays: it is the state before the first local segment.
     */
    void deleteBefore(long firstLocalOffset) {
        try {
            List<Long> offsets = offsets();
            long keep = -1;
            for (long o : offsets) {
                if (o <= firstLocalOffset) {
                    keep = o;
                }
            }
            for (long o : offsets) {
                if (o < keep) {
                    fs.deleteIfExists(file(o));
                }
            }
        } catch (IOException e) {
            log.warn("{}: cannot remove old producer snapshots: {}", name, e.getMessage());
        }
    }
}
