package io.strata.ingest.log;

import io.strata.records.BatchHeader;
import io.strata.records.BatchValidator;
import io.strata.records.Batches;
import io.strata.records.InvalidBatchException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The log of one partition on local disk: a run of {@link LogSegment}s whose last one is the
 * active segment (the write-ahead log). Appends assign offsets by rewriting batch headers and
 * write the batches verbatim; reads return whole batches.
 *
 * <p>Files in the partition directory: the segments, {@code log-start-offset} (written when
 * DeleteRecords or retention moves it) and {@code .clean-shutdown} (present only while closed
 * cleanly). Opening a log without the marker re-validates the active segment's CRCs and cuts
 * a torn tail; opening always rebuilds indexes and producer state from the batch headers.
 *
 * <p>Threading: appends, truncation and retention take the log's lock; reads take none.
 */
public final class PartitionLog {
    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);
    private static final String CLEAN_MARKER = ".clean-shutdown";
    private static final String START_OFFSET_FILE = "log-start-offset";

    private final Path dir;
    private final String name;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final ProducerStateTable producers = new ProducerStateTable();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile LogConfig config;
    private volatile long logEndOffset;
    private volatile long logStartOffset;
    private volatile long flushedOffset;
    private volatile Runnable appendListener = () -> { };
    /** Offsets below this are in object storage (the next offset after the last tiered segment). */
    private volatile long tieredOffset;

    private PartitionLog(Path dir, String name, LogConfig config) {
        this.dir = dir;
        this.name = name;
        this.config = config;
    }

    /** Opens (recovering if needed) or creates the log in {@code dir}. */
    public static PartitionLog open(Path dir, String name, LogConfig config, long nowMs) {
        return open(dir, name, config, nowMs, RemoteRange.NONE);
    }

    /**
     * Opens the log knowing what object storage already holds: a log whose local disk is empty
     * (or behind the tiered history) continues after the last tiered offset, and its log start
     * offset is the first offset still held anywhere.
     */
    public static PartitionLog open(Path dir, String name, LogConfig config, long nowMs, RemoteRange remote) {
        PartitionLog pl = new PartitionLog(dir, name, config);
        try {
            Files.createDirectories(dir);
            boolean clean = Files.deleteIfExists(dir.resolve(CLEAN_MARKER));
            pl.load(clean, nowMs, remote);
        } catch (IOException e) {
            throw new LogIOException("cannot open log " + dir, e);
        }
        return pl;
    }

    private void load(boolean clean, long nowMs, RemoteRange remote) throws IOException {
        List<Long> bases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".log"))
                    .forEach(f -> bases.add(Long.parseLong(f.substring(0, f.length() - 4))));
        }
        bases.sort(null);
        for (int i = 0; i < bases.size(); i++) {
            boolean active = i == bases.size() - 1;
            // Segments before the active one were fsynced when rolled; only the active one can be torn.
            LogSegment seg = LogSegment.open(dir, bases.get(i), config.indexIntervalBytes(), active && !clean,
                    h -> rememberProducer(h));
            if (seg.truncatedBytes() > 0) {
                log.warn("{}: recovered segment {} by truncating a torn or corrupt tail of {} bytes",
                        name, bases.get(i), seg.truncatedBytes());
            }
            segments.put(bases.get(i), seg);
        }
        long localEnd = segments.isEmpty() ? 0 : Math.max(segments.lastEntry().getValue().nextOffset(), segments.lastKey());
        if (remote.exists() && localEnd < remote.end()) {
            // The local disk was lost or is behind object storage: history lives there; continue after it.
            if (!segments.isEmpty()) {
                log.warn("{}: local log ends at {} but object storage holds up to {}; discarding the stale local copy",
                        name, localEnd, remote.end());
            }
            for (LogSegment seg : segments.values()) {
                seg.delete();
            }
            segments.clear();
            segments.put(remote.end(), LogSegment.create(dir, remote.end(), config.indexIntervalBytes(), nowMs));
            tieredOffset = remote.end();
        } else if (segments.isEmpty()) {
            segments.put(0L, LogSegment.create(dir, 0, config.indexIntervalBytes(), nowMs));
        }
        if (remote.exists()) {
            tieredOffset = Math.max(tieredOffset, remote.end());
        }
        logEndOffset = Math.max(segments.lastEntry().getValue().nextOffset(), segments.lastKey());
        flushedOffset = logEndOffset;
        long stored = readStartOffset();
        long earliest = remote.exists() ? Math.min(remote.start(), segments.firstKey()) : segments.firstKey();
        logStartOffset = Math.max(stored, earliest);
        if (!clean && !bases.isEmpty()) {
            log.info("{}: opened after an unclean shutdown, log end offset {}", name, logEndOffset);
        }
    }

    private void rememberProducer(BatchHeader h) {
        if (h.producerId() >= 0 && h.baseSequence() >= 0) {
            int lastSeq = h.baseSequence() + h.lastOffsetDelta();
            producers.record(h.producerId(), h.producerEpoch(), h.baseSequence(), lastSeq, h.baseOffset(), h.lastOffset());
        }
    }

    /**
     * Validates and appends the batches of one produce request for this partition: magic v2,
     * CRC, size against {@code max.message.bytes}, producer epoch and sequence. Either every
     * batch is appended or none is.
     */
    public AppendResult append(ByteBuffer records, long nowMs) {
        List<Batches.Batch> batches;
        try {
            batches = Batches.of(records);
        } catch (RuntimeException e) {
            return AppendResult.failed(Errors.CORRUPT_MESSAGE, "malformed record batches: " + e.getMessage(), logStartOffset);
        }
        if (batches.isEmpty()) {
            return AppendResult.failed(Errors.CORRUPT_MESSAGE, "no record batch in the request", logStartOffset);
        }
        int total = 0;
        for (Batches.Batch b : batches) {
            if (b.magic() != Batches.CURRENT_MAGIC) {
                return AppendResult.failed(Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT,
                        "record batch magic " + b.magic() + " is not supported; use magic 2", logStartOffset);
            }
            if (b.sizeInBytes() > config.maxMessageBytes()) {
                return AppendResult.failed(Errors.MESSAGE_TOO_LARGE, "record batch of " + b.sizeInBytes()
                        + " bytes exceeds max.message.bytes " + config.maxMessageBytes(), logStartOffset);
            }
            if (!b.isValid()) {
                return AppendResult.failed(Errors.CORRUPT_MESSAGE, "record batch failed its CRC check", logStartOffset);
            }
            if (b.isTransactional() && !b.isControl()) {
                return AppendResult.failed(Errors.UNSUPPORTED_VERSION,
                        "transactional produce is not supported yet", logStartOffset);
            }
            try {
                BatchValidator.validateFromClient(b, nowMs, config.timestampPolicy());
            } catch (InvalidBatchException e) {
                return AppendResult.failed(e.error(), e.getMessage(), logStartOffset);
            }
            total += b.sizeInBytes();
        }
        if (total != records.remaining()) {
            return AppendResult.failed(Errors.CORRUPT_MESSAGE, "trailing bytes after the last record batch", logStartOffset);
        }
        lock.lock();
        try {
            return appendLocked(batches, records, nowMs);
        } finally {
            lock.unlock();
        }
    }

    private AppendResult appendLocked(List<Batches.Batch> batches, ByteBuffer records, long nowMs) {
        for (Batches.Batch b : batches) {
            if (b.hasProducerId() && b.baseSequence() >= 0) {
                ProducerStateTable.Check c = producers.check(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence());
                if (c instanceof ProducerStateTable.Duplicate d) {
                    if (batches.size() == 1) {
                        return new AppendResult(Errors.NONE, null, d.firstOffset(), d.lastOffset(), -1, logStartOffset);
                    }
                    return AppendResult.failed(Errors.DUPLICATE_SEQUENCE_NUMBER, "duplicate batch inside a multi-batch append", logStartOffset);
                }
                if (c instanceof ProducerStateTable.Reject r) {
                    return AppendResult.failed(r.error(), r.message(), logStartOffset);
                }
            }
        }
        long incomingOffsets = 0;
        for (Batches.Batch b : batches) {
            incomingOffsets += b.lastOffsetDelta() + 1L;
        }
        maybeRoll(records.remaining(), incomingOffsets, nowMs);
        long base = logEndOffset;
        long next = base;
        long maxTs = -1;
        long appendTime = config.logAppendTime() ? nowMs : -1;
        for (Batches.Batch b : batches) {
            b.assignOffsets(next, 0);
            if (appendTime >= 0) {
                b.setLogAppendTime(appendTime);
            }
            maxTs = Math.max(maxTs, b.maxTimestamp());
            if (b.hasProducerId() && b.baseSequence() >= 0) {
                producers.record(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence(), next, b.lastOffset());
            }
            next = b.lastOffset() + 1;
        }
        segments.lastEntry().getValue().append(base, next - 1, maxTs, records);
        logEndOffset = next;
        appendListener.run();
        return new AppendResult(Errors.NONE, null, base, next - 1, appendTime, logStartOffset);
    }

    private void maybeRoll(int incoming, long incomingOffsets, long nowMs) {
        LogSegment active = segments.lastEntry().getValue();
        boolean full = active.size() > 0 && (long) active.size() + incoming > config.segmentBytes();
        boolean old = active.size() > 0 && nowMs - active.createdMs() >= config.segmentMs();
        // Offsets are stored relative to the segment's base as ints (index entries, as in Kafka).
        boolean offsetsExhausted = active.size() > 0 && logEndOffset + incomingOffsets - active.baseOffset() > Integer.MAX_VALUE;
        if (full || old || offsetsExhausted) {
            roll(nowMs);
        }
    }

    private void roll(long nowMs) {
        LogSegment active = segments.lastEntry().getValue();
        active.flush();
        flushedOffset = Math.max(flushedOffset, logEndOffset);
        segments.put(logEndOffset, LogSegment.create(dir, logEndOffset, config.indexIntervalBytes(), nowMs));
    }

    /**
     * Rolls a non-empty active segment older than segment.ms even without a new append, so an
     * idle partition's tail still reaches object storage. Returns whether it rolled.
     */
    public boolean rollIfIdle(long nowMs) {
        lock.lock();
        try {
            LogSegment active = segments.lastEntry().getValue();
            if (active.size() > 0 && nowMs - active.createdMs() >= config.segmentMs()) {
                roll(nowMs);
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Makes everything appended so far durable; returns the offset up to which the log is now on disk. */
    public long flush() {
        long end = logEndOffset;
        if (flushedOffset >= end) {
            return flushedOffset;
        }
        // Rolling fsyncs the segment it closes, so only the active segment can hold unsynced bytes.
        segments.lastEntry().getValue().flush();
        flushedOffset = Math.max(flushedOffset, end);
        return end;
    }

    /**
     * Reads whole batches from {@code offset}, never past the high watermark.
     *
     * @throws OffsetOutOfRangeException when {@code offset} is below the log start or past the end
     */
    public FetchResult read(long offset, int maxBytes) {
        long hw = highWatermark();
        long start = logStartOffset;
        if (offset < start || offset > hw) {
            throw new OffsetOutOfRangeException(name + ": offset " + offset + " is outside [" + start + ", " + hw + "]");
        }
        if (offset < localStartOffset()) {
            throw new NotLocalException(name + ": offset " + offset + " is only in object storage");
        }
        ByteBuffer out = ByteBuffer.allocate(0);
        if (offset < hw) {
            Map.Entry<Long, LogSegment> e = segments.floorEntry(offset);
            while (e != null) {
                out = e.getValue().read(offset, maxBytes, hw);
                if (out.hasRemaining()) {
                    break;
                }
                // The offset lies past this segment's last batch (a rolled segment): try the next.
                e = segments.higherEntry(e.getKey());
            }
        }
        return new FetchResult(out, hw, start);
    }

    /** The first record with a timestamp at or after {@code timestamp}, as ListOffsets wants it. */
    public Optional<Batches.TimestampMatch> offsetForTimestamp(long timestamp) {
        long hw = highWatermark();
        long from = localStartOffset();
        for (LogSegment seg : segments.values()) {
            if (seg.nextOffset() <= from) {
                continue;
            }
            Optional<Batches.TimestampMatch> m = seg.findByTimestamp(timestamp, hw);
            if (m.isPresent()) {
                Batches.TimestampMatch match = m.get();
                if (match.offset() < from) {
                    return Optional.of(new Batches.TimestampMatch(from, match.timestamp()));
                }
                return m;
            }
        }
        return Optional.empty();
    }

    /** DeleteRecords: moves the log start offset to {@code offset} (at most the high watermark). */
    public long deleteRecordsBefore(long offset) {
        lock.lock();
        try {
            long hw = highWatermark();
            long target = offset == -1 ? hw : offset;
            if (target < 0 || target > hw) {
                throw new OffsetOutOfRangeException(name + ": cannot delete before " + offset + ", high watermark is " + hw);
            }
            if (target > logStartOffset) {
                logStartOffset = target;
                writeStartOffset(target);
                deleteSegmentsBelowStart();
            }
            return logStartOffset;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies retention.ms and retention.bytes to closed local segments; returns how many were
     * deleted. With remote storage on, retention is applied across tiers by the tiering service
     * instead, and local segments go only once tiered ({@link #deleteTieredLocalSegments}).
     */
    public int applyRetention(long nowMs) {
        if (config.remoteStorage()) {
            return 0;
        }
        lock.lock();
        try {
            int deleted = 0;
            LogConfig c = config;
            long totalBytes = 0;
            for (LogSegment s : segments.values()) {
                totalBytes += s.size();
            }
            while (segments.size() > 1) {
                LogSegment oldest = segments.firstEntry().getValue();
                boolean expired = c.retentionMs() >= 0 && oldest.maxTimestamp() >= 0
                        && nowMs - oldest.maxTimestamp() > c.retentionMs();
                boolean oversized = c.retentionBytes() >= 0 && totalBytes - oldest.size() >= c.retentionBytes();
                if (!expired && !oversized) {
                    break;
                }
                segments.pollFirstEntry();
                totalBytes -= oldest.size();
                oldest.delete();
                deleted++;
                long newStart = segments.firstKey();
                if (newStart > logStartOffset) {
                    logStartOffset = newStart;
                    writeStartOffset(newStart);
                }
            }
            if (deleted > 0) {
                log.info("{}: retention deleted {} segment(s), log start offset now {}", name, deleted, logStartOffset);
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /** Local segments that will receive no more appends, oldest first. */
    public List<SealedSegment> sealedSegments() {
        List<SealedSegment> out = new ArrayList<>();
        Map.Entry<Long, LogSegment> active = segments.lastEntry();
        for (LogSegment s : segments.values()) {
            if (active != null && s == active.getValue()) {
                break;
            }
            out.add(new SealedSegment(s.baseOffset(), s.nextOffset(), dir.resolve(LogSegment.fileName(s.baseOffset(), ".log")),
                    s.size(), s.maxTimestamp()));
        }
        return out;
    }

    /** Records that every offset below {@code nextOffset} is durably in object storage. */
    public void markTiered(long nextOffset) {
        tieredOffset = Math.max(tieredOffset, nextOffset);
    }

    public long tieredOffset() {
        return tieredOffset;
    }

    /** Bytes and segments appended locally that object storage does not hold yet (tiering lag). */
    public long untieredBytes() {
        long total = 0;
        for (LogSegment s : segments.values()) {
            if (s.nextOffset() > tieredOffset) {
                total += s.size();
            }
        }
        return total;
    }

    public int untieredSegments() {
        int n = 0;
        for (LogSegment s : segments.values()) {
            if (s.nextOffset() > tieredOffset && s.size() > 0) {
                n++;
            }
        }
        return n;
    }

    /** The first offset held on local disk. */
    public long localStartOffset() {
        Map.Entry<Long, LogSegment> first = segments.firstEntry();
        return first == null ? logEndOffset : Math.max(first.getKey(), logStartOffset);
    }

    /**
     * Deletes closed local segments that are already tiered and past local retention
     * (local.retention.ms by age, local.retention.bytes by the local size). Returns how many.
     */
    public int deleteTieredLocalSegments(long nowMs) {
        lock.lock();
        try {
            LogConfig c = config;
            long retentionMs = c.localRetentionMs() == -2 ? c.retentionMs() : c.localRetentionMs();
            long retentionBytes = c.localRetentionBytes() == -2 ? c.retentionBytes() : c.localRetentionBytes();
            long localBytes = sizeInBytes();
            int deleted = 0;
            while (segments.size() > 1) {
                LogSegment oldest = segments.firstEntry().getValue();
                if (oldest.nextOffset() > tieredOffset) {
                    break;
                }
                boolean expired = retentionMs >= 0 && oldest.maxTimestamp() >= 0 && nowMs - oldest.maxTimestamp() > retentionMs;
                boolean oversized = retentionBytes >= 0 && localBytes > retentionBytes;
                if (!expired && !oversized) {
                    break;
                }
                segments.pollFirstEntry();
                localBytes -= oldest.size();
                oldest.delete();
                deleted++;
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /** Moves the log start offset forward (retention across tiers); local segments below it go. */
    public void advanceLogStart(long offset) {
        lock.lock();
        try {
            if (offset > logStartOffset) {
                logStartOffset = Math.min(offset, logEndOffset);
                writeStartOffset(logStartOffset);
                deleteSegmentsBelowStart();
            }
        } finally {
            lock.unlock();
        }
    }

    private void deleteSegmentsBelowStart() {
        while (segments.size() > 1) {
            Map.Entry<Long, LogSegment> second = segments.higherEntry(segments.firstKey());
            if (second.getKey() > logStartOffset) {
                break;
            }
            segments.pollFirstEntry().getValue().delete();
        }
    }

    private long readStartOffset() throws IOException {
        Path f = dir.resolve(START_OFFSET_FILE);
        if (!Files.exists(f)) {
            return 0;
        }
        return Long.parseLong(Files.readString(f, StandardCharsets.UTF_8).trim());
    }

    private void writeStartOffset(long offset) {
        Path tmp = dir.resolve(START_OFFSET_FILE + ".tmp");
        try {
            Files.writeString(tmp, Long.toString(offset), StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(START_OFFSET_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new LogIOException("cannot record log start offset in " + dir, e);
        }
    }

    /** Flushes and closes every segment and leaves the clean-shutdown marker. */
    public void close() {
        lock.lock();
        try {
            flush();
            for (LogSegment s : segments.values()) {
                s.close();
            }
            Files.writeString(dir.resolve(CLEAN_MARKER), "", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LogIOException("cannot mark " + dir + " clean", e);
        } finally {
            lock.unlock();
        }
    }

    /** Closes and removes every file of this log (topic deletion). */
    public void delete() {
        lock.lock();
        try {
            for (LogSegment s : segments.values()) {
                s.delete();
            }
            segments.clear();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new LogIOException("cannot delete log " + dir, e);
        } finally {
            lock.unlock();
        }
    }

    public void setAppendListener(Runnable listener) {
        this.appendListener = listener;
    }

    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    public LogConfig config() {
        return config;
    }

    /** With no other replica, every appended record is in the ISR, so the high watermark is the log end. */
    public long highWatermark() {
        return logEndOffset;
    }

    public long logEndOffset() {
        return logEndOffset;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long flushedOffset() {
        return flushedOffset;
    }

    public long sizeInBytes() {
        long total = 0;
        for (LogSegment s : segments.values()) {
            total += s.size();
        }
        return total;
    }

    public int segmentCount() {
        return segments.size();
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }
}
