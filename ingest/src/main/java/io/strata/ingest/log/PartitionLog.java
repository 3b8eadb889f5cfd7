package io.strata.ingest.log;

import io.strata.records.AbortedTxn;
import io.strata.tiering.service.SealedSegment;
import io.strata.tiering.service.RemoteRange;

import io.strata.records.BatchValidator;
import io.strata.records.Batches;
import io.strata.records.InvalidBatchException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.strata.ingest.log.fs.DiskFileSystem;
import io.strata.ingest.log.fs.LogFileSystem;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The log of one partition on local disk: a run of {@link LogSegment}s whose last one is the
 * active segment (the write-ahead log). Appends assign offsets by rewriting batch headers and
 * write the batches verbatim; reads return whole batches.
 *
 * <p>Files in the partition directory: the segments, {@code log-start-offset} (written when
 * DeleteRecords or retention moves it) and {@code .clean-shutdown} (present only while closed
 * cleanly). Opening it is {@link LogLoader}'s recovery procedure: without the marker it
 * re-validates the CRCs of what may be unsynced and cuts a torn tail; it always rebuilds indexes
 * and producer state from the batch headers.
 *
 * <p>Durability: every file goes through a {@link LogFileSystem}; a segment's bytes are durable
 * once fsynced, and each creation, rename and deletion is followed by an fsync of the directory.
 * Any I/O error takes the log offline ({@link LogOfflineException}, answered as
 * {@code KAFKA_STORAGE_ERROR}) rather than leaving it writable in an unknown state; the next
 * open recovers it.
 *
 * <p>Threading: appends, truncation and retention take the log's lock; reads take none.
 */
public final class PartitionLog implements FollowerLog, io.strata.tiering.service.TieredLog {
    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);
    /** The first offset the log cleaner has not mapped yet (Kafka's cleaner-offset-checkpoint, per partition). */
    private static final String CLEANER_CHECKPOINT_FILE = "cleaner-offset-checkpoint";
    /** A segment rewritten by the cleaner, durable but not yet swapped in. */
    static final String CLEANED_SUFFIX = LogLoader.CLEANED_SUFFIX;

    private final LogFileSystem fs;
    private final Path dir;
    private final String name;
    private final ProducerSnapshots snapshots;
    private final LogSegments segments = new LogSegments();
    private final ProducerStateTable producers = new ProducerStateTable();
    private final LeaderEpochCache epochs = new LeaderEpochCache();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile LogConfig config;
    private volatile long logEndOffset;
    private volatile long logStartOffset;
    private volatile long flushedOffset;
    /** Truncations so far (written under the lock): a flush that began before one must not publish the end it read. */
    private volatile long truncations;
    /** When the log was last fsynced to its end then (System.nanoTime), or opened: what flush.ms counts from. */
    private volatile long lastFlushNanos = System.nanoTime();
    private volatile long highWatermark;
    private volatile boolean replicated;
    /**
     * The leader epoch this replica last learned, and whether it leads in it. Appends from clients
     * are taken only while leading and are stamped with this epoch; a follower takes only what its
     * leader sends. A log outside a cluster leads in epoch 0.
     */
    private volatile int leaderEpoch = 0;
    private volatile boolean leading = true;
    private volatile Runnable appendListener = () -> { };
    /** Set by the first I/O error; the log serves nothing more until it is reopened. */
    private volatile LogOfflineException offline;
    /** Offsets below this are in object storage (the next offset after the last tiered segment). */
    private volatile long tieredOffset;
    /** Rolled segments whose roll is still to finish: tiering and the cleaner take no segment from the oldest on. */
    private final PendingRolls pendingRolls;
    /** Where rolls finish; inline (under the lock, as before rolls were asynchronous) until a node sets its roller. */
    private volatile Executor rollExecutor = Runnable::run;
    /** Told of each fsync a finishing roll runs: its bytes and nanoseconds (the node's fsync metrics). */
    private volatile FsyncObserver rollFsyncs = (bytes, nanos) -> { };

    /** Hears about fsyncs. */
    @FunctionalInterface
    public interface FsyncObserver {
        void fsynced(long bytes, long nanos);
    }

    private PartitionLog(LogFileSystem fs, Path dir, String name, LogConfig config) {
        this.fs = fs;
        this.dir = dir;
        this.snapshots = new ProducerSnapshots(fs, dir, name);
        this.pendingRolls = new PendingRolls(snapshots);
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
        return open(DiskFileSystem.INSTANCE, dir, name, config, nowMs, remote);
    }

    /** Opens the log through {@code fs} (tests pass a simulated disk). */
    public static PartitionLog open(LogFileSystem fs, Path dir, String name, LogConfig config, long nowMs, RemoteRange remote) {
        PartitionLog pl = new PartitionLog(fs, dir, name, config);
        try {
            LogLoader.Loaded loaded = new LogLoader(fs, dir, name, config, pl.snapshots, pl.segments, pl.producers, pl.epochs)
                    .load(nowMs, remote);
            pl.logEndOffset = loaded.logEndOffset();
            pl.flushedOffset = loaded.logEndOffset();
            pl.logStartOffset = loaded.logStartOffset();
            pl.tieredOffset = loaded.tieredOffset();
        } catch (IOException e) {
            throw new LogIOException("cannot open log " + dir, e);
        }
        return pl;
    }

    /** The snapshot file for the producer state as of {@code offset} (tiering uploads it beside the segment). */
    public Path snapshotFile(long offset) {
        return snapshots.file(offset);
    }

    private void deleteObsoleteSnapshots() {
        snapshots.deleteBefore(segments.oldest().baseOffset());
    }

    /**
     * Validates and appends the batches of one produce request for this partition: magic v2,
     * CRC, size against {@code max.message.bytes}, producer epoch and sequence. Either every
     * batch is appended or none is.
     */
    public AppendResult append(ByteBuffer records, long nowMs) {
        return append(records, nowMs, null, false);
    }

    /**
     * Starts KIP-890's server-side check of a transactional producer's batch: null when the
     * producer's transaction is already open in this partition, else the guard to pass to
     * {@link #append(ByteBuffer, long, Object, boolean)} once the coordinator's state confirms the
     * partition is in the transaction (a marker written in between voids the guard).
     */
    public Object startTransactionVerification(long producerId) {
        lock.lock();
        try {
            return producers.startVerification(producerId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * As {@link #append(ByteBuffer, long)}; with {@code verifyTransactions} a transactional batch
     * that would open a transaction here is taken only with the guard of a verification that no
     * marker has voided since.
     */
    public AppendResult append(ByteBuffer records, long nowMs, Object verification, boolean verifyTransactions) {
        if (offline != null) {
            return AppendResult.failed(Errors.KAFKA_STORAGE_ERROR, offline.getMessage(), logStartOffset);
        }
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
            try {
                BatchValidator.validateFromClient(b, nowMs, config.timestampPolicy());
            } catch (InvalidBatchException e) {
                return AppendResult.failed(e.error(), e.getMessage(), logStartOffset);
            } catch (RuntimeException e) {
                // A batch the validator cannot even walk is corrupt, and only this partition's answer says so.
                return AppendResult.failed(Errors.CORRUPT_MESSAGE, "undecodable record batch: " + e, logStartOffset);
            }
            total += b.sizeInBytes();
        }
        if (total != records.remaining()) {
            return AppendResult.failed(Errors.CORRUPT_MESSAGE, "trailing bytes after the last record batch", logStartOffset);
        }
        lock.lock();
        try {
            AppendResult refused = refuseLeaderAppend();
            if (refused != null) {
                return refused;
            }
            if (verifyTransactions) {
                for (Batches.Batch b : batches) {
                    if (b.isTransactional() && !producers.verified(b.producerId(), verification)) {
                        return AppendResult.failed(Errors.INVALID_TXN_STATE, "producer " + b.producerId() + " has no transaction "
                                + "that includes " + name + " (its coordinator does not list the partition, or the transaction ended)",
                                logStartOffset);
                    }
                }
            }
            return appendLocked(batches, records, nowMs);
        } catch (LogIOException e) {
            return AppendResult.failed(Errors.KAFKA_STORAGE_ERROR, goOffline(e).getMessage(), logStartOffset);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why this replica may not take a leader's append now, or null when it may. Called under the
     * lock: a replica that became a follower meanwhile must not take a client's batch, or its log
     * would hold an offset its new leader wrote differently.
     */
    private AppendResult refuseLeaderAppend() {
        if (offline != null) {
            return AppendResult.failed(Errors.KAFKA_STORAGE_ERROR, offline.getMessage(), logStartOffset);
        }
        if (!leading) {
            return AppendResult.failed(Errors.NOT_LEADER_OR_FOLLOWER, name + " is a follower since leader epoch " + leaderEpoch,
                    logStartOffset);
        }
        return null;
    }

    /** Takes the log offline after a disk error (once; later errors keep the first cause). */
    private LogOfflineException goOffline(RuntimeException cause) {
        LogOfflineException o = offline;
        if (o == null) {
            o = new LogOfflineException(name + " is offline after a disk error: " + cause.getMessage(), cause);
            offline = o;
            log.error("{}: taking the partition offline after a disk error; it recovers when the node restarts", name, cause);
        }
        return o;
    }

    /** Throws if the log went offline. */
    private void ensureOnline() {
        LogOfflineException o = offline;
        if (o != null) {
            throw o;
        }
    }

    public boolean isOffline() {
        return offline != null;
    }

    private AppendResult appendLocked(List<Batches.Batch> batches, ByteBuffer records, long nowMs) {
        boolean neverWritten = logStartOffset == 0 && logEndOffset == 0;
        for (Batches.Batch b : batches) {
            if (b.hasProducerId() && b.baseSequence() >= 0) {
                ProducerStateTable.Check c = producers.check(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence(),
                        neverWritten, b.isTransactional());
                if (c instanceof ProducerStateTable.Duplicate d) {
                    if (batches.size() == 1) {
                        return new AppendResult(Errors.NONE, null, d.firstOffset(), d.lastOffset(), -1, logStartOffset);
                    }
                    return AppendResult.failed(Errors.DUPLICATE_SEQUENCE_NUMBER, "duplicate batch inside a multi-batch append", logStartOffset);
                }
                if (c instanceof ProducerStateTable.OldDuplicate && batches.size() == 1) {
                    // Its offsets are no longer known; it lies below the log end, which acks=all waits for.
                    return new AppendResult(Errors.DUPLICATE_SEQUENCE_NUMBER, "batch with sequences " + b.baseSequence() + ".."
                            + b.lastSequence() + " of producer " + b.producerId() + " was written before", -1, logEndOffset - 1, -1,
                            logStartOffset);
                }
                if (c instanceof ProducerStateTable.OldDuplicate) {
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
        int epoch = leaderEpoch;
        for (Batches.Batch b : batches) {
            b.assignOffsets(next, epoch);
            if (appendTime >= 0) {
                b.setLogAppendTime(appendTime);
            }
            maxTs = Math.max(maxTs, b.maxTimestamp());
            next = b.lastOffset() + 1;
        }
        segments.active().append(base, next - 1, maxTs, records);
        epochs.assign(epoch, base);
        // Producer state only once the bytes are written: a failed write must not make a retry a "duplicate".
        for (Batches.Batch b : batches) {
            if (b.hasProducerId() && b.baseSequence() >= 0) {
                producers.record(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence(), b.baseOffset(), b.lastOffset(),
                        b.maxTimestamp());
            }
            if (b.isTransactional()) {
                producers.recordTxnData(b.producerId(), b.baseOffset());
            }
        }
        logEndOffset = next;
        appendListener.run();
        return new AppendResult(Errors.NONE, null, base, next - 1, appendTime, logStartOffset);
    }

    /**
     * Ends a transaction in this partition with a COMMIT or ABORT marker (Kafka's WriteTxnMarkers on
     * the leader): one control batch for the producer and epoch, refused when the producer has a
     * newer epoch or the marker comes from an older coordinator than the last one that wrote here.
     */
    public AppendResult appendTxnMarker(long producerId, short producerEpoch, io.strata.records.TxnMarker marker, long nowMs) {
        lock.lock();
        try {
            AppendResult notWritable = refuseLeaderAppend();
            if (notWritable != null) {
                return notWritable;
            }
            ProducerStateTable.Reject refused = producers.checkMarker(producerId, producerEpoch, marker.coordinatorEpoch());
            if (refused != null) {
                return AppendResult.failed(refused.error(), refused.message(), logStartOffset);
            }
            ByteBuffer bytes = Batches.txnMarkerBatch(logEndOffset, nowMs, leaderEpoch, producerId, producerEpoch, marker);
            maybeRoll(bytes.remaining(), 1, nowMs);
            long offset = logEndOffset;
            segments.active().append(offset, offset, nowMs, bytes);
            epochs.assign(leaderEpoch, offset);
            producers.recordMarker(producerId, producerEpoch, marker.commit(), marker.coordinatorEpoch(), offset, nowMs);
            logEndOffset = offset + 1;
            appendListener.run();
            return new AppendResult(Errors.NONE, null, offset, offset, -1, logStartOffset);
        } catch (LogIOException e) {
            return AppendResult.failed(Errors.KAFKA_STORAGE_ERROR, goOffline(e).getMessage(), logStartOffset);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The last stable offset (KIP-98): below it every transaction is decided, so a
     * {@code read_committed} consumer reads up to it and no further.
     */
    public long lastStableOffset() {
        lock.lock();
        try {
            return producers.lastStableOffset(highWatermark());
        } finally {
            lock.unlock();
        }
    }

    /** The aborted transactions with data in {@code [from, upTo]}: what a read_committed fetch of that range must name. */
    public List<AbortedTxn> abortedTransactions(long from, long upTo) {
        lock.lock();
        try {
            return producers.abortedBetween(from, upTo);
        } finally {
            lock.unlock();
        }
    }

    private void maybeRoll(int incoming, long incomingOffsets, long nowMs) {
        LogSegment active = segments.active();
        boolean full = active.size() > 0 && (long) active.size() + incoming > config.segmentBytes();
        boolean old = active.size() > 0 && nowMs - active.createdMs() >= config.segmentMs();
        // Offsets are stored relative to the segment's base as ints (index entries, as in Kafka).
        boolean offsetsExhausted = active.size() > 0 && logEndOffset + incomingOffsets - active.baseOffset() > Integer.MAX_VALUE;
        if (full || old || offsetsExhausted) {
            roll(nowMs);
        }
    }

    /**
     * Seals the active segment and opens the next. Nothing here waits for the disk: the sealed
     * segment's fsync, the directory's and the producer snapshot follow on the roll executor
     * ({@link #finishRoll}), so an append that rolls costs its request thread no more than any other.
     */
    private void roll(long nowMs) {
        LogSegment sealed = segments.active();
        producers.expire(nowMs, config.producerIdExpirationMs());
        // Pending before the next segment is visible: whoever sees the new segment sees this one still to sync.
        PendingRolls.Roll r = pendingRolls.add(sealed, logEndOffset, producers.snapshot());
        segments.add(LogSegment.createUnsynced(fs, dir, logEndOffset, config.indexIntervalBytes(), nowMs));
        try {
            rollExecutor.execute(() -> finishRoll(r));
        } catch (RejectedExecutionException e) {
            // The node is closing: finish it here; close() would otherwise.
            finishRoll(r);
        }
        LogOfflineException o = offline;
        if (o != null) {
            // The roll finished inline and failed: the append that rolled fails with it, as a disk error.
            throw new LogIOException("the roll of " + name + " failed", new IOException(o.getMessage(), o));
        }
    }

    /** Where rolls finish from now on (a node's {@code log-roller} thread), and who hears of their fsyncs. */
    public void setRollExecutor(Executor executor, FsyncObserver fsyncs) {
        this.rollExecutor = executor;
        this.rollFsyncs = fsyncs;
    }

    /** As {@link #setRollExecutor(Executor, FsyncObserver)}, the fsyncs unobserved. */
    public void setRollExecutor(Executor executor) {
        setRollExecutor(executor, (bytes, nanos) -> { });
    }

    /**
     * Makes {@code r}'s segment and the directory durable, once; returns the bytes fsynced, or -1
     * when an earlier call already did.
     */
    private long settle(PendingRolls.Roll r) {
        return r.settle(() -> {
            long bytes = 0;
            try {
                bytes = r.segment.flush();
            } catch (LogIOException e) {
                if (segments.contains(r.segment)) {
                    // Offline before the roll's monitor is released: no other flush may retry the fsync and be told it worked.
                    throw goOffline(e);
                }
                // Retention, DeleteRecords or a truncation took the segment: nothing in it needs to be durable any more.
            }
            try {
                // The next segment was created without fsyncing the directory: its entry is durable from here.
                fs.fsyncDirectory(dir);
            } catch (IOException e) {
                throw goOffline(new LogIOException("cannot fsync directory " + dir, e));
            }
            return bytes;
        });
    }

    /**
     * The rest of a roll, on the roll executor: the sealed segment (and every one rolled before
     * it) fsynced, then the producer snapshot at its end, which recovery takes as proof that
     * everything before it is on disk; then the log's durable offset passes it.
     */
    private void finishRoll(PendingRolls.Roll r) {
        List<PendingRolls.Roll> upTo;
        lock.lock();
        try {
            if (r.retired() || offline != null) {
                return;
            }
            upTo = pendingRolls.upTo(r);
            if (upTo.isEmpty()) {
                return;
            }
        } finally {
            lock.unlock();
        }
        try {
            for (PendingRolls.Roll p : upTo) {
                long start = System.nanoTime();
                long bytes = settle(p);
                if (bytes >= 0) {
                    rollFsyncs.fsynced(bytes, System.nanoTime() - start);
                }
            }
            pendingRolls.writeSnapshot(r);
        } catch (LogOfflineException e) {
            // settle() took the log offline: logged there.
        } catch (LogIOException e) {
            if (!r.retired() && segments.contains(r.segment)) {
                goOffline(e);
            }
            // Else a truncation or the log's close took the segment: no disk error.
        } catch (RuntimeException | Error e) {
            // Nothing else is expected here; the partition stops rather than carry a roll that never finishes.
            log.error("{}: finishing the roll at {} failed", name, r.end, e);
            goOffline(new LogIOException("finishing the roll at " + r.end + " failed", new IOException(e)));
        } finally {
            lock.lock();
            try {
                // Each finishRoll settles the earlier rolls, but their snapshots may still be on the way: the durable
                // offset passes a roll's end once every roll before it has finished.
                pendingRolls.finished(r, offline == null, end -> flushedOffset = Math.max(flushedOffset, end));
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Rolls a non-empty active segment older than segment.ms even without a new append, so an
     * idle partition's tail still reaches object storage. Returns whether it rolled.
     */
    public boolean rollIfIdle(long nowMs) {
        lock.lock();
        try {
            if (offline != null) {
                return false;
            }
            LogSegment active = segments.active();
            if (active.size() > 0 && nowMs - active.createdMs() >= config.segmentMs()) {
                roll(nowMs);
                return true;
            }
            return false;
        } catch (LogIOException e) {
            throw goOffline(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes everything appended so far durable; returns the offset up to which the log is now on
     * disk.
     *
     * @throws LogOfflineException when the fsync fails (the log stays offline) or failed before
     */
    public long flush() {
        return flush(bytes -> { });
    }

    /**
     * As {@link #flush()}; {@code fsynced} is told the bytes an fsync made durable, once for each
     * fsync this call ran (none when the log was already durable to its end).
     */
    public long flush(java.util.function.LongConsumer fsynced) {
        ensureOnline();
        // The fsyncs run without the lock (appends go on meanwhile), so a truncation may come between reading the end and
        // publishing it: then the end read is stale, and publishing it would call records appended after the truncation durable.
        long truncationsBefore;
        long end;
        List<PendingRolls.Roll> rolled;
        LogSegment active;
        lock.lock();
        try {
            // Again under the lock: closeForDeletion may have emptied the segments since.
            ensureOnline();
            truncationsBefore = truncations;
            end = logEndOffset;
            if (flushedOffset >= end) {
                return flushedOffset;
            }
            // Every byte below the end is in the active segment or in a rolled one whose own fsync has not run yet.
            rolled = pendingRolls.all();
            active = segments.active();
        } finally {
            lock.unlock();
        }
        LogSegment syncing = null;
        try {
            for (PendingRolls.Roll r : rolled) {
                syncing = r.segment;
                long bytes = settle(r);
                if (bytes >= 0) {
                    fsynced.accept(bytes);
                }
            }
            syncing = active;
            fsynced.accept(syncing.flush());
        } catch (LogIOException e) {
            lock.lock();
            try {
                if (!segments.contains(syncing)) {
                    // A truncation (or retention) deleted the segment under the fsync: no disk error, and nothing this flush
                    // may publish.
                    return flushedOffset;
                }
            } finally {
                lock.unlock();
            }
            throw goOffline(e);
        }
        // A roll's fsync may have failed meanwhile on another thread: never publish past an error.
        ensureOnline();
        lock.lock();
        try {
            if (active != null && truncations == truncationsBefore) {
                flushedOffset = Math.max(flushedOffset, end);
                lastFlushNanos = System.nanoTime();
            }
            return flushedOffset;
        } finally {
            lock.unlock();
        }
    }

    /** When the log was last fsynced (System.nanoTime), or opened if it has not been since. */
    public long lastFlushNanos() {
        return lastFlushNanos;
    }

    /**
     * Reads whole batches from {@code offset}, never past the high watermark.
     *
     * @throws OffsetOutOfRangeException when {@code offset} is below the log start or past the end
     */
    public FetchResult read(long offset, int maxBytes) {
        return copied(slice(offset, maxBytes, ReadBound.HIGH_WATERMARK));
    }

    /** Reads for a {@code read_committed} consumer: never past the last stable offset. */
    public FetchResult readCommitted(long offset, int maxBytes) {
        return copied(slice(offset, maxBytes, ReadBound.LAST_STABLE_OFFSET));
    }

    /** Reads for a follower's replica fetch: up to the log end, not the high watermark. */
    public FetchResult readForReplica(long offset, int maxBytes) {
        return copied(slice(offset, maxBytes, ReadBound.LOG_END));
    }

    /** How far a read may go: a consumer's (high watermark), a read_committed consumer's, a follower's. */
    public enum ReadBound { HIGH_WATERMARK, LAST_STABLE_OFFSET, LOG_END }

    /** Batches from {@code offset} by position in their segment file, for a fetch to send without copying. */
    public record Slice(SegmentRecords records, long highWatermark, long logStartOffset) {
    }

    private FetchResult copied(Slice slice) {
        try {
            return new FetchResult(slice.records().read(), slice.highWatermark(), slice.logStartOffset());
        } catch (IOException e) {
            throw goOffline(new LogIOException("cannot read " + name, e));
        }
    }

    /**
     * Locates whole batches from {@code offset} up to {@code bound}, at most {@code maxBytes}
     * unless the first batch alone is larger.
     *
     * @throws OffsetOutOfRangeException when {@code offset} is below the log start or past the end
     * @throws NotLocalException when {@code offset} is only in object storage
     */
    public Slice slice(long offset, int maxBytes, ReadBound bound) {
        ensureOnline();
        long start = logStartOffset;
        long end = logEndOffset;
        long hw = switch (bound) {
            case HIGH_WATERMARK -> highWatermark();
            case LAST_STABLE_OFFSET -> lastStableOffset();
            case LOG_END -> end;
        };
        // Out of range means outside the log; between the high watermark and the log end (a new
        // leader whose watermark has not caught up with its predecessor's) there is just nothing
        // to read yet, as in Kafka, so a consumer keeps its position instead of resetting it.
        if (offset < start || offset > end) {
            throw new OffsetOutOfRangeException(name + ": offset " + offset + " is outside [" + start + ", " + end + "]");
        }
        if (offset < localStartOffset()) {
            throw new NotLocalException(name + ": offset " + offset + " is only in object storage");
        }
        SegmentRecords out = SegmentRecords.EMPTY;
        if (offset < hw) {
            LogSegment seg = segments.holdingOrAfter(offset);
            while (seg != null) {
                try {
                    out = seg.slice(offset, maxBytes, hw);
                } catch (LogIOException ex) {
                    throw goOffline(ex);
                }
                if (out.sizeInBytes() > 0) {
                    break;
                }
                // The offset lies past this segment's last batch (a rolled segment): try the next.
                seg = segments.next(seg);
            }
        }
        return new Slice(out, highWatermark(), start);
    }

    /**
     * The first local record carrying the largest timestamp (ListOffsets MAX_TIMESTAMP, KIP-734);
     * empty when the log is empty or that record is not below the high watermark yet, as Kafka
     * answers then.
     */
    public Optional<Batches.TimestampMatch> maxTimestampRecord() {
        long max = segments.maxTimestamp();
        return max < 0 ? Optional.empty() : offsetForTimestamp(max).filter(m -> m.timestamp() == max);
    }

    /** The first record with a timestamp at or after {@code timestamp}, as ListOffsets wants it. */
    public Optional<Batches.TimestampMatch> offsetForTimestamp(long timestamp) {
        return segments.findByTimestamp(timestamp, highWatermark(), localStartOffset());
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
                producers.trimAborted(target);
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
        expireProducers(nowMs);
        if (config.remoteStorage() || !config.compaction().delete()) {
            // Tiered: the tiering service applies retention. cleanup.policy=compact alone: nothing goes by age or size.
            return 0;
        }
        lock.lock();
        try {
            int deleted = 0;
            long freed = 0;
            LogConfig c = config;
            long totalBytes = segments.sizeInBytes();
            while (segments.count() > 1) {
                LogSegment oldest = segments.oldest();
                boolean expired = c.retentionMs() >= 0 && oldest.maxTimestamp() >= 0
                        && nowMs - oldest.maxTimestamp() > c.retentionMs();
                boolean oversized = c.retentionBytes() >= 0 && totalBytes - oldest.size() >= c.retentionBytes();
                if (!expired && !oversized) {
                    break;
                }
                // The start moves (durably) before the segment goes, so no read finds a hole.
                long newStart = segments.next(oldest).baseOffset();
                if (newStart > logStartOffset) {
                    writeStartOffset(newStart);
                    logStartOffset = newStart;
                    producers.trimAborted(newStart);
                }
                removeOldestSegment();
                totalBytes -= oldest.size();
                freed += oldest.size();
                deleted++;
            }
            if (deleted > 0) {
                fsyncDir();
                deleteObsoleteSnapshots();
                log.info("{}: retention deleted {} segment(s), {} bytes; log start offset now {}", name, deleted, freed, logStartOffset);
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets idle producers (producer.id.expiration.ms), so the table does not only grow. */
    public void expireProducers(long nowMs) {
        lock.lock();
        try {
            producers.expire(nowMs, config.producerIdExpirationMs());
        } finally {
            lock.unlock();
        }
    }

    /** Idempotent producers this partition remembers. */
    public int producerCount() {
        return producers.size();
    }

    /** Local segments that will receive no more appends and whose roll has finished (durable, with their snapshot), oldest first. */
    public List<SealedSegment> sealedSegments() {
        List<SealedSegment> out = new ArrayList<>();
        // A segment whose roll has not finished may not be durable yet, nor has its snapshot.
        for (LogSegment s : segments.sealed(pendingRolls::firstBase, Long.MAX_VALUE)) {
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
        return segments.bytesFrom(tieredOffset);
    }

    public int untieredSegments() {
        return segments.nonEmptyFrom(tieredOffset);
    }

    /** The first offset held on local disk. */
    @Override
    public long localStartOffset() {
        long first = segments.firstBase(-1);
        return first < 0 ? logEndOffset : Math.max(first, logStartOffset);
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
            long freed = 0;
            while (segments.count() > 1) {
                LogSegment oldest = segments.oldest();
                if (oldest.nextOffset() > tieredOffset) {
                    break;
                }
                boolean expired = retentionMs >= 0 && oldest.maxTimestamp() >= 0 && nowMs - oldest.maxTimestamp() > retentionMs;
                boolean oversized = retentionBytes >= 0 && localBytes > retentionBytes;
                if (!expired && !oversized) {
                    break;
                }
                removeOldestSegment();
                localBytes -= oldest.size();
                freed += oldest.size();
                deleted++;
            }
            if (deleted > 0) {
                log.info("{}: local retention deleted {} tiered segment(s), {} bytes; local log now starts at {}", name, deleted, freed,
                        localStartOffset());
                fsyncDir();
                deleteObsoleteSnapshots();
            }
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /** Moves the log start offset forward (retention across tiers); local segments below it go. */
    @Override
    public void advanceLogStart(long offset) {
        lock.lock();
        try {
            if (offset > logStartOffset) {
                logStartOffset = Math.min(offset, logEndOffset);
                producers.trimAborted(logStartOffset);
                writeStartOffset(logStartOffset);
                deleteSegmentsBelowStart();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the oldest segment: renamed away first, dropped from the list only once that
     * worked; a failure takes the log offline rather than leaving list and disk apart.
     */
    private void removeOldestSegment() {
        LogSegment oldest = segments.oldest();
        try {
            oldest.delete();
        } catch (LogIOException e) {
            throw goOffline(e);
        }
        segments.remove(oldest);
    }

    private void deleteSegmentsBelowStart() {
        epochs.truncateFromStart(logStartOffset);
        boolean any = false;
        while (segments.count() > 1) {
            if (segments.next(segments.oldest()).baseOffset() > logStartOffset) {
                break;
            }
            removeOldestSegment();
            any = true;
        }
        if (any) {
            fsyncDir();
            deleteObsoleteSnapshots();
        }
    }

    // ---- the log cleaner's access (cleanup.policy=compact) ----

    LogFileSystem fileSystem() {
        return fs;
    }

    /** Sealed segments wholly below the high watermark, oldest first: what the cleaner may rewrite. */
    List<LogSegment> sealedBelowStableOffset() {
        // Below the last stable offset only: an open transaction may still abort, and its records must not be
        // taken as the newest of their keys (Kafka's cleaner stops at the first unstable offset too).
        return segments.sealed(pendingRolls::firstBase, lastStableOffset());
    }

    /** Where the cleaner's next pass starts mapping keys (0 before the first pass). */
    long firstDirtyOffset() {
        Path f = dir.resolve(CLEANER_CHECKPOINT_FILE);
        try {
            if (!fs.exists(f)) {
                return 0;
            }
            return Long.parseLong(new String(fs.readAll(f), java.nio.charset.StandardCharsets.UTF_8).trim());
        } catch (IOException | NumberFormatException e) {
            return 0; // a lost checkpoint only makes the next pass map more
        }
    }

    void setFirstDirtyOffset(long offset) {
        try {
            fs.writeAtomically(dir.resolve(CLEANER_CHECKPOINT_FILE), Long.toString(offset).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.warn("{}: cannot write the cleaner checkpoint: {}", name, e.getMessage());
        }
    }

    /**
     * Swaps a segment for its cleaned rewrite ({@code cleaned}, durable): the original is
     * renamed away (readers holding it finish; it is removed later), the rewrite takes its name.
     * False when retention or truncation took the segment meanwhile (the rewrite is dropped).
     */
    boolean replaceSegment(LogSegment original, Path cleaned) {
        lock.lock();
        try {
            ensureOnline();
            if (!segments.contains(original) || segments.active() == original) {
                fs.deleteIfExists(cleaned);
                return false;
            }
            original.delete();
            fs.move(cleaned, dir.resolve(LogSegment.fileName(original.baseOffset(), ".log")));
            fs.fsyncDirectory(dir);
            segments.add(LogSegment.open(fs, dir, original.baseOffset(), config.indexIntervalBytes(), false, h -> { }));
            return true;
        } catch (IOException e) {
            throw goOffline(new LogIOException("cannot swap in the cleaned segment " + cleaned, e));
        } catch (LogIOException e) {
            throw goOffline(e);
        } finally {
            lock.unlock();
        }
    }

    private void fsyncDir() {
        try {
            fs.fsyncDirectory(dir);
        } catch (IOException e) {
            throw goOffline(new LogIOException("cannot fsync directory " + dir, e));
        }
    }

    /** Records the log start offset durably (old or new value after a crash, never a mix) before segments below it go. */
    private void writeStartOffset(long offset) {
        try {
            fs.writeAtomically(dir.resolve(LogLoader.START_OFFSET_FILE), Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw goOffline(new LogIOException("cannot record log start offset in " + dir, e));
        }
    }

    /**
     * Flushes and closes every segment and leaves the clean-shutdown marker. An offline log is
     * closed without the marker, so that the next open checks and truncates it.
     */
    public void close() {
        lock.lock();
        try {
            boolean wasOffline = offline != null;
            if (!wasOffline) {
                flush();
                // Rolls still to finish finish here: their segments were just fsynced.
                pendingRolls.writeAllSnapshots();
            }
            pendingRolls.retirePast(-1);
            for (LogSegment s : segments.all()) {
                s.close();
            }
            if (!wasOffline) {
                fs.deleteIfExists(dir.resolve(LogLoader.CLEAN_MARKER));
                try (var marker = fs.create(dir.resolve(LogLoader.CLEAN_MARKER))) {
                    marker.force();
                }
                fs.fsyncDirectory(dir);
            }
        } catch (IOException e) {
            throw new LogIOException("cannot mark " + dir + " clean", e);
        } finally {
            lock.unlock();
        }
    }

    /** Closes every segment without touching the files (the directory is about to be renamed or removed). */
    public void closeForDeletion() {
        lock.lock();
        try {
            if (offline == null) {
                offline = new LogOfflineException(name + " was deleted", null);
            }
            pendingRolls.retirePast(-1);
            for (LogSegment s : segments.all()) {
                try {
                    s.close();
                } catch (LogIOException e) {
                    log.warn("{}: closing a segment of a deleted log: {}", name, e.getMessage());
                }
            }
            segments.clear();
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

    @Override
    public io.strata.tiering.service.TierPolicy tierPolicy() {
        LogConfig c = config;
        return new io.strata.tiering.service.TierPolicy(c.remoteStorage(), c.compaction().compact(), c.compaction().delete(),
                c.retentionMs(), c.retentionBytes(), c.segmentBytes(), c.compaction().deleteRetentionMs());
    }

    @Override
    public void mapLocalKeys(io.strata.records.CompactionMap map) {
        LogCleaner.mapLocal(this, map);
    }

    @Override
    public java.nio.ByteBuffer localBatches(long offset, int maxBytes) {
        return read(offset, maxBytes).records();
    }

    public LogConfig config() {
        return config;
    }

    /** With no other replica, every appended record is in the ISR, so the high watermark is the log end. */
    /**
     * The offset below which every record is on every in-sync replica: what consumers may read.
     * Unreplicated (one replica), that is the log end; replicated, the leader moves it as
     * followers report their log ends ({@link #updateHighWatermark}).
     */
    @Override
    public long highWatermark() {
        return replicated ? Math.min(highWatermark, logEndOffset) : logEndOffset;
    }

    /** Makes the high watermark follow replication rather than the log end (a partition with followers). */
    public void setReplicated(boolean replicated) {
        if (replicated && !this.replicated) {
            highWatermark = Math.max(highWatermark, logStartOffset);
        }
        this.replicated = replicated;
    }

    public boolean isReplicated() {
        return replicated;
    }

    /** Moves the high watermark forward (never back, never past the log end). */
    @Override
    public void updateHighWatermark(long offset) {
        long target = Math.min(offset, logEndOffset);
        if (target > highWatermark) {
            highWatermark = target;
            appendListener.run();
        }
    }

    /**
     * Appends batches a leader sent, verbatim, with the offsets the leader gave them (a follower's
     * replica fetch). Batches the log already has are skipped; a gap or a bad CRC is refused.
     * Returns the new log end.
     */
    public long appendAsFollower(ByteBuffer records, long nowMs) {
        return appendAsFollower(records, nowMs, -1);
    }

    /**
     * As {@link #appendAsFollower(ByteBuffer, long)}, only while this replica still follows in
     * {@code expectedEpoch} (-1: any): a fetch answered by a leader this replica has since stopped
     * following must not land in its log.
     *
     * @throws StaleEpochException when the replica's role or epoch changed since the fetch was sent
     */
    @Override
    public long appendAsFollower(ByteBuffer records, long nowMs, int expectedEpoch) {
        ensureOnline();
        List<Batches.Batch> batches = Batches.of(records);
        lock.lock();
        try {
            ensureOnline();
            checkFollowing(expectedEpoch);
            int skip = 0;
            int pos = 0;
            for (Batches.Batch b : batches) {
                if (b.lastOffset() >= logEndOffset) {
                    break;
                }
                skip++;
                pos += b.sizeInBytes();
            }
            if (skip == batches.size()) {
                return logEndOffset;
            }
            Batches.Batch first = batches.get(skip);
            // A compacted leader's log has gaps where the cleaner removed whole batches: the replica keeps them as gaps.
            boolean gap = first.baseOffset() > logEndOffset && config.compacted();
            if (first.baseOffset() != logEndOffset && !gap) {
                throw new IllegalStateException(name + ": leader sent offset " + first.baseOffset() + " but the log ends at " + logEndOffset);
            }
            long maxTs = -1;
            long last = logEndOffset - 1;
            long bytes = 0;
            for (int i = skip; i < batches.size(); i++) {
                Batches.Batch b = batches.get(i);
                if (!b.isValid()) {
                    throw new CorruptSegmentException(name + ": replicated batch at offset " + b.baseOffset() + " fails its CRC");
                }
                maxTs = Math.max(maxTs, b.maxTimestamp());
                last = b.lastOffset();
                bytes += b.sizeInBytes();
            }
            ByteBuffer tail = records.duplicate();
            tail.position(records.position() + pos);
            tail.limit(tail.position() + (int) bytes);
            try {
                maybeRoll((int) bytes, last + 1 - logEndOffset, nowMs);
                segments.active().append(first.baseOffset(), last, maxTs, tail.slice());
            } catch (LogIOException e) {
                // As for a leader's append: a disk error leaves nothing writable in an unknown state.
                throw goOffline(e);
            }
            for (int i = skip; i < batches.size(); i++) {
                Batches.Batch b = batches.get(i);
                if (b.hasProducerId() && b.baseSequence() >= 0) {
                    producers.record(b.producerId(), b.producerEpoch(), b.baseSequence(), b.lastSequence(), b.baseOffset(), b.lastOffset(),
                            b.maxTimestamp());
                }
                if (b.isTransactional() && !b.isControl()) {
                    producers.recordTxnData(b.producerId(), b.baseOffset());
                }
                Optional<io.strata.records.TxnMarker> marker = b.isControl() ? b.txnMarker() : Optional.empty();
                if (marker.isPresent()) {
                    producers.recordMarker(b.producerId(), b.producerEpoch(), marker.get().commit(), marker.get().coordinatorEpoch(),
                            b.baseOffset(), b.maxTimestamp());
                }
            }
            for (int i = skip; i < batches.size(); i++) {
                epochs.assign(batches.get(i).partitionLeaderEpoch(), batches.get(i).baseOffset());
            }
            logEndOffset = last + 1;
            appendListener.run();
            return logEndOffset;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long logEndOffset() {
        return logEndOffset;
    }

    // ---- leader epochs (the replication protocol's view of this log) ----

    /**
     * Makes this replica the leader in {@code epoch}: client appends are taken from now on and
     * stamped with it, and the epoch starts at the current log end (Kafka assigns it there when
     * a replica becomes leader, before any append).
     */
    public void becomeLeader(int epoch) {
        lock.lock();
        try {
            leaderEpoch = epoch;
            leading = true;
            epochs.assign(epoch, logEndOffset);
        } finally {
            lock.unlock();
        }
    }

    /** Makes this replica a follower in {@code epoch}: from now on only its leader's batches are appended. */
    public void becomeFollower(int epoch) {
        lock.lock();
        try {
            leaderEpoch = epoch;
            leading = false;
        } finally {
            lock.unlock();
        }
    }

    public boolean isLeading() {
        return leading;
    }

    private void checkFollowing(int expectedEpoch) {
        if (expectedEpoch >= 0 && (leading || leaderEpoch != expectedEpoch)) {
            throw new StaleEpochException(name + " is " + (leading ? "leader" : "a follower") + " in epoch " + leaderEpoch
                    + ", not a follower in epoch " + expectedEpoch);
        }
    }

    /** The leader epoch this replica last learned (the one it leads in, when leading). */
    public int leaderEpoch() {
        return leaderEpoch;
    }

    /** The newest epoch that wrote to (or leads) this log, or -1. */
    @Override
    public int latestEpoch() {
        return epochs.latestEpoch();
    }

    /** Where {@code epoch} ends in this log (OffsetForLeaderEpoch). */
    @Override
    public LeaderEpochCache.EpochEnd endOffsetForEpoch(int epoch) {
        return epochs.endOffsetFor(epoch, logEndOffset);
    }

    public List<LeaderEpochCache.Entry> epochEntries() {
        return epochs.entries();
    }

    /**
     * Cuts the log so that it ends at {@code offset} (rounded down to a batch boundary): what a
     * follower does when its tail diverges from a new leader's. The high watermark, the epoch
     * cache and the producer state follow the cut; segments past it are deleted. Nothing below the
     * high watermark is ever cut by a correct caller — it is on every in-sync replica.
     */
    public void truncateTo(long offset) {
        truncateTo(offset, -1);
    }

    /** As {@link #truncateTo(long)}, only while this replica still follows in {@code expectedEpoch} (-1: any). */
    @Override
    public void truncateTo(long offset, int expectedEpoch) {
        lock.lock();
        try {
            ensureOnline();
            checkFollowing(expectedEpoch);
            if (offset >= logEndOffset) {
                return;
            }
            if (offset < logStartOffset) {
                throw new IllegalArgumentException(name + ": cannot truncate to " + offset + " below the log start " + logStartOffset);
            }
            long before = logEndOffset;
            try {
                pendingRolls.retirePast(offset);
                while (segments.count() > 1 && segments.active().baseOffset() >= offset) {
                    LogSegment last = segments.active();
                    last.delete();
                    segments.remove(last);
                }
                LogSegment active = segments.active();
                active.truncateTo(offset);
                // The snapshots past the cut go durably with the segments: one left behind by a power cut would describe
                // the old history to the next open, which trusts every segment below it.
                snapshots.deleteAfter(offset);
                fs.fsyncDirectory(dir);
            } catch (IOException e) {
                throw goOffline(new LogIOException("cannot truncate " + dir, e));
            } catch (LogIOException e) {
                throw goOffline(e);
            }
            LogSegment active = segments.active();
            logEndOffset = Math.max(active.nextOffset(), active.baseOffset());
            flushedOffset = Math.min(flushedOffset, logEndOffset);
            // After the new end (volatile order): a flush that sees this count reads that end.
            truncations++;
            highWatermark = Math.min(highWatermark, logEndOffset);
            epochs.truncateFromEnd(logEndOffset);
            rebuildProducerState();
            log.info("{}: truncated from {} to {} (diverged from the leader)", name, before, logEndOffset);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Empties the log and continues it at {@code offset}: a follower whose log ends before its
     * leader's log start (everything it lacks was deleted there) starts again where the leader's
     * history begins.
     */
    @Override
    public void truncateFullyAndStartAt(long offset, long nowMs, int expectedEpoch) {
        lock.lock();
        try {
            ensureOnline();
            checkFollowing(expectedEpoch);
            try {
                writeStartOffset(offset);
                pendingRolls.retirePast(-1);
                for (LogSegment seg : segments.all()) {
                    seg.delete();
                }
                segments.clear();
                segments.add(LogSegment.create(fs, dir, offset, config.indexIntervalBytes(), nowMs));
                snapshots.deleteAfter(-1);
                fs.fsyncDirectory(dir);
            } catch (IOException e) {
                throw goOffline(new LogIOException("cannot reset " + dir, e));
            } catch (LogIOException e) {
                throw goOffline(e);
            }
            logStartOffset = offset;
            logEndOffset = offset;
            flushedOffset = offset;
            truncations++;
            highWatermark = offset;
            tieredOffset = Math.max(tieredOffset, offset);
            epochs.clear();
            producers.clear();
            log.info("{}: emptied and continued at {} (the leader's log starts there)", name, offset);
        } finally {
            lock.unlock();
        }
    }

    /** Producer state after a truncation: the newest snapshot at or below the log end, then the batches after it. */
    private void rebuildProducerState() {
        producers.clear();
        long from;
        try {
            from = snapshots.loadNewest(logEndOffset, producers);
        } catch (IOException e) {
            throw goOffline(new LogIOException("cannot read producer snapshots in " + dir, e));
        }
        long since = Math.max(from, 0);
        for (LogSegment seg : segments.all()) {
            if (seg.nextOffset() <= since && seg != segments.active()) {
                continue;
            }
            seg.forEachBatch(h -> {
                if (h.baseOffset() >= since) {
                    producers.replay(h);
                }
            });
        }
    }

    @Override
    public long logStartOffset() {
        return logStartOffset;
    }

    public long flushedOffset() {
        return flushedOffset;
    }

    public long sizeInBytes() {
        return segments.sizeInBytes();
    }

    public int segmentCount() {
        return segments.count();
    }

    @Override
    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }
}
