package io.strata.ingest.log;

import io.strata.records.BatchHeader;
import io.strata.records.BatchIndex;
import io.strata.records.BatchScan;
import io.strata.records.Batches;

import io.strata.ingest.log.fs.LogFile;
import io.strata.ingest.log.fs.LogFileSystem;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * One segment of a partition log: {@code <base offset, 20 digits>.log} holds record batches
 * exactly as Kafka writes them, with their assigned offsets. Its two sparse indexes are a
 * {@link BatchIndex} (the class a segment object's indexes are read into) in direct (off-heap)
 * memory, each with at most one entry per {@code index.interval.bytes} of batches (Kafka's
 * spacing, so their size is a fixed fraction of the segment's): offsets (relative offset → file
 * position) and time (max timestamp so far → relative offset). They are rebuilt at open by a scan of the
 * 61-byte batch headers, the same scan that rebuilds producer state, so there is no index file
 * that could disagree with the data after a crash.
 *
 * <p>Threading: {@link #append} and {@link #truncateTo} are called under the owning log's lock;
 * reads may run on any thread concurrently with an append, and never see past {@link #size()}.
 */
public final class LogSegment {
    private final LogFileSystem fs;
    private final Path dir;
    private final long baseOffset;
    private final LogFile channel;
    private final long createdMs;
    private volatile int size;
    private volatile long lastOffset;
    private volatile long maxTimestamp = -1;
    // guarded by this
    private final BatchIndex index;

    private LogSegment(LogFileSystem fs, Path dir, long baseOffset, LogFile channel, int indexIntervalBytes, long createdMs) {
        this.fs = fs;
        this.dir = dir;
        this.baseOffset = baseOffset;
        this.channel = channel;
        this.createdMs = createdMs;
        this.lastOffset = baseOffset - 1;
        this.index = new BatchIndex(baseOffset, indexIntervalBytes, indexIntervalBytes);
    }

    public static String fileName(long baseOffset, String suffix) {
        return String.format("%020d%s", baseOffset, suffix);
    }

    /**
     * Creates a new, empty segment file (never over an existing one) and makes its existence
     * durable, so that a later fsync of its bytes is enough for recovery to find them.
     */
    public static LogSegment create(LogFileSystem fs, Path dir, long baseOffset, int indexIntervalBytes, long nowMs) {
        LogSegment seg = createUnsynced(fs, dir, baseOffset, indexIntervalBytes, nowMs);
        try {
            fs.fsyncDirectory(dir);
            return seg;
        } catch (IOException e) {
            throw new LogIOException("cannot create segment " + dir.resolve(fileName(baseOffset, ".log")), e);
        }
    }

    /** As {@link #create} but without fsyncing the directory: the caller does, before anything in the segment counts as durable. */
    public static LogSegment createUnsynced(LogFileSystem fs, Path dir, long baseOffset, int indexIntervalBytes, long nowMs) {
        Path file = dir.resolve(fileName(baseOffset, ".log"));
        try {
            LogFile ch = fs.create(file);
            return new LogSegment(fs, dir, baseOffset, ch, indexIntervalBytes, nowMs);
        } catch (IOException e) {
            throw new LogIOException("cannot create segment " + file, e);
        }
    }

    /**
     * Opens an existing segment. With {@code validate}, every batch's CRC is checked and the
     * file is truncated at the first batch that is torn or corrupt (the recovery of an unclean
     * shutdown); the number of bytes cut is returned through {@link #truncatedBytes}.
     * Each intact batch's header is passed to {@code onBatch} (producer-state rebuild), a
     * transaction marker's with the marker.
     */
    public static LogSegment open(LogFileSystem fs, Path dir, long baseOffset, int indexIntervalBytes, boolean validate,
                                  Consumer<BatchHeader> onBatch) {
        Path file = dir.resolve(fileName(baseOffset, ".log"));
        try {
            LogFile ch = fs.open(file);
            long created = fs.lastModifiedMs(file);
            LogSegment seg = new LogSegment(fs, dir, baseOffset, ch, indexIntervalBytes, created);
            seg.scan(validate, onBatch);
            return seg;
        } catch (IOException e) {
            throw new LogIOException("cannot open segment " + file, e);
        }
    }

    private long truncated;

    public long truncatedBytes() {
        return truncated;
    }

    private void scan(boolean validate, Consumer<BatchHeader> onBatch) throws IOException {
        long fileSize = channel.size();
        long pos = 0;
        ByteBuffer head = ByteBuffer.allocate(BatchHeader.SIZE);
        while (pos < fileSize) {
            if (fileSize - pos < BatchHeader.SIZE) {
                break;
            }
            head.clear();
            readFully(head, pos);
            head.flip();
            BatchHeader h = BatchHeader.parse(head);
            long total = h.totalSize();
            if (h.magic() != Batches.CURRENT_MAGIC || h.batchLength() < BatchHeader.SIZE - BatchHeader.LOG_OVERHEAD
                    || pos + total > fileSize || (h.lastOffset() <= lastOffset && lastOffset >= baseOffset)
                    || h.baseOffset() < baseOffset) {
                break;
            }
            if (validate && !intact(pos, (int) total)) {
                break;
            }
            indexBatch(h.baseOffset(), h.lastOffset(), h.maxTimestamp(), (int) pos, (int) total);
            onBatch.accept(withMarker(h, pos));
            pos += total;
        }
        if (pos < fileSize) {
            truncated = fileSize - pos;
            channel.truncate(pos);
            channel.force();
        }
        size = (int) pos;
        synchronized (forceLock) {
            syncedSize = size;
        }
    }

    /** Whether the batch at {@code pos} decodes and passes its CRC (a torn write does not). */
    private boolean intact(long pos, int total) {
        ByteBuffer whole = ByteBuffer.allocate(total);
        readFully(whole, pos);
        whole.flip();
        try {
            List<Batches.Batch> batches = Batches.of(whole);
            return batches.size() == 1 && batches.get(0).isValid();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Appends whole batches whose offsets were already assigned. */
    public void append(long firstOffset, long lastOffset, long batchMaxTimestamp, ByteBuffer records) {
        int position = size;
        ByteBuffer src = records.duplicate();
        int length = src.remaining();
        try {
            channel.writeFully(src, position);
        } catch (IOException e) {
            throw new LogIOException("cannot append to " + dir.resolve(fileName(baseOffset, ".log")), e);
        }
        indexBatch(firstOffset, lastOffset, batchMaxTimestamp, position, length);
        size = position + length;
    }

    private synchronized void indexBatch(long first, long last, long ts, int position, int length) {
        index.add(first, ts, position, length);
        if (ts > maxTimestamp) {
            maxTimestamp = ts;
        }
        lastOffset = last;
    }

    /**
     * Whole batches starting with the one that contains {@code offset}, stopping before
     * {@code maxOffsetExclusive}, filling at most {@code maxBytes} unless the first batch alone is
     * larger (then it is returned whole, as Kafka does so a consumer is never stuck).
     */
    public ByteBuffer read(long offset, int maxBytes, long maxOffsetExclusive) {
        try {
            return slice(offset, maxBytes, maxOffsetExclusive).read();
        } catch (IOException e) {
            throw new LogIOException("cannot read " + dir.resolve(fileName(baseOffset, ".log")), e);
        }
    }

    /**
     * Where in this segment's file the batches {@link #read} would return lie, found from their
     * headers alone: a fetch sends them from the file without copying them through the heap.
     */
    public SegmentRecords slice(long offset, int maxBytes, long maxOffsetExclusive) {
        int end = size;
        int pos = positionOf(offset, end);
        if (pos < 0) {
            return SegmentRecords.EMPTY;
        }
        HeaderWindow headers = new HeaderWindow(end);
        int cut = pos;
        long last = -1;
        while (cut + BatchHeader.SIZE <= end) {
            BatchHeader h = headers.at(cut);
            if (h.baseOffset() >= maxOffsetExclusive || h.totalSize() < BatchHeader.SIZE || cut + h.totalSize() > end) {
                break;
            }
            if (cut > pos && cut - pos + h.totalSize() > maxBytes) {
                break;
            }
            cut += h.totalSize();
            last = h.lastOffset();
        }
        return cut == pos ? SegmentRecords.EMPTY : new SegmentRecords(channel, pos, cut - pos, last);
    }

    /**
     * Reads batch headers in a forward walk: one small read per header while batches are large,
     * one read of many headers at once while they are small (a fetch of a megabyte of
     * one-record batches would otherwise make thousands of reads).
     */
    private final class HeaderWindow {
        private static final int SMALL_BATCH = 4096;
        private static final int WINDOW = 64 * 1024;
        private final int end;
        private ByteBuffer window = ByteBuffer.allocate(BatchHeader.SIZE);
        private long windowStart = -1;
        private int lastBatchSize = Integer.MAX_VALUE;

        HeaderWindow(int end) {
            this.end = end;
        }

        BatchHeader at(long pos) {
            if (windowStart < 0 || pos < windowStart || pos + BatchHeader.SIZE > windowStart + window.limit()) {
                int want = (int) Math.min(end - pos, lastBatchSize < SMALL_BATCH ? WINDOW : BatchHeader.SIZE);
                if (window.capacity() < want) {
                    window = ByteBuffer.allocate(want);
                }
                window.clear().limit(want);
                readFully(window, pos);
                window.flip();
                windowStart = pos;
            }
            ByteBuffer head = window.duplicate();
            head.position((int) (pos - windowStart));
            BatchHeader h = BatchHeader.parse(head);
            lastBatchSize = h.totalSize();
            return h;
        }
    }

    /** The position of the batch containing {@code offset}, or -1 when this segment has none. */
    private int positionOf(long offset, int end) {
        long from;
        synchronized (this) {
            from = index.positionFloor(offset);
        }
        ByteBuffer head = ByteBuffer.allocate(BatchHeader.SIZE);
        return (int) BatchScan.positionOf(pos -> headerAt(pos, head), from, end, offset);
    }

    /** The first record at or after {@code timestamp} in this segment, if any. */
    public java.util.Optional<Batches.TimestampMatch> findByTimestamp(long timestamp, long maxOffsetExclusive) {
        if (maxTimestamp < timestamp) {
            return java.util.Optional.empty();
        }
        long from;
        synchronized (this) {
            from = index.scanStartForTimestamp(timestamp);
        }
        return BatchScan.firstAtOrAfter(offset -> read(offset, 64 * 1024, maxOffsetExclusive), from < 0 ? baseOffset : from,
                maxOffsetExclusive, timestamp);
    }

    /** Passes the header of every batch in the segment, in order, to {@code onBatch}. */
    public void forEachBatch(Consumer<BatchHeader> onBatch) {
        int end = size;
        long pos = 0;
        ByteBuffer head = ByteBuffer.allocate(BatchHeader.SIZE);
        while (pos + BatchHeader.SIZE <= end) {
            BatchHeader h = headerAt(pos, head);
            onBatch.accept(withMarker(h, pos));
            pos += h.totalSize();
        }
    }

    /**
     * {@code h} with the transaction marker of its control batch (a small batch, read whole), so a
     * scan rebuilding transaction state knows which transactions committed and which aborted.
     */
    private BatchHeader withMarker(BatchHeader h, long pos) {
        if (!h.isControl() || h.totalSize() > 4096) {
            return h;
        }
        ByteBuffer whole = ByteBuffer.allocate(h.totalSize());
        readFully(whole, pos);
        whole.flip();
        try {
            return Batches.txnMarker(whole).map(h::withMarker).orElse(h);
        } catch (RuntimeException e) {
            return h;
        }
    }

    /** The batch header at {@code pos}, read into {@code head} (reused between calls). */
    private BatchHeader headerAt(long pos, ByteBuffer head) {
        head.clear();
        readFully(head, pos);
        head.flip();
        return BatchHeader.parse(head);
    }

    /** Cuts the segment so that {@code offset} and everything after it are gone. */
    public void truncateTo(long offset) {
        int pos = positionOf(offset, size);
        if (pos < 0) {
            return;
        }
        try {
            channel.truncate(pos);
            channel.force();
        } catch (IOException e) {
            throw new LogIOException("cannot truncate " + dir.resolve(fileName(baseOffset, ".log")), e);
        }
        synchronized (this) {
            index.clear();
            maxTimestamp = -1;
            lastOffset = baseOffset - 1;
        }
        size = 0;
        try {
            scan(false, h -> { });
        } catch (IOException e) {
            throw new LogIOException("cannot rescan " + dir, e);
        }
    }

    private final Object forceLock = new Object();
    /** Bytes known to be on disk (guarded by forceLock). */
    private long syncedSize;
    /** Set by a failed fsync and never cleared: later fsyncs of this file prove nothing (guarded by forceLock). */
    private IOException fsyncFailure;

    /**
     * Makes every byte appended so far durable. Fsyncs of one segment are serialized, and once
     * one has failed every later call fails too: Linux reports a lost write to one fsync only,
     * and the pages are then clean, so a second fsync would "succeed" without them. A failure
     * also cuts the file back to what was last synced, so that a restart without a reboot does
     * not read the lost bytes from the page cache and call them durable.
     *
     * @return the bytes this call made durable (0 when an earlier fsync already covered them all)
     * @throws LogIOException when this or an earlier fsync of the segment failed
     */
    public long flush() {
        synchronized (forceLock) {
            if (fsyncFailure != null) {
                throw new LogIOException("an earlier fsync of " + dir.resolve(fileName(baseOffset, ".log")) + " failed", fsyncFailure);
            }
            long upTo = size;
            try {
                channel.force();
                long synced = Math.max(0, upTo - syncedSize);
                syncedSize = Math.max(syncedSize, upTo);
                return synced;
            } catch (IOException e) {
                fsyncFailure = e;
                try {
                    channel.truncate(syncedSize);
                } catch (IOException ignored) {
                    // The next open's CRC check is the remaining guard.
                }
                throw new LogIOException("cannot fsync " + dir.resolve(fileName(baseOffset, ".log")), e);
            }
        }
    }

    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new LogIOException("cannot close segment " + fileName(baseOffset, ".log"), e);
        }
    }

    /** Suffix of a segment file that is deleted but may still be read by a fetch in flight. */
    public static final String DELETED_SUFFIX = ".deleted";
    /** Kafka's file.delete.delay.ms default: how long a deleted segment stays readable. */
    static final long FILE_DELETE_DELAY_MS = 60_000;
    private static final java.util.concurrent.ScheduledExecutorService DELETER =
            io.strata.ingest.util.NamedThreads.scheduled("segment-deleter");

    /**
     * Deletes the segment as Kafka does: renamed to {@code *.log.deleted} at once (so recovery
     * and tiering no longer see it; the caller fsyncs the directory), closed and removed after
     * {@code file.delete.delay.ms}, so a read that already holds this segment completes.
     */
    public void delete() {
        Path live = dir.resolve(fileName(baseOffset, ".log"));
        Path deleted = dir.resolve(fileName(baseOffset, ".log" + DELETED_SUFFIX));
        try {
            fs.move(live, deleted);
        } catch (IOException e) {
            throw new LogIOException("cannot delete segment " + live, e);
        }
        DELETER.schedule(() -> {
            try {
                close();
            } catch (LogIOException e) {
                // Deleting anyway: the bytes are no longer wanted.
            }
            try {
                fs.deleteIfExists(deleted);
            } catch (IOException e) {
                // Removed at the next open instead.
            }
        }, FILE_DELETE_DELAY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void readFully(ByteBuffer buf, long position) {
        try {
            long p = position;
            while (buf.hasRemaining()) {
                int n = channel.read(buf, p);
                if (n < 0) {
                    throw new CorruptSegmentException("unexpected end of " + fileName(baseOffset, ".log") + " at " + p);
                }
                p += n;
            }
        } catch (IOException e) {
            throw new LogIOException("cannot read " + dir.resolve(fileName(baseOffset, ".log")), e);
        }
    }

    public long baseOffset() {
        return baseOffset;
    }

    /** The offset after this segment's last batch. */
    public long nextOffset() {
        return lastOffset + 1;
    }

    public int size() {
        return size;
    }

    public long maxTimestamp() {
        return maxTimestamp;
    }

    public long createdMs() {
        return createdMs;
    }
}
