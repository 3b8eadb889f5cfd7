package io.strata.tiering.segment;

import io.strata.records.BatchHeader;
import io.strata.records.BatchIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Turns a sealed local segment (record batches, as the log wrote them) into the object that
 * goes to the store: the batches, then indexes built by scanning their headers, then the footer.
 */
public final class SegmentObjectWriter {
    /** One offset-index entry per this many bytes of batches. */
    static final int INDEX_INTERVAL = 64 * 1024;

    private SegmentObjectWriter() {
    }

    /** Writes the object for {@code segmentFile} to {@code out}; returns its footer. */
    public static SegmentFooter write(Path segmentFile, int leaderEpoch, Path out) {
        return write(segmentFile, -1, leaderEpoch, out);
    }

    /**
     * As {@link #write(Path, int, Path)}, for the batches of the segment from {@code fromOffset}
     * on (a batch boundary): a new leader whose segments were cut at other offsets than its
     * predecessor's continues the tiered history exactly where it ends.
     */
    public static SegmentFooter write(Path segmentFile, long fromOffset, int leaderEpoch, Path out) {
        try {
            copyFrom(segmentFile, fromOffset, out);
            try (FileChannel ch = FileChannel.open(out, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                ByteBuffer head = ByteBuffer.allocate(BatchHeader.SIZE);
                long pos = 0;
                long base = -1;
                long last = -1;
                long minTs = Long.MAX_VALUE;
                // Every batch that raises the largest timestamp gets a time entry: a segment object is read far more than written.
                BatchIndex index = null;
                while (pos + BatchHeader.SIZE <= size) {
                    head.clear();
                    ch.read(head, pos);
                    head.flip();
                    BatchHeader h = BatchHeader.parse(head);
                    if (base < 0) {
                        base = h.baseOffset();
                        index = new BatchIndex(base, INDEX_INTERVAL, 0);
                    }
                    index.add(h.baseOffset(), h.maxTimestamp(), pos, h.totalSize());
                    minTs = Math.min(minTs, minTimestampOf(ch, pos, h));
                    last = h.lastOffset();
                    pos += h.totalSize();
                }
                if (pos != size || base < 0) {
                    throw new IllegalStateException("segment " + segmentFile + " does not hold whole batches (" + pos + " of " + size + " bytes)");
                }
                ByteBuffer offsetIndex = index.offsetEntries();
                ByteBuffer timeIndex = index.timeEntries();
                SegmentFooter footer = new SegmentFooter(base, last, minTs, index.maxTimestamp(), size, offsetIndex.remaining(),
                        timeIndex.remaining(), leaderEpoch);
                long p = size;
                byte[] footerBytes = footer.encode(offsetIndex, timeIndex);
                p += writeAt(ch, offsetIndex, p);
                p += writeAt(ch, timeIndex, p);
                writeAt(ch, ByteBuffer.wrap(footerBytes), p);
                ch.force(true);
                return footer;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build segment object from " + segmentFile, e);
        }
    }

    /** Copies the segment's bytes from the first batch at or after {@code fromOffset}. */
    private static void copyFrom(Path segmentFile, long fromOffset, Path out) throws IOException {
        if (fromOffset < 0) {
            Files.copy(segmentFile, out, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try (FileChannel in = FileChannel.open(segmentFile, StandardOpenOption.READ);
             FileChannel o = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            long pos = 0;
            ByteBuffer head = ByteBuffer.allocate(BatchHeader.SIZE);
            while (pos + BatchHeader.SIZE <= size) {
                head.clear();
                in.read(head, pos);
                head.flip();
                BatchHeader h = BatchHeader.parse(head);
                if (h.baseOffset() >= fromOffset) {
                    break;
                }
                pos += h.totalSize();
            }
            long copied = 0;
            while (copied < size - pos) {
                copied += in.transferTo(pos + copied, size - pos - copied, o);
            }
        }
    }

    /**
     * The smallest record timestamp of the batch at {@code pos}: the header's max when the log
     * set it (LogAppendTime: every record has it), else the records' own, read one by one.
     */
    private static long minTimestampOf(FileChannel ch, long pos, BatchHeader h) throws IOException {
        if (h.isLogAppendTime()) {
            return h.maxTimestamp();
        }
        ByteBuffer whole = ByteBuffer.allocate(h.totalSize());
        while (whole.hasRemaining()) {
            if (ch.read(whole, pos + whole.position()) < 0) {
                throw new IOException("unexpected end of segment at " + pos);
            }
        }
        whole.flip();
        return io.strata.records.Batches.minTimestamp(whole);
    }

    private static int writeAt(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        int n = 0;
        while (b.hasRemaining()) {
            n += ch.write(b, pos + n);
        }
        return n;
    }
}
