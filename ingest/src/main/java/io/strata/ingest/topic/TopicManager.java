package io.strata.ingest.topic;

import io.strata.ingest.config.ConfigException;
import io.strata.ingest.log.GroupCommit;
import io.strata.ingest.log.LogIOException;
import io.strata.ingest.log.PartitionLog;
import io.strata.ingest.log.fs.DiskFileSystem;
import io.strata.ingest.log.fs.LogFileSystem;
import io.strata.metastore.store.TopicCatalog;
import io.strata.metastore.store.TopicRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Topics of this node: the catalog in the MetaStore and the partition logs on local disk.
 * Each partition's directory {@code logs/<topic>-<p>} carries a {@code topic-id} file (written
 * once, fsynced), so a log left behind by a deleted topic is never mistaken for a new topic of
 * the same name.
 *
 * <p>Nothing is deleted on weak evidence: at start a directory the catalog does not know, or
 * whose topic id differs, is moved aside as {@code <dir>.<uuid>-stray} and kept for an operator
 * to look at. A deleted topic's directories are renamed {@code <dir>.<uuid>-delete} (so a
 * recreated topic starts empty) and removed in the background by the {@code log-deleter} thread.
 */
public final class TopicManager implements AutoCloseable, io.strata.tiering.service.TieredLogs {
    private static final Logger log = LoggerFactory.getLogger(TopicManager.class);

    private static final String STRAY = "-stray";
    private static final String DELETE = "-delete";

    private final LogFileSystem fs;
    private final TopicCatalog catalog;
    private final TopicConfigs configs;
    private final java.util.concurrent.ExecutorService deleter = io.strata.ingest.util.NamedThreads.single("log-deleter");
    /**
     * Finishes segment rolls (the sealed segment's fsync and producer snapshot) off the request threads. A few threads: they
     * wait on the disk, and one roll fsyncing a whole segment must not hold up every other partition's.
     */
    private final java.util.concurrent.ExecutorService roller = java.util.concurrent.Executors.newFixedThreadPool(ROLL_THREADS,
            io.strata.ingest.util.NamedThreads.daemon("log-roller", true));
    static final int ROLL_THREADS = 4;
    private final Path logsDir;
    private final LongSupplier clock;
    private final GroupCommit groupCommit = new GroupCommit();
    private final io.strata.ingest.log.LogFlusher flusher = new io.strata.ingest.log.LogFlusher(groupCommit);
    private final Map<String, TopicRecord> topics = new ConcurrentHashMap<>();
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    private volatile AppendListener appendListener = tp -> { };
    private volatile RemoteRanges remoteRanges = (topicId, partition) -> io.strata.tiering.service.RemoteRange.NONE;
    private final List<java.util.function.Consumer<TopicRecord>> deletionListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Told when a topic is gone (deleted here or through another node), after its logs are dropped. */
    public void addDeletionListener(java.util.function.Consumer<TopicRecord> listener) {
        deletionListeners.add(listener);
    }

    /** What object storage holds of a partition, consulted when its log opens. */
    public interface RemoteRanges {
        io.strata.tiering.service.RemoteRange of(java.util.UUID topicId, int partition);
    }

    /** Tiering hooks: remote ranges for opening logs, and cleanup when a topic is deleted. */
    public void setTiering(RemoteRanges ranges, java.util.function.Consumer<TopicRecord> deleted) {
        this.remoteRanges = ranges;
        addDeletionListener(deleted);
    }

    private volatile java.util.function.IntSupplier liveNodes = () -> 1;
    private volatile int defaultReplicationFactor = 1;

    /** How many nodes are live (replication factors above it are refused) and the default factor. */
    public void setReplicationLimits(java.util.function.IntSupplier liveNodes, int defaultReplicationFactor) {
        this.liveNodes = liveNodes;
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    /** Told after every append, so that waiting fetches can wake up. */
    public interface AppendListener {
        void appended(TopicPartition tp);
    }

    public TopicManager(TopicCatalog catalog, TopicConfigs configs, Path dataDir, LongSupplier clock) {
        this(DiskFileSystem.INSTANCE, catalog, configs, dataDir, clock);
    }

    public TopicManager(LogFileSystem fs, TopicCatalog catalog, TopicConfigs configs, Path dataDir, LongSupplier clock) {
        this.fs = fs;
        this.catalog = catalog;
        this.configs = configs;
        this.logsDir = dataDir.resolve("logs");
        this.clock = clock;
    }

    /**
     * Loads the catalog and opens (recovering) every partition log; directories of deleted
     * topics left by a crash are removed, unknown ones are moved aside, never deleted.
     */
    public synchronized void start() {
        try {
            fs.createDirectories(logsDir);
        } catch (IOException e) {
            throw new LogIOException("cannot create " + logsDir, e);
        }
        for (TopicRecord t : catalog.list()) {
            topics.put(t.name(), t);
            for (int p = 0; p < t.partitions(); p++) {
                openLog(t, p);
            }
        }
        java.util.Set<Path> open = new java.util.HashSet<>();
        for (TopicPartition tp : logs.keySet()) {
            open.add(logDir(tp.topic(), tp.partition()));
        }
        try {
            for (Path d : fs.list(logsDir)) {
                String name = d.getFileName().toString();
                if (name.endsWith(DELETE)) {
                    deleteInBackground(d);
                } else if (!name.endsWith(STRAY) && fs.isDirectory(d) && !open.contains(d)) {
                    Path aside = moveAside(d, STRAY);
                    log.warn("log directory {} belongs to no topic in the MetaStore; moved aside to {} (not deleted)",
                            name, aside.getFileName());
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot list " + logsDir, e);
        }
    }

    private Path logDir(String topic, int partition) {
        return logsDir.resolve(topic + "-" + partition);
    }

    /** Renames {@code dir} to {@code <dir>.<uuid><suffix>} durably. */
    private Path moveAside(Path dir, String suffix) {
        Path target = dir.resolveSibling(dir.getFileName() + "." + java.util.UUID.randomUUID().toString().replace("-", "") + suffix);
        try {
            fs.move(dir, target);
            fs.fsyncDirectory(logsDir);
            return target;
        } catch (IOException e) {
            throw new LogIOException("cannot move " + dir + " aside", e);
        }
    }

    private void deleteInBackground(Path dir) {
        deleter.execute(() -> {
            try {
                fs.deleteRecursively(dir);
                fs.fsyncDirectory(logsDir);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot remove {} of a deleted topic yet: {}", dir.getFileName(), e.getMessage());
            }
        });
    }

    private PartitionLog openLog(TopicRecord t, int partition) {
        TopicPartition tp = new TopicPartition(t.name(), partition);
        return logs.computeIfAbsent(tp, k -> {
            Path dir = logDir(t.name(), partition);
            Path idFile = dir.resolve("topic-id");
            try {
                if (fs.exists(idFile)) {
                    String stored = new String(fs.readAll(idFile), StandardCharsets.UTF_8).trim();
                    if (!stored.equals(t.id().toString())) {
                        Path aside = moveAside(dir, STRAY);
                        log.warn("{} holds topic id {} but topic {} is {} in the MetaStore; moved it aside to {} (not deleted)",
                                dir.getFileName(), stored, t.name(), t.id(), aside.getFileName());
                    }
                }
                if (!fs.exists(idFile)) {
                    fs.createDirectories(dir);
                    fs.writeAtomically(idFile, t.id().toString().getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new LogIOException("cannot prepare " + dir, e);
            }
            PartitionLog pl = PartitionLog.open(fs, dir, tp.toString(), configs.logConfig(t.configs()), clock.getAsLong(),
                    remoteRanges.of(t.id(), partition));
            pl.setAppendListener(() -> appendListener.appended(tp));
            pl.setRollExecutor(roller, groupCommit::recordFsync);
            return pl;
        });
    }

    public void setAppendListener(AppendListener listener) {
        this.appendListener = listener;
    }

    /** A topic known to this node; the cache is kept by {@link #refresh()}. Never touches the MetaStore. */
    public Optional<TopicRecord> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /**
     * A topic by name, asking the MetaStore when this node has not seen it yet (another node
     * may have created it); adopts it, opening its logs.
     *
     * @throws io.strata.metastore.MetaStoreUnavailableException when the store cannot be reached
     */
    public Optional<TopicRecord> lookup(String name) {
        TopicRecord known = topics.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<TopicRecord> stored = catalog.get(name);
        stored.ifPresent(this::adopt);
        return stored;
    }

    private synchronized void adopt(TopicRecord t) {
        TopicRecord current = topics.get(t.name());
        if (current != null && !current.id().equals(t.id())) {
            dropLocal(current);
        }
        topics.put(t.name(), t);
        for (int p = 0; p < t.partitions(); p++) {
            PartitionLog pl = openLog(t, p);
            pl.updateConfig(configs.logConfig(t.configs()));
        }
    }

    private void dropLocal(TopicRecord t) {
        topics.remove(t.name());
        for (int p = 0; p < t.partitions(); p++) {
            PartitionLog pl = logs.remove(new TopicPartition(t.name(), p));
            if (pl != null) {
                pl.closeForDeletion();
                Path dir = logDir(t.name(), p);
                if (fs.exists(dir)) {
                    deleteInBackground(moveAside(dir, DELETE));
                }
            }
        }
        for (var listener : deletionListeners) {
            try {
                listener.accept(t);
            } catch (RuntimeException e) {
                log.warn("cleaning up after deleted topic {}: {}", t.name(), e.getMessage());
            }
        }
    }

    /**
     * Brings this node's view in line with the catalog: topics created, extended, reconfigured
     * or deleted through other nodes. Called periodically; a MetaStore outage leaves the view as
     * it was.
     */
    public synchronized void refresh() {
        Map<String, TopicRecord> stored = new HashMap<>();
        for (TopicRecord t : catalog.list()) {
            stored.put(t.name(), t);
        }
        for (TopicRecord t : List.copyOf(topics.values())) {
            TopicRecord s = stored.get(t.name());
            if (s == null || !s.id().equals(t.id())) {
                log.info("topic {} was deleted through another node", t.name());
                dropLocal(t);
            }
        }
        for (TopicRecord s : stored.values()) {
            if (!s.equals(topics.get(s.name()))) {
                adopt(s);
            }
        }
    }

    public Optional<TopicRecord> topicById(java.util.UUID id) {
        return topics.values().stream().filter(t -> t.id().equals(id)).findFirst();
    }

    /** A copy of the logs this node holds (for a walk that must not see changes; {@link #hosts} to test one). */
    public Map<TopicPartition, PartitionLog> logs() {
        return Map.copyOf(logs);
    }

    /** Whether this node holds a log of {@code tp}, without copying the map. */
    public boolean hosts(TopicPartition tp) {
        return logs.containsKey(tp);
    }

    public Collection<TopicRecord> topics() {
        return List.copyOf(topics.values());
    }

    public Optional<PartitionLog> partition(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    public static void validateName(String name) {
        try {
            Topic.validate(name);
        } catch (InvalidTopicException e) {
            throw new TopicException(Errors.INVALID_TOPIC_EXCEPTION, e.getMessage());
        }
    }

    /** Checks a new topic's settings; returns its canonical config overrides. */
    public Map<String, String> validateNew(String name, int partitions, Map<String, String> overrides) {
        validateName(name);
        if (partitions < 1) {
            throw new TopicException(Errors.INVALID_PARTITIONS, "Number of partitions must be at least 1, got " + partitions);
        }
        return validateConfigs(overrides);
    }

    public static Map<String, String> validateConfigs(Map<String, String> overrides) {
        Map<String, String> canonical = new HashMap<>();
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            try {
                canonical.put(e.getKey(), TopicConfigs.validate(e.getKey(), e.getValue()));
            } catch (ConfigException ex) {
                throw new TopicException(Errors.INVALID_CONFIG, ex.getMessage());
            }
        }
        return canonical;
    }

    /** Creates a topic and its logs; TOPIC_ALREADY_EXISTS when the name is taken. */
    public synchronized TopicRecord create(String name, int partitions, short replicationFactor, Map<String, String> overrides) {
        Map<String, String> canonical = validateNew(name, partitions, overrides);
        if (replicationFactor < 1 && replicationFactor != -1) {
            throw new TopicException(Errors.INVALID_REPLICATION_FACTOR, "Replication factor must be at least 1, got " + replicationFactor);
        }
        // Without a factor: the default (3), or every live node when fewer are live (one on a single node).
        short rf = replicationFactor == -1 ? (short) Math.max(1, Math.min(defaultReplicationFactor, liveNodes.getAsInt())) : replicationFactor;
        if (rf > liveNodes.getAsInt()) {
            throw new TopicException(Errors.INVALID_REPLICATION_FACTOR, "Replication factor " + rf + " is larger than the "
                    + liveNodes.getAsInt() + " live node(s)");
        }
        TopicCatalog.CreateResult r = catalog.create(name, partitions, rf, canonical);
        if (!r.created()) {
            adopt(r.topic());
            throw new TopicException(Errors.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists.");
        }
        topics.put(name, r.topic());
        for (int p = 0; p < partitions; p++) {
            openLog(r.topic(), p);
        }
        log.info("created topic {} with {} partition(s), configs {}", name, partitions, canonical);
        return r.topic();
    }

    public synchronized void delete(String name) {
        TopicRecord t = catalog.delete(name).orElseThrow(() ->
                new TopicException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist."));
        dropLocal(topics.getOrDefault(name, t));
        log.info("deleted topic {}", name);
    }

    public synchronized void createPartitions(String name, int newTotal, boolean validateOnly) {
        TopicRecord t = lookup(name).orElse(null);
        if (t == null) {
            throw new TopicException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist.");
        }
        if (newTotal <= t.partitions()) {
            throw new TopicException(Errors.INVALID_PARTITIONS, "Topic currently has " + t.partitions()
                    + " partitions, which is higher than the requested " + newTotal + ".");
        }
        if (validateOnly) {
            return;
        }
        TopicRecord updated = t.withPartitions(newTotal);
        if (!catalog.update(updated)) {
            throw new TopicException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' was deleted concurrently.");
        }
        topics.put(name, updated);
        for (int p = t.partitions(); p < newTotal; p++) {
            openLog(updated, p);
        }
    }

    /** Replaces a topic's config overrides (already validated) and applies them to its logs. */
    public synchronized void setConfigs(String name, Map<String, String> overrides) {
        TopicRecord t = lookup(name).orElse(null);
        if (t == null) {
            throw new TopicException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist.");
        }
        TopicRecord updated = t.withConfigs(overrides);
        if (!catalog.update(updated)) {
            throw new TopicException(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' was deleted concurrently.");
        }
        topics.put(name, updated);
        for (int p = 0; p < updated.partitions(); p++) {
            PartitionLog pl = logs.get(new TopicPartition(name, p));
            if (pl != null) {
                pl.updateConfig(configs.logConfig(overrides));
            }
        }
    }

    public TopicConfigs configs() {
        return configs;
    }

    public GroupCommit groupCommit() {
        return groupCommit;
    }

    /** One log-cleaner round: a pass over every compacted log that is due one (dirty ratio or max lag). */
    public void cleanCompactedLogs() {
        for (PartitionLog pl : logs.values()) {
            if (!pl.config().compacted() || pl.isOffline()) {
                continue;
            }
            try {
                io.strata.ingest.log.LogCleaner.cleanIfDue(pl, clock.getAsLong()).ifPresent(r -> {
                    if (r.segmentsRewritten() > 0) {
                        log.info("{}: log cleaner rewrote {} segment(s) up to offset {}: {} -> {} bytes, {} record(s) removed", pl.name(),
                                r.segmentsRewritten(), r.cleanedTo(), r.bytesBefore(), r.bytesAfter(), r.recordsRemoved());
                    }
                });
            } catch (RuntimeException e) {
                log.error("log cleaner failed for {}", pl.name(), e);
            }
        }
    }

    /** Runs retention on every log; returns the number of segments deleted. */
    public int applyRetention() {
        int deleted = 0;
        for (PartitionLog pl : logs.values()) {
            try {
                deleted += pl.applyRetention(clock.getAsLong());
            } catch (RuntimeException e) {
                log.error("retention failed for {}", pl.name(), e);
            }
        }
        return deleted;
    }

    public long now() {
        return clock.getAsLong();
    }

    /** Starts an fsync of every log due one by its flush.ms (see {@link io.strata.ingest.log.LogFlusher}). */
    public int flushDue() {
        return flusher.flushDue(logs.values());
    }

    @Override
    public synchronized void close() {
        groupCommit.close();
        deleter.shutdown();
        List<RuntimeException> errors = new ArrayList<>();
        for (PartitionLog pl : logs.values()) {
            try {
                pl.close();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        logs.clear();
        // After the logs: each finished its own pending rolls as it closed, so what is still queued has nothing to do.
        roller.shutdown();
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
    }
}
