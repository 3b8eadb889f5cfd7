package io.strata.tiering.segment;

import io.strata.records.BatchHeader;
import io.strata.tiering.store.ObjectStore;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;

/**
 * Reads one partition's segment objects front to back at the bucket's speed: large ranged GETs
 * ({@code spanBytes} each) with several in flight ({@code depth}), so the next spans arrive while
 * the caller decodes this one. A segment read from its start needs no index: one about a span
 * long is read whole in a single GET (its footer, checked, says where the data ends), and a
 * longer one's first span goes out while its index is fetched. Hands out runs of whole,
 * CRC-checked batches in offset order, slices of the downloaded spans (no copy, except for the
 * one batch a span boundary cuts), of at most {@link #RUN_BYTES} each unless one batch is longer.
 * The readers of one replay may share their depth ({@link ReadAheadPool}). The read-ahead goes out with the first span, which may be
 * shorter ({@code firstSpanBytes}) so that it still arrives soon. What a full replay wants; a
 * broker's random reads go through {@link RemoteSegmentReader} and its cache. Not thread-safe:
 * one reader per partition, on the thread that decodes.
 */
public final class SequentialSegmentReader implements AutoCloseable {
    /** One segment object to read, as the manifest lists it. */
    public record Segment(String objectKey, long objectSize, long baseOffset, long lastOffset) {
    }

    /**
     * {@code dataEnd}: for a span requested before its segment's data length was known, where the
     * data ends (the span may run on into the index), learned once the span is in hand; null when
     * the span is exact. {@code lent}: the GET of a span beyond the reader's own depth, lent by the
     * pool (given back when it ends); null for the reader's own, and for the rest of a span handed
     * out in runs.
     */
    private record Span(Segment segment, long position, int length, boolean lastOfSegment, CompletableFuture<ByteBuffer> bytes,
                        DataEnd dataEnd, CompletableFuture<byte[]> lent) {
        Span(Segment segment, long position, int length, boolean lastOfSegment, CompletableFuture<ByteBuffer> bytes, DataEnd dataEnd) {
            this(segment, position, length, lastOfSegment, bytes, dataEnd, null);
        }
    }

    /**
     * Where a segment's data ends, from the span read (one that runs to the object's end holds its
     * footer) or from the index; {@code position}: where in the object the span starts.
     */
    private interface DataEnd {
        long of(ByteBuffer span, long position);
    }

    /** {@code index}: null for a segment read whole, which needs none. */
    private record Upcoming(Segment segment, CompletableFuture<SegmentIndex> index) {
    }

    /**
     * The most bytes of batches one {@link #next} hands out: a span is CRC-checked and handed out a
     * run at a time, so that the caller decodes each run's records while the check has left its
     * bytes in the CPU's cache, not after the check has gone through a whole span of 8 MiB.
     */
    static final int RUN_BYTES = 512 * 1024;

    private final ObjectStore store;
    private final RemoteSegmentReader indexes;
    private final Iterator<Segment> segments;
    private final ArrayDeque<Upcoming> upcoming = new ArrayDeque<>();
    private final long toOffset;
    private final int spanBytes;
    private final int firstSpanBytes;
    private final int depth;
    /** Segments ahead whose indexes are being fetched: one more than its own depth, so no span of its own waits for one. */
    private final int indexesAhead;
    private final ArrayDeque<Span> inFlight = new ArrayDeque<>();
    /** Shared with the other partitions' readers of the same replay; null: this reader keeps its own depth only. */
    private final ReadAheadPool pool;
    private boolean closed;
    private long nextOffset;
    // Planning position: the segment whose spans are being requested and where the next one starts.
    private Segment planning;
    private long planPosition;
    private long planEnd;
    // While the planned segment's index is on its way: planEnd is only a bound (the object less its footer).
    private CompletableFuture<SegmentIndex> planIndex;
    // How the planned spans learn where the data ends, when planEnd is not exact.
    private DataEnd planDataEnd;
    // The planned segment is read in one span, whatever spanBytes says.
    private boolean planWhole;
    // A batch cut by a span boundary: its first bytes, completed from the next span.
    private ByteBuffer carry;
    // Whether the read's first span has been requested.
    private boolean firstPlanned;

    /**
     * @param segments the partition's segments in offset order
     * @param fromOffset the first offset wanted (its batch is the first handed out)
     * @param toOffset the first offset not wanted: no span past the segment that holds it is requested
     */
    public SequentialSegmentReader(ObjectStore store, RemoteSegmentReader indexes, List<Segment> segments, long fromOffset,
                                   long toOffset, int spanBytes, int depth) {
        this(store, indexes, segments, fromOffset, toOffset, spanBytes, spanBytes, depth);
    }

    /**
     * @param firstSpanBytes the length of the read's first span: all {@code depth} spans are
     *     requested at once, to keep the bucket busy from the start, and share its bandwidth; a
     *     short first one arrives while the others download, so the first records do not wait for
     *     a whole span's share
     */
    public SequentialSegmentReader(ObjectStore store, RemoteSegmentReader indexes, List<Segment> segments, long fromOffset,
                                   long toOffset, int spanBytes, int firstSpanBytes, int depth) {
        this(store, indexes, segments, fromOffset, toOffset, spanBytes, firstSpanBytes, depth, null);
    }

    /**
     * @param pool the spans this reader and the other partitions' readers of the same replay keep
     *     in flight together: beyond its own {@code depth}, up to as many again while the pool has room
     */
    public SequentialSegmentReader(ObjectStore store, RemoteSegmentReader indexes, List<Segment> segments, long fromOffset,
                                   long toOffset, int spanBytes, int firstSpanBytes, int depth, ReadAheadPool pool) {
        this.pool = pool;
        this.firstSpanBytes = Math.max(1, Math.min(firstSpanBytes, spanBytes));
        this.store = store;
        this.indexes = indexes;
        this.segments = segments.iterator();
        this.nextOffset = fromOffset;
        this.toOffset = toOffset;
        this.spanBytes = spanBytes;
        this.depth = Math.max(1, depth);
        this.indexesAhead = this.depth + 1;
    }

    /**
     * The next run of whole batches, CRC-checked, or null when the segments hold nothing more
     * below {@code toOffset}. The buffer may be a view of a downloaded span: it is not reused.
     *
     * @throws CorruptSegmentObjectException when a batch fails its CRC or an object ends mid-batch
     */
    public ByteBuffer next() {
        if (closed) {
            throw new IllegalStateException("reader closed");
        }
        while (true) {
            plan(depth);
            Span span = inFlight.poll();
            if (span == null) {
                return null;
            }
            ByteBuffer data;
            try {
                data = RemoteSegmentReader.await(span.segment().objectKey(), span.bytes());
            } finally {
                if (span.lent() != null) {
                    // In hand (or failed): the span no longer downloads, and the pool may lend it again.
                    pool.returnLent();
                }
            }
            if (span.dataEnd() != null) {
                // Requested before the data's length was known: cut where the data ends.
                long end = span.dataEnd().of(data, span.position());
                data.limit((int) Math.max(0, Math.min(data.limit(), end - span.position())));
                span = new Span(span.segment(), span.position(), data.limit(), span.position() + data.limit() >= end, span.bytes(), null);
            }
            ByteBuffer out = wholeBatches(span, data);
            if (out != null && out.hasRemaining()) {
                return out;
            }
        }
    }

    /**
     * Requests spans until {@code limit} are in flight (up to twice that while the pool has room)
     * or there is nothing more to request.
     */
    private void plan(int limit) {
        while (true) {
            boolean own = inFlight.size() < limit;
            boolean lent = !own && pool != null && inFlight.size() < 2 * limit && pool.tryLend();
            if (!own && !lent) {
                return;
            }
            boolean planned = false;
            try {
                planned = planOne(lent);
            } finally {
                if (lent && !planned) {
                    pool.returnLent();
                }
            }
            if (!planned) {
                return;
            }
        }
    }

    /** Requests the next span ({@code lent}: beyond the reader's own depth); false when there is nothing more to request. */
    private boolean planOne(boolean lent) {
        if (planIndex != null && planPosition < planEnd) {
            if (planning.objectSize() <= spanBytes + spanBytes / 8) {
                // The rest of an object about a span long, after a short first span: to its end in one GET sent now, its
                // footer saying where the data ends, rather than after the index arrives.
                wholeFrom(planning, planPosition, planIndex);
            } else {
                // A segment begun without its index: where its data ends decides whether it has more spans.
                planEnd = RemoteSegmentReader.await(planning.objectKey(), planIndex).footer().dataLength();
                planDataEnd = null;
            }
            planIndex = null;
        }
        if (planning == null || planPosition >= planEnd) {
            if (!nextSegment()) {
                return false;
            }
        }
        int length = (int) (planWhole ? planEnd - planPosition : Math.min(firstPlanned ? spanBytes : firstSpanBytes, planEnd - planPosition));
        firstPlanned = true;
        boolean last = planPosition + length >= planEnd;
        CompletableFuture<byte[]> get = store.getRange(planning.objectKey(), planPosition, length);
        CompletableFuture<ByteBuffer> bytes = get.thenApply(ByteBuffer::wrap);
        // A span abandoned (close) stops its GET: cancelling what was derived from it would not.
        bytes.whenComplete((b, t) -> {
            if (bytes.isCancelled()) {
                get.cancel(false);
            }
        });
        inFlight.add(new Span(planning, planPosition, length, last, bytes, planDataEnd, lent ? get : null));
        planPosition += length;
        return true;
    }

    /**
     * Plans {@code s} from {@code position} to its end in one span, which holds its footer: that
     * says where the data ends. {@code index}: for a span after a short first one, the segment's
     * index on its way, which says it instead when the data ends before the span starts (an index
     * longer than the data; the span then holds no data).
     */
    private void wholeFrom(Segment s, long position, CompletableFuture<SegmentIndex> index) {
        String key = s.objectKey();
        long listed = s.objectSize();
        planWhole = true;
        planPosition = position;
        planEnd = listed;
        planDataEnd = (span, at) -> {
            // A store cuts a range that runs past the object's end: a shorter object than listed is an error here.
            if (span.remaining() != listed - at) {
                throw new CorruptSegmentObjectException(key, "object has " + (at + span.remaining()) + " bytes, its manifest says " + listed);
            }
            if (index != null && span.remaining() >= SegmentFooter.SIZE) {
                byte[] footer = new byte[SegmentFooter.SIZE];
                span.get(span.limit() - SegmentFooter.SIZE, footer);
                if (SegmentFooter.decode(footer, key).dataLength() <= at) {
                    // The indexes begin before this span: the verified footer is the index's.
                    return RemoteSegmentReader.await(key, index).footer().dataLength();
                }
            }
            return SegmentFooter.ofObjectEnd(span, listed, key).dataLength();
        };
    }

    /** Moves planning to the next segment with wanted offsets; false when there is none. */
    private boolean nextSegment() {
        while (true) {
            lookAhead();
            Upcoming u = upcoming.poll();
            if (u == null) {
                return false;
            }
            Segment s = u.segment();
            String key = s.objectKey();
            planning = s;
            planIndex = null;
            planDataEnd = null;
            planWhole = u.index() == null;
            if (planWhole) {
                // Read whole in one GET: the footer at its end says where the data ends, and no index is fetched.
                wholeFrom(s, 0, null);
                return true;
            }
            if (s.baseOffset() >= nextOffset && s.objectSize() > SegmentFooter.SIZE && !u.index().isDone()) {
                // Read from its start: the first span needs no index, so its GET does not wait behind the index's.
                CompletableFuture<SegmentIndex> index = u.index();
                planPosition = 0;
                planEnd = s.objectSize() - SegmentFooter.SIZE;
                planIndex = index;
                planDataEnd = (span, position) -> RemoteSegmentReader.await(key, index).footer().dataLength();
                return true;
            }
            SegmentIndex idx = RemoteSegmentReader.await(s.objectKey(), u.index());
            // The first segment may start mid-way: from the indexed batch at or before the offset.
            planPosition = s.baseOffset() <= nextOffset ? idx.positionFloor(nextOffset) : 0;
            planEnd = idx.footer().dataLength();
            if (planPosition < planEnd) {
                return true;
            }
        }
    }

    /** Starts fetching the indexes of the next wanted segments. */
    private void lookAhead() {
        while (upcoming.size() < indexesAhead && segments.hasNext()) {
            Segment s = segments.next();
            if (s.lastOffset() < nextOffset) {
                continue;
            }
            if (s.baseOffset() >= toOffset) {
                // Segments are in offset order: none after this one is wanted either.
                while (segments.hasNext()) {
                    segments.next();
                }
                return;
            }
            boolean first = planning == null && upcoming.isEmpty();
            upcoming.add(new Upcoming(s, readWhole(s, first) ? null : indexes.indexAsync(s.objectKey(), s.objectSize())));
        }
    }

    /**
     * A segment read from its start whose object is about one span long is read in a single GET,
     * index and footer included: its index would cost another request, about as dear to
     * the store as a span of data is, for a segment that needs no lookup. Not the read's
     * {@code first} segment when its first span is to be short: that one's index says where the
     * short span's data ends (an index may be longer than the data), and the rest of the object
     * follows in one GET, sent with it when the depth allows two.
     */
    private boolean readWhole(Segment s, boolean first) {
        return s.baseOffset() >= nextOffset && s.objectSize() > SegmentFooter.SIZE && s.objectSize() <= spanBytes + spanBytes / 8
                && !(first && s.objectSize() > 2L * firstSpanBytes);
    }

    /** The whole batches in {@code data} (after completing a batch cut by the previous span); keeps the cut tail. */
    private ByteBuffer wholeBatches(Span span, ByteBuffer data) {
        String key = span.segment().objectKey();
        if (carry != null) {
            // Complete the cut batch with the head of this span: the only bytes ever copied.
            int total = BatchHeader.SIZE <= carry.position() ? carry.getInt(8) + 12 : -1;
            if (total < 0) {
                int need = Math.min(BatchHeader.SIZE - carry.position(), data.remaining());
                carry.put(data.slice().limit(need));
                data.position(data.position() + need);
                if (carry.position() < BatchHeader.SIZE) {
                    return endOfSpan(span, null);
                }
                total = carry.getInt(8) + 12;
            }
            if (total < BatchHeader.SIZE || total > span.segment().objectSize()) {
                throw new CorruptSegmentObjectException(key, "batch of " + total + " bytes near position " + span.position());
            }
            if (carry.capacity() < total) {
                ByteBuffer bigger = ByteBuffer.allocate(total);
                bigger.put(carry.flip());
                carry = bigger;
            }
            int need = Math.min(total - carry.position(), data.remaining());
            carry.put(data.slice().limit(need));
            data.position(data.position() + need);
            if (carry.position() < total) {
                return endOfSpan(span, null);
            }
            ByteBuffer whole = carry.flip();
            carry = null;
            check(key, whole);
            // The completed batch goes first; the rest of this span follows at the next call.
            ByteBuffer rest = data.slice();
            if (rest.hasRemaining()) {
                handOutLater(span, data.position(), rest);
            } else if (span.lastOfSegment()) {
                endOfSpan(span, null);
            }
            return whole;
        }
        int start = data.position();
        int cut = start;
        while (data.limit() - cut >= BatchHeader.SIZE) {
            long total = data.getInt(cut + 8) + 12L;
            if (total < BatchHeader.SIZE || total > span.segment().objectSize()) {
                throw new CorruptSegmentObjectException(key, "batch of " + total + " bytes at position " + (span.position() + cut));
            }
            if (cut + total > data.limit()) {
                break;
            }
            if (cut > start && cut + total - start > RUN_BYTES) {
                // Enough for one run: the rest of the span is handed out at the next call.
                ByteBuffer rest = data.duplicate().position(cut).slice();
                handOutLater(span, cut, rest);
                ByteBuffer run = data.duplicate().position(start).limit(cut).slice();
                check(key, run);
                return run;
            }
            cut += (int) total;
        }
        ByteBuffer batches = data.duplicate().position(start).limit(cut).slice();
        if (cut < data.limit()) {
            ByteBuffer tail = data.duplicate().position(cut).slice();
            long whole = tail.remaining() >= BatchHeader.SIZE ? tail.getInt(8) + 12L : BatchHeader.SIZE;
            if (whole < BatchHeader.SIZE || whole > span.segment().objectSize()) {
                throw new CorruptSegmentObjectException(key, "batch of " + whole + " bytes at position " + (span.position() + cut));
            }
            carry = ByteBuffer.allocate((int) whole);
            carry.put(tail);
        }
        check(key, batches);
        return endOfSpan(span, batches);
    }

    /** The rest of {@code span}, from {@code at} in it, handed out at the next call (first in line: it is the oldest). */
    private void handOutLater(Span span, int at, ByteBuffer rest) {
        inFlight.addFirst(new Span(span.segment(), span.position() + at, rest.remaining(), span.lastOfSegment(),
                CompletableFuture.completedFuture(rest), null));
    }

    /** At a segment's last span nothing may be left over: an object's data ends with a whole batch. */
    private ByteBuffer endOfSpan(Span span, ByteBuffer out) {
        if (span.lastOfSegment() && carry != null) {
            throw new CorruptSegmentObjectException(span.segment().objectKey(), "data ends inside a batch");
        }
        return out;
    }

    /** Every batch's CRC-32C (over attributes to the end, as Kafka's v2 batches define it). */
    private static void check(String key, ByteBuffer batches) {
        CRC32C crc = new CRC32C();
        int p = 0;
        while (p < batches.limit()) {
            int total = batches.getInt(p + 8) + 12;
            long stored = Integer.toUnsignedLong(batches.getInt(p + 17));
            crc.reset();
            crc.update(batches.duplicate().position(p + 21).limit(p + total));
            if (crc.getValue() != stored) {
                throw new CorruptSegmentObjectException(key, "batch at offset " + batches.getLong(p) + " fails its CRC check");
            }
            p += total;
        }
    }

    /** Abandons the spans still in flight. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Span s : inFlight) {
            s.bytes().cancel(false);
            if (s.lent() != null) {
                // Given back as the GET is cancelled: it stops reading at its next piece.
                s.lent().whenComplete((b, t) -> pool.returnLent());
            }
        }
        if (pool != null) {
            // Its own depth: for the next reader to start, or lent to those still reading (its own GETs abandoned
            // here, after a stop, may still be downloading: a stopped replay ends).
            pool.finished(depth);
        }
        inFlight.clear();
        upcoming.clear();
    }
}
