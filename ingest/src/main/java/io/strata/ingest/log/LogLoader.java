package io.strata.ingest.log;

import io.strata.tiering.service.RemoteRange;

import io.strata.ingest.log.fs.LogFileSystem;
import io.strata.records.BatchHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Opens a partition's directory before its log serves anything (Kafka's {@code LogLoader}): the
 * recovery procedure, in this order.
 * <ol>
 *   <li>Finish or drop a cleaner swap a crash interrupted; delete segments left renamed for deletion.</li>
 *   <li>Load the newest producer snapshot that is not past the last segment.</li>
 *   <li>Open every segment, rebuilding its index, the producer state after the snapshot and the
 *       leader-epoch cache from batch headers. After an unclean shutdown, a segment that may hold
 *       unsynced bytes (the active one, and any rolled after the newest snapshot) has its CRCs
 *       checked and a torn or corrupt tail cut; a rolled one left short of the next segment's base
 *       takes the later segments with it (nothing in them was acknowledged).</li>
 *   <li>Reconcile with object storage: a local copy behind the tiered history is discarded and
 *       the log continues after it, with the producer snapshot kept beside the last tiered segment.</li>
 *   <li>After an unclean shutdown, fsync what was checked and the directory, then write the
 *       snapshots of the rolls the shutdown interrupted.</li>
 *   <li>Apply the durable log start offset; one past the recovered end leaves an empty log there.</li>
 * </ol>
 * Every step leaves the directory as a later run expects it, so a crash during recovery is
 * recovered by the next open. Not thread-safe: it runs once, on the opening thread, before the
 * log is shared.
 */
final class LogLoader {
    private static final Logger log = LoggerFactory.getLogger(LogLoader.class);
    /** Present only while the log is closed cleanly. */
    static final String CLEAN_MARKER = ".clean-shutdown";
    /** The durable log start offset (written when DeleteRecords or retention moves it). */
    static final String START_OFFSET_FILE = "log-start-offset";
    /** A segment rewritten by the cleaner, durable but not yet swapped in. */
    static final String CLEANED_SUFFIX = ".log.cleaned";

    /** Where the loaded log stands. */
    record Loaded(long logEndOffset, long logStartOffset, long tieredOffset) {
    }

    private final LogFileSystem fs;
    private final Path dir;
    private final String name;
    private final LogConfig config;
    private final ProducerSnapshots snapshots;
    private final LogSegments segments;
    private final ProducerStateTable producers;
    private final LeaderEpochCache epochs;
    /** The offset of the producer snapshot loaded (-1: none); earlier batches are in it. */
    private long snapshotOffset = -1;

    /** Fills {@code segments}, {@code producers} and {@code epochs}, which must be empty. */
    LogLoader(LogFileSystem fs, Path dir, String name, LogConfig config, ProducerSnapshots snapshots,
              LogSegments segments, ProducerStateTable producers, LeaderEpochCache epochs) {
        this.fs = fs;
        this.dir = dir;
        this.name = name;
        this.config = config;
        this.snapshots = snapshots;
        this.segments = segments;
        this.producers = producers;
        this.epochs = epochs;
    }

    /** Creates the directory if need be and recovers what it holds. */
    Loaded load(long nowMs, RemoteRange remote) throws IOException {
        fs.createDirectories(dir);
        Path marker = dir.resolve(CLEAN_MARKER);
        boolean clean = fs.exists(marker);
        if (clean) {
            // The marker must be gone for good before anything new is appended: if it came back
            // after a power cut, recovery would skip the CRC check of an unsynced tail.
            fs.deleteIfExists(marker);
            fs.fsyncDirectory(dir);
        }
        return load(clean, nowMs, remote);
    }

    private Loaded load(boolean clean, long nowMs, RemoteRange remote) throws IOException {
        finishCleanerSwaps();
        List<Long> bases = segmentBases();
        snapshotOffset = bases.isEmpty() ? -1 : snapshots.loadNewest(bases.get(bases.size() - 1), producers);
        List<LogSegment> checked = new ArrayList<>();
        // The producer state at the end of each checked segment but the last: written as its snapshot once the segment is
        // fsynced below, as the roll that never finished would have (see the end of this method).
        Map<Long, byte[]> stateAtEnd = new TreeMap<>();
        openSegments(bases, clean, checked, stateAtEnd);
        long tieredOffset = 0;
        long localEnd = segments.isEmpty() ? 0 : segments.endOffset();
        if (remote.exists() && localEnd < remote.end()) {
            // The local disk was lost or is behind object storage: history lives there; continue after it.
            if (!segments.isEmpty()) {
                log.warn("{}: local log ends at {} but object storage holds up to {}; discarding the stale local copy",
                        name, localEnd, remote.end());
            }
            startEmptyAt(remote.end(), nowMs);
            // Producer state as of the end of the tiered history, from the snapshot kept with it.
            loadRemoteSnapshot(remote);
            snapshots.write(remote.end(), producers);
        } else if (segments.isEmpty()) {
            segments.add(LogSegment.create(fs, dir, 0, config.indexIntervalBytes(), nowMs));
        }
        if (remote.exists()) {
            tieredOffset = remote.end();
        }
        long logEndOffset = segments.endOffset();
        if (!clean) {
            makeCheckedDurable(checked, stateAtEnd);
        }
        long earliest = remote.exists() ? Math.min(remote.start(), segments.oldest().baseOffset()) : segments.oldest().baseOffset();
        long logStartOffset = Math.max(readStartOffset(), earliest);
        if (logStartOffset > logEndOffset) {
            // The start offset was made durable (DeleteRecords, retention) but the records it
            // passed were not (a power cut took an unsynced tail): everything below the start is
            // deleted anyway, so the log continues empty from there (as Kafka's LogLoader does).
            log.warn("{}: log start offset {} is past the recovered log end {}; continuing empty from {}",
                    name, logStartOffset, logEndOffset, logStartOffset);
            startEmptyAt(logStartOffset, nowMs);
            logEndOffset = logStartOffset;
        }
        if (!clean && !bases.isEmpty()) {
            log.info("{}: opened after an unclean shutdown, log end offset {}", name, logEndOffset);
        }
        return new Loaded(logEndOffset, logStartOffset, tieredOffset);
    }

    /** The base offsets of the segment files, in order; removes the files a deletion left renamed. */
    private List<Long> segmentBases() throws IOException {
        List<Long> bases = new ArrayList<>();
        for (Path p : fs.list(dir)) {
            String f = p.getFileName().toString();
            if (f.endsWith(".log") && f.length() == 24 && f.chars().limit(20).allMatch(Character::isDigit)) {
                bases.add(Long.parseLong(f.substring(0, 20)));
            } else if (f.endsWith(LogSegment.DELETED_SUFFIX)) {
                // Deleted before the restart; nothing can be reading it now.
                fs.deleteIfExists(p);
            }
        }
        bases.sort(null);
        return bases;
    }

    /**
     * Opens each segment, checking after an unclean shutdown those that may hold unsynced bytes
     * ({@code checked}, with the producer state at the end of each but the active one in
     * {@code stateAtEnd}), and stops at a rolled segment that lost its tail, deleting those after it.
     */
    private void openSegments(List<Long> bases, boolean clean, List<LogSegment> checked, Map<Long, byte[]> stateAtEnd)
            throws IOException {
        // Every segment ending at or before the newest snapshot written (intact or not) was durable then, and only such a
        // segment may have been compacted, which can leave it ending short of the next one's base.
        long newestWritten = snapshots.newestOffset();
        for (int i = 0; i < bases.size(); i++) {
            boolean active = i == bases.size() - 1;
            long nextBase = active ? Long.MAX_VALUE : bases.get(i + 1);
            // A snapshot is written only once every segment ending at or before it is fsynced. A later one may have been
            // rolled with its fsync still to run, and is checked like the active segment after an unclean shutdown.
            boolean check = !clean && (active || nextBase > snapshotOffset);
            LogSegment seg = LogSegment.open(fs, dir, bases.get(i), config.indexIntervalBytes(), check,
                    h -> {
                        rememberProducer(h);
                        epochs.assign(h.partitionLeaderEpoch(), h.baseOffset());
                    });
            if (seg.truncatedBytes() > 0) {
                log.warn("{}: recovered segment {} by truncating a torn or corrupt tail of {} bytes",
                        name, bases.get(i), seg.truncatedBytes());
            }
            segments.add(seg);
            if (check) {
                checked.add(seg);
                if (!active) {
                    stateAtEnd.put(nextBase, producers.snapshot());
                }
            }
            if (check && !active && nextBase > newestWritten && seg.nextOffset() < nextBase) {
                // A rolled segment lost its tail before its fsync ran (nothing in it or after it was acknowledged: an
                // acknowledgement fsyncs every earlier segment first). What follows would leave a gap in the offsets: it goes.
                List<Long> dropped = bases.subList(i + 1, bases.size());
                log.warn("{}: segment {} ends at {} after an unclean shutdown, short of the next segment {}; "
                        + "discarding the {} unacknowledged segment(s) after it", name, bases.get(i), seg.nextOffset(), nextBase,
                        dropped.size());
                for (long b : dropped) {
                    fs.deleteIfExists(dir.resolve(LogSegment.fileName(b, ".log")));
                }
                snapshots.deleteAfter(Math.max(seg.nextOffset(), seg.baseOffset()));
                fs.fsyncDirectory(dir);
                return;
            }
        }
    }

    /**
     * After a process crash the tail may sit only in the page cache: it is fsynced before it is
     * called durable, or a later power cut could take records acknowledged after this. The checked
     * segments are all that can hold unsynced bytes (the active one among them); a segment created
     * since (a stale or missing local copy) is empty.
     */
    private void makeCheckedDurable(List<LogSegment> checked, Map<Long, byte[]> stateAtEnd) throws IOException {
        for (LogSegment seg : checked) {
            if (segments.contains(seg)) {
                seg.flush();
            }
        }
        // A roll creates the next segment without fsyncing the directory (its roll does, later): the entries are made
        // durable here, or the segments just fsynced could still vanish at a power cut.
        fs.fsyncDirectory(dir);
        // Finish the rolls the shutdown interrupted: each rolled segment gets its snapshot, so that the next recovery
        // trusts it (the cleaner may rewrite it, shorter than the next segment's base, and only a segment past the newest
        // snapshot is held to end at that base) and tiering uploads its producer state with it.
        for (Map.Entry<Long, byte[]> e : stateAtEnd.entrySet()) {
            if (segments.containsBase(e.getKey())) {
                snapshots.write(e.getKey(), e.getValue());
            }
        }
    }

    /** Deletes every segment and starts the log empty at {@code offset}. */
    private void startEmptyAt(long offset, long nowMs) throws IOException {
        for (LogSegment seg : segments.all()) {
            seg.delete();
        }
        fs.fsyncDirectory(dir);
        segments.clear();
        epochs.clear();
        segments.add(LogSegment.create(fs, dir, offset, config.indexIntervalBytes(), nowMs));
    }

    private void rememberProducer(BatchHeader h) {
        // Batches before the loaded snapshot are already in it.
        if (h.baseOffset() >= snapshotOffset) {
            producers.replay(h);
        }
    }

    private void loadRemoteSnapshot(RemoteRange remote) {
        try {
            Optional<byte[]> bytes = remote.producerSnapshot().get();
            if (bytes.isPresent()) {
                producers.load(bytes.get());
                return;
            }
            log.warn("{}: no producer snapshot in object storage; idempotent producers start afresh at {}", name, remote.end());
        } catch (RuntimeException e) {
            log.warn("{}: cannot load the producer snapshot from object storage: {}", name, e.getMessage());
        }
        // What the discarded local copy said about producers is stale.
        producers.clear();
    }

    /**
     * A cleaned segment left by a crash: before its swap began (the original is still there) it is
     * dropped; mid-swap (the original already renamed away) it is the segment, durable as written.
     */
    private void finishCleanerSwaps() throws IOException {
        boolean changed = false;
        for (Path p : fs.list(dir)) {
            String f = p.getFileName().toString();
            if (!f.endsWith(CLEANED_SUFFIX) || f.length() != 20 + CLEANED_SUFFIX.length()) {
                continue;
            }
            Path original = dir.resolve(f.substring(0, 20) + ".log");
            if (fs.exists(original)) {
                fs.deleteIfExists(p);
            } else {
                log.info("{}: finishing the log cleaner's swap of segment {} interrupted by a crash", name, f.substring(0, 20));
                fs.move(p, original);
            }
            changed = true;
        }
        if (changed) {
            fs.fsyncDirectory(dir);
        }
    }

    private long readStartOffset() throws IOException {
        Path f = dir.resolve(START_OFFSET_FILE);
        if (!fs.exists(f)) {
            return 0;
        }
        return Long.parseLong(new String(fs.readAll(f), StandardCharsets.UTF_8).trim());
    }
}
