package io.strata.ingest.log;

import io.strata.records.Batches;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongSupplier;

/**
 * A partition's local segments by base offset, oldest first; the last is the active segment
 * (Kafka's {@code LogSegments}). What the log asks of its segments as a whole: lookups by
 * offset and by time, sizes, and the sealed prefix that tiering and the cleaner may take.
 *
 * <p>Threading: lookups take no lock and see a consistent map (reads run beside appends);
 * changes (add, remove, clear) are made under the owning log's lock.
 */
final class LogSegments {
    private final ConcurrentSkipListMap<Long, LogSegment> byBase = new ConcurrentSkipListMap<>();

    void add(LogSegment segment) {
        byBase.put(segment.baseOffset(), segment);
    }

    /** Drops the segment at {@code segment}'s base from the list (its files are the caller's to delete). */
    void remove(LogSegment segment) {
        byBase.remove(segment.baseOffset());
    }

    void clear() {
        byBase.clear();
    }

    /** Whether {@code segment} is still in the list (not removed by retention, truncation or a cleaner swap). */
    boolean contains(LogSegment segment) {
        return byBase.get(segment.baseOffset()) == segment;
    }

    boolean containsBase(long baseOffset) {
        return byBase.containsKey(baseOffset);
    }

    boolean isEmpty() {
        return byBase.isEmpty();
    }

    int count() {
        return byBase.size();
    }

    /** The segment appends go to; the list is never empty once the log is open. */
    LogSegment active() {
        return byBase.lastEntry().getValue();
    }

    LogSegment oldest() {
        return byBase.firstEntry().getValue();
    }

    /**
     * The oldest segment's base offset, or {@code ifEmpty}: one read, for callers without the
     * log's lock, which may find the list empty for a moment while a truncation replaces it.
     */
    long firstBase(long ifEmpty) {
        Map.Entry<Long, LogSegment> first = byBase.firstEntry();
        return first == null ? ifEmpty : first.getKey();
    }

    /** The segment after {@code segment}, or null for the active one. */
    LogSegment next(LogSegment segment) {
        Map.Entry<Long, LogSegment> e = byBase.higherEntry(segment.baseOffset());
        return e == null ? null : e.getValue();
    }

    /** The segment that holds {@code offset} if any does, else the first after it; null when none. */
    LogSegment holdingOrAfter(long offset) {
        Map.Entry<Long, LogSegment> e = byBase.floorEntry(offset);
        if (e == null) {
            e = byBase.ceilingEntry(offset);
        }
        return e == null ? null : e.getValue();
    }

    /** All segments, oldest first (a live view: it sees later changes). */
    Collection<LogSegment> all() {
        return byBase.values();
    }

    /** One past the last offset held: the active segment's next offset (its base when empty). */
    long endOffset() {
        Map.Entry<Long, LogSegment> last = byBase.lastEntry();
        return Math.max(last.getValue().nextOffset(), last.getKey());
    }

    long sizeInBytes() {
        long total = 0;
        for (LogSegment s : byBase.values()) {
            total += s.size();
        }
        return total;
    }

    /**
     * The segments before the active one, oldest first, stopping at the first that starts at or
     * after the base {@code firstPendingBase} gives (its roll has not finished) or ends past
     * {@code below}. The active segment is read before that base: a roll publishes its pending
     * base before it adds the next segment, so a caller without the lock that sees the new active
     * segment also sees the one it sealed as pending, never as sealed.
     */
    List<LogSegment> sealed(LongSupplier firstPendingBase, long below) {
        List<LogSegment> out = new ArrayList<>();
        Map.Entry<Long, LogSegment> last = byBase.lastEntry();
        LogSegment active = last == null ? null : last.getValue();
        long pending = firstPendingBase.getAsLong();
        for (LogSegment s : byBase.values()) {
            if (s == active || s.baseOffset() >= pending || s.nextOffset() > below) {
                break;
            }
            out.add(s);
        }
        return out;
    }

    /** Bytes and segments holding offsets at or past {@code tieredOffset}: what object storage does not hold yet. */
    long bytesFrom(long tieredOffset) {
        long total = 0;
        for (LogSegment s : byBase.values()) {
            if (s.nextOffset() > tieredOffset) {
                total += s.size();
            }
        }
        return total;
    }

    int nonEmptyFrom(long tieredOffset) {
        int n = 0;
        for (LogSegment s : byBase.values()) {
            if (s.nextOffset() > tieredOffset && s.size() > 0) {
                n++;
            }
        }
        return n;
    }

    /** The largest record timestamp held (-1: none). */
    long maxTimestamp() {
        return byBase.values().stream().mapToLong(LogSegment::maxTimestamp).max().orElse(-1);
    }

    /**
     * The first record at or after {@code from} with a timestamp at or after {@code timestamp},
     * below {@code highWatermark}; a match below {@code from} answers {@code from}.
     */
    Optional<Batches.TimestampMatch> findByTimestamp(long timestamp, long highWatermark, long from) {
        for (LogSegment seg : byBase.values()) {
            if (seg.nextOffset() <= from) {
                continue;
            }
            Optional<Batches.TimestampMatch> m = seg.findByTimestamp(timestamp, highWatermark);
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
}
