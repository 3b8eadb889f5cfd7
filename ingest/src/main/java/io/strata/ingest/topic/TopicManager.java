package io.strata.ingest.topic;

import io.strata.ingest.config.ConfigException;
import io.strata.ingest.log.GroupCommit;
import io.strata.ingest.log.LogIOException;
import io.strata.ingest.log.PartitionLog;
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
 * Each partition's directory {@code logs/<topic>-<p>} carries a {@code topic-id} file, so a log
 * left behind by a deleted topic is never mistaken for a new topic of the same name.
 */
public final class TopicManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicManager.class);

    private final TopicCatalog catalog;
    private final TopicConfigs configs;
    private final Path logsDir;
    private final LongSupplier clock;
    private final GroupCommit groupCommit = new GroupCommit();
    private final Map<String, TopicRecord> topics = new ConcurrentHashMap<>();
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    private volatile AppendListener appendListener = tp -> { };
    private volatile RemoteRanges remoteRanges = (topicId, partition) -> io.strata.ingest.log.RemoteRange.NONE;
    private volatile java.util.function.Consumer<TopicRecord> onDelete = t -> { };

    /** What object storage holds of a partition, consulted when its log opens. */
    public interface RemoteRanges {
        io.strata.ingest.log.RemoteRange of(java.util.UUID topicId, int partition);
    }

    /** Tiering hooks: remote ranges for opening logs, and cleanup when a topic is deleted. */
    public void setTiering(RemoteRanges ranges, java.util.function.Consumer<TopicRecord> deleted) {
        this.remoteRanges = ranges;
        this.onDelete = deleted;
    }

    /** Told after every append, so that waiting fetches can wake up. */
    public interface AppendListener {
        void appended(TopicPartition tp);
    }

    public TopicManager(TopicCatalog catalog, TopicConfigs configs, Path dataDir, LongSupplier clock) {
        this.catalog = catalog;
        this.configs = configs;
        this.logsDir = dataDir.resolve("logs");
        this.clock = clock;
    }

    /** Loads the catalog, opens (recovering) every partition log, and removes logs of topics that are gone. */
    public synchronized void start() {
        try {
            Files.createDirectories(logsDir);
        } catch (IOException e) {
            throw new LogIOException("cannot create " + logsDir, e);
        }
        for (TopicRecord t : catalog.list()) {
            topics.put(t.name(), t);
            for (int p = 0; p < t.partitions(); p++) {
                openLog(t, p);
            }
        }
        try (Stream<Path> dirs = Files.list(logsDir)) {
            for (Path d : dirs.toList()) {
                if (!isLive(d)) {
                    log.info("removing log directory {} of a deleted topic", d.getFileName());
                    deleteDir(d);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot list " + logsDir, e);
        }
    }

    private boolean isLive(Path dir) {
        try {
            Path idFile = dir.resolve("topic-id");
            if (!Files.exists(idFile)) {
                return false;
            }
            String id = Files.readString(idFile, StandardCharsets.UTF_8).trim();
            return topics.values().stream().anyMatch(t -> t.id().toString().equals(id)
                    && dir.getFileName().toString().startsWith(t.name() + "-"));
        } catch (IOException e) {
            return false;
        }
    }

    private PartitionLog openLog(TopicRecord t, int partition) {
        TopicPartition tp = new TopicPartition(t.name(), partition);
        return logs.computeIfAbsent(tp, k -> {
            Path dir = logsDir.resolve(t.name() + "-" + partition);
            try {
                Path idFile = dir.resolve("topic-id");
                if (Files.exists(idFile) && !Files.readString(idFile, StandardCharsets.UTF_8).trim().equals(t.id().toString())) {
                    deleteDir(dir);
                }
                Files.createDirectories(dir);
                Files.writeString(idFile, t.id().toString(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new LogIOException("cannot prepare " + dir, e);
            }
            PartitionLog pl = PartitionLog.open(dir, tp.toString(), configs.logConfig(t.configs()), clock.getAsLong(),
                    remoteRanges.of(t.id(), partition));
            pl.setAppendListener(() -> appendListener.appended(tp));
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
        try {
            onDelete.accept(t);
        } catch (RuntimeException e) {
            log.warn("cleaning up tiered data of deleted topic {}: {}", t.name(), e.getMessage());
        }
        for (int p = 0; p < t.partitions(); p++) {
            PartitionLog pl = logs.remove(new TopicPartition(t.name(), p));
            if (pl != null) {
                pl.delete();
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

    /** Every open partition log with its topic. */
    public Map<TopicPartition, PartitionLog> logs() {
        return Map.copyOf(logs);
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
        if (replicationFactor != 1 && replicationFactor != -1) {
            throw new TopicException(Errors.INVALID_REPLICATION_FACTOR,
                    "Replication factor " + replicationFactor + " is larger than the 1 node available");
        }
        TopicCatalog.CreateResult r = catalog.create(name, partitions, (short) 1, canonical);
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

    @Override
    public synchronized void close() {
        groupCommit.close();
        List<RuntimeException> errors = new ArrayList<>();
        for (PartitionLog pl : logs.values()) {
            try {
                pl.close();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        logs.clear();
        if (!errors.isEmpty()) {
            throw errors.get(0);
        }
    }

    private static void deleteDir(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new LogIOException("cannot delete " + dir, e);
        }
    }
}
