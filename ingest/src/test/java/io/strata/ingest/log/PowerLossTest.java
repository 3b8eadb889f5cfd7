package io.strata.ingest.log;

import io.strata.tiering.service.RemoteRange;

import io.strata.ingest.log.fs.SimulatedDisk;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomized appends, fsyncs, rolls, retention, DeleteRecords, clean restarts and power cuts
 * (some tearing the last write) on a {@link SimulatedDisk}, checking after every recovery:
 * rolls finish (their segment's fsync and snapshot) only when the harness lets the roll executor run, so
 * cuts land with several rolled segments still unsynced; the log now and then diverges from a new
 * leader and is truncated past its acknowledged records (rolls unfinished included); and
 * every acknowledged (fsynced) record is there with its bytes at its offset; the log start never
 * goes back past what was made durable; offsets are contiguous; whatever else survived is
 * exactly what was appended there (nothing unacknowledged is invented or garbled); and an
 * idempotent producer's retry of its last acknowledged batch is answered with its original offset.
 *
 * <p>Seeds: {@code -Dstrata.powerloss.seeds=N} (default 400 in the suite; {@code
 * scripts/power-loss.sh} runs more), or {@code -Dstrata.powerloss.seed=S} to replay one. A
 * failure names its seed.
 */
class PowerLossTest {
    private static final Path DIR = Path.of("/sim/logs/t-0");

    /** What the producer side knows: what it appended where, and what was acknowledged. */
    private static final class Model {
        final TreeMap<Long, String> appended = new TreeMap<>();
        final TreeMap<Long, String> acked = new TreeMap<>();
        long durableStart;
        long pid = 1;
        int nextSeq;
        /** The last acknowledged idempotent batch: producer id, sequence, its records, its first offset. */
        long lastPid = -1;
        int lastSeq;
        String[] lastValues;
        long lastOffset;
        /** Appended but not yet acknowledged batch of the current producer (becomes "last" when acked). */
        final Map<Long, Object[]> pending = new HashMap<>();
        /** The leader epoch the log leads in (each divergence takes two: one to follow in, one to lead again). */
        int epoch;
    }

    private static final class Stats {
        long appends;
        long cuts;
        long torn;
        long cleanRestarts;
        long crashes;
        long ackedChecked;
        long retries;
        long rollsRun;
        long rollsLostAtCut;
        long truncations;
    }

    /**
     * The log's roll executor, run only when the harness says (slow {@code log-roller} threads), in a random order (a pool
     * may finish one log's rolls out of order); a crash drops what is queued.
     */
    private static final class DeferredRolls implements java.util.concurrent.Executor {
        final java.util.List<Runnable> queued = new java.util.ArrayList<>();

        @Override
        public void execute(Runnable task) {
            queued.add(task);
        }

        int runAll(Random r) {
            int n = 0;
            while (!queued.isEmpty()) {
                queued.remove(r.nextInt(queued.size())).run();
                n++;
            }
            return n;
        }
    }

    @Test
    void acknowledgedRecordsSurviveRandomPowerCuts() {
        String one = System.getProperty("strata.powerloss.seed");
        int seeds = Integer.getInteger("strata.powerloss.seeds", 400);
        long first = one != null ? Long.parseLong(one) : 1;
        int count = one != null ? 1 : seeds;
        Stats stats = new Stats();
        long t0 = System.nanoTime();
        for (long seed = first; seed < first + count; seed++) {
            try {
                runSeed(seed, stats);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("power-loss seed " + seed + " failed (replay: -Dstrata.powerloss.seed=" + seed + "): "
                        + e.getMessage(), e);
            }
        }
        System.out.printf("power-loss harness: %d seeds, %d appends, %d power cuts (%d tearing), %d clean restarts, %d process crashes, "
                        + "%d acknowledged-record checks, %d idempotent retries, %d rolls finished, %d rolls unfinished at a cut, %d truncations, %d ms%n",
                count, stats.appends, stats.cuts, stats.torn, stats.cleanRestarts, stats.crashes, stats.ackedChecked, stats.retries,
                stats.rollsRun, stats.rollsLostAtCut, stats.truncations, (System.nanoTime() - t0) / 1_000_000);
        assertThat(stats.cuts).isPositive();
        assertThat(stats.rollsLostAtCut).as("cuts with rolls still to finish").isPositive();
        assertThat(stats.truncations).isPositive();
    }

    private static LogConfig config(Random r) {
        int segmentBytes = 1024 + r.nextInt(3000);
        long retentionBytes = r.nextBoolean() ? -1 : 3000 + r.nextInt(8000);
        return new LogConfig(segmentBytes, Long.MAX_VALUE / 2, -1, retentionBytes, 1_000_000, 128 + r.nextInt(512), false);
    }

    private static void runSeed(long seed, Stats stats) {
        Random r = new Random(seed);
        SimulatedDisk disk = new SimulatedDisk(seed);
        LogConfig config = config(r);
        Model m = new Model();
        long now = 1_000_000;
        PartitionLog log = PartitionLog.open(disk, DIR, "t-0", config, now, RemoteRange.NONE);
        DeferredRolls rolls = new DeferredRolls();
        log.setRollExecutor(rolls);
        int ops = 120 + r.nextInt(120);
        for (int op = 0; op < ops; op++) {
            int dice = r.nextInt(100);
            if (dice < 52) {
                append(log, m, r, now, stats);
            } else if (dice < 55) {
                diverge(log, m, r, stats);
            } else if (dice < 67) {
                ack(log, m);
            } else if (dice < 72) {
                stats.rollsRun += rolls.runAll(r);
            } else if (dice < 76) {
                long hw = log.highWatermark();
                long target = log.logStartOffset() + (hw > log.logStartOffset() ? r.nextInt((int) (hw - log.logStartOffset()) + 1) : 0);
                m.durableStart = Math.max(m.durableStart, log.deleteRecordsBefore(target));
            } else if (dice < 81) {
                log.applyRetention(now);
                m.durableStart = Math.max(m.durableStart, log.logStartOffset());
            } else if (dice < 86) {
                log.close();
                ackAll(m, log.logEndOffset());
                stats.cleanRestarts++;
                rolls.queued.clear();
                log = reopen(disk, config, m, now, stats);
                log.setRollExecutor(rolls);
            } else if (dice < 90) {
                // kill -9: the process dies, the page cache (and so every written byte) stays.
                stats.crashes++;
                rolls.queued.clear();
                log = reopen(disk, config, m, now, stats);
                log.setRollExecutor(rolls);
            } else {
                boolean tear = r.nextBoolean();
                disk.powerCut(tear);
                stats.cuts++;
                stats.rollsLostAtCut += rolls.queued.size();
                rolls.queued.clear();
                if (tear) {
                    stats.torn++;
                }
                log = reopen(disk, config, m, now, stats);
                log.setRollExecutor(rolls);
            }
        }
        log.close();
        reopen(disk, config, m, now, stats).close();
    }

    private static void append(PartitionLog log, Model m, Random r, long now, Stats stats) {
        int n = 1 + r.nextInt(4);
        String[] values = new String[n];
        SimpleRecord[] records = new SimpleRecord[n];
        for (int i = 0; i < n; i++) {
            values[i] = "p" + m.pid + "-s" + (m.nextSeq + i) + "-" + Long.toHexString(r.nextLong());
            records[i] = new SimpleRecord(now, null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        ByteBuffer batch = MemoryRecords.withIdempotentRecords(Compression.NONE, m.pid, (short) 0, m.nextSeq, records).buffer();
        AppendResult res = log.append(batch, now);
        assertThat(res.error()).as(res.message()).isEqualTo(Errors.NONE);
        assertThat(res.baseOffset()).as("offsets continue at the log end").isEqualTo(log.logEndOffset() - n);
        for (int i = 0; i < n; i++) {
            m.appended.put(res.baseOffset() + i, values[i]);
        }
        m.pending.put(res.baseOffset(), new Object[]{m.pid, m.nextSeq, values});
        m.nextSeq += n;
        stats.appends++;
    }

    /**
     * A new leader's log differs after the acknowledged records: this replica follows it, cuts its
     * tail at a random point past them, and leads again in a later epoch (what a follower that was
     * leader before does, condensed). A new producer goes on, as after a restart.
     */
    private static void diverge(PartitionLog log, Model m, Random r, Stats stats) {
        // Acknowledged ends are batch boundaries; the cut, rounded down to one, stays past them and past the log start.
        long from = m.acked.isEmpty() ? 0 : m.acked.lastKey() + 1;
        long end = log.logEndOffset();
        if (from < log.logStartOffset() || from >= end) {
            return;
        }
        long cut = from + r.nextInt((int) (end - from));
        m.epoch++;
        log.becomeFollower(m.epoch);
        log.truncateTo(cut);
        long after = log.logEndOffset();
        assertThat(after).as("the cut lands at a batch boundary at or before " + cut).isBetween(from, cut);
        m.epoch++;
        log.becomeLeader(m.epoch);
        m.appended.tailMap(after).clear();
        m.pending.keySet().removeIf(o -> o >= after);
        m.pid++;
        m.nextSeq = 0;
        stats.truncations++;
    }

    private static void ack(PartitionLog log, Model m) {
        long durableEnd = log.flush();
        ackAll(m, durableEnd);
    }

    private static void ackAll(Model m, long end) {
        for (Map.Entry<Long, String> e : m.appended.headMap(end).entrySet()) {
            m.acked.put(e.getKey(), e.getValue());
        }
        for (Map.Entry<Long, Object[]> e : new TreeMap<>(m.pending).entrySet()) {
            String[] values = (String[]) e.getValue()[2];
            if (e.getKey() + values.length <= end) {
                m.lastPid = (long) e.getValue()[0];
                m.lastSeq = (int) e.getValue()[1];
                m.lastValues = values;
                m.lastOffset = e.getKey();
                m.pending.remove(e.getKey());
            }
        }
    }

    private static PartitionLog reopen(SimulatedDisk disk, LogConfig config, Model m, long now, Stats stats) {
        PartitionLog log = PartitionLog.open(disk, DIR, "t-0", config, now, RemoteRange.NONE);
        if (m.epoch > 0) {
            log.becomeLeader(m.epoch);
        }
        long start = log.logStartOffset();
        long end = log.logEndOffset();
        assertThat(start).as("log start offset: exactly the last one made durable").isEqualTo(m.durableStart);
        if (!m.acked.isEmpty()) {
            assertThat(end).as("log end covers every acknowledged record").isGreaterThan(m.acked.lastKey());
        }
        Map<Long, String> present = readAll(log, start, end);
        for (Map.Entry<Long, String> e : m.acked.tailMap(m.durableStart).entrySet()) {
            assertThat(present.get(e.getKey())).as("acknowledged record at offset " + e.getKey()).isEqualTo(e.getValue());
            stats.ackedChecked++;
        }
        for (Map.Entry<Long, String> e : present.entrySet()) {
            assertThat(e.getValue()).as("record at offset " + e.getKey() + " is what was appended there")
                    .isEqualTo(m.appended.get(e.getKey()));
        }
        // What did not survive is gone for good; its offsets will be reused.
        m.appended.tailMap(end).clear();
        m.acked.tailMap(end).clear();
        m.pending.keySet().removeIf(o -> o >= end);
        // Whatever survived is on disk now (recovery fsyncs what it keeps only if it truncated): treat
        // surviving but unacknowledged records as not acknowledged; they may still vanish at a later cut
        // only if they were never synced, which the next flush settles.
        retryLastAcked(log, m, start, stats, now);
        // A new producer for the next incarnation (a real one would bump its epoch or get a new id).
        m.pid++;
        m.nextSeq = 0;
        return log;
    }

    private static void retryLastAcked(PartitionLog log, Model m, long start, Stats stats, long now) {
        if (m.lastPid < 0 || m.lastOffset < start) {
            return;
        }
        SimpleRecord[] records = new SimpleRecord[m.lastValues.length];
        for (int i = 0; i < records.length; i++) {
            records[i] = new SimpleRecord(now, null, m.lastValues[i].getBytes(StandardCharsets.UTF_8));
        }
        long endBefore = log.logEndOffset();
        AppendResult res = log.append(MemoryRecords.withIdempotentRecords(Compression.NONE, m.lastPid, (short) 0, m.lastSeq, records).buffer(), now);
        stats.retries++;
        if (res.error() == Errors.NONE) {
            assertThat(res.baseOffset()).as("a retried acknowledged batch gets its original offset").isEqualTo(m.lastOffset);
            assertThat(log.logEndOffset()).as("a duplicate is not written again").isEqualTo(endBefore);
        } else {
            // Five later batches of that producer survived, so the retry is older than the batches kept: known as
            // written (Kafka's DUPLICATE_SEQUENCE_NUMBER, success without offsets), never rewritten.
            assertThat(res.error()).isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER);
            assertThat(log.logEndOffset()).as("a duplicate is not written again").isEqualTo(endBefore);
        }
    }

    private static Map<Long, String> readAll(PartitionLog log, long from, long to) {
        Map<Long, String> out = new TreeMap<>();
        long offset = from;
        long expected = -1;
        while (offset < to) {
            ByteBuffer bytes = log.read(offset, 1 << 20).records();
            assertThat(bytes.hasRemaining()).as("data at offset " + offset + " below the log end " + to).isTrue();
            for (RecordBatch b : MemoryRecords.readableRecords(bytes).batches()) {
                assertThat(b.isValid()).as("batch at " + b.baseOffset() + " passes its CRC").isTrue();
                for (Record rec : b) {
                    if (expected >= 0) {
                        assertThat(rec.offset()).as("offsets are contiguous").isEqualTo(expected);
                    }
                    expected = rec.offset() + 1;
                    if (rec.offset() >= from) {
                        byte[] v = new byte[rec.valueSize()];
                        rec.value().get(v);
                        out.put(rec.offset(), new String(v, StandardCharsets.UTF_8));
                    }
                }
                offset = b.lastOffset() + 1;
            }
        }
        return out;
    }
}
