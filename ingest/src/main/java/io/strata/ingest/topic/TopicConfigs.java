package io.strata.ingest.topic;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import io.strata.ingest.config.Setting;
import io.strata.ingest.log.LogConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The topic-level configs Strata honours, by Kafka's names, with their broker-level defaults.
 * A topic stores only its overrides; {@link #effective} fills in the rest.
 */
public final class TopicConfigs {
    /** Topic config key → the broker setting that supplies its default. */
    private static final Map<String, String> BROKER_DEFAULT = Map.ofEntries(
            Map.entry("segment.bytes", "log.segment.bytes"),
            Map.entry("segment.ms", "log.roll.ms"),
            Map.entry("retention.ms", "log.retention.ms"),
            Map.entry("retention.bytes", "log.retention.bytes"),
            Map.entry("max.message.bytes", "message.max.bytes"),
            Map.entry("index.interval.bytes", "log.index.interval.bytes"),
            Map.entry("message.timestamp.type", "log.message.timestamp.type"),
            Map.entry("message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms"),
            Map.entry("message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms"),
            Map.entry("local.retention.ms", "log.local.retention.ms"),
            Map.entry("local.retention.bytes", "log.local.retention.bytes"),
            Map.entry("min.insync.replicas", "min.insync.replicas"),
            Map.entry("flush.messages", "log.flush.interval.messages"),
            Map.entry("flush.ms", "log.flush.interval.ms"));

    private static final List<Setting> TOPIC_SETTINGS = List.of(
            Setting.ofChoice("cleanup.policy", "delete", List.of("delete", "compact", "compact,delete"), "delete: segments go by retention.ms/retention.bytes; compact: the log cleaner keeps the latest record of each key (records need keys); compact,delete: both."),
            Setting.ofLong("delete.retention.ms", 86_400_000L, 0, Long.MAX_VALUE, "Compacted topics: how long a tombstone (a null value) stays readable once its segment was cleaned."),
            Setting.ofString("min.cleanable.dirty.ratio", "0.5", "Compacted topics: the share of the log not yet cleaned above which the cleaner cleans it (0 to 1)."),
            Setting.ofLong("min.compaction.lag.ms", 0, 0, Long.MAX_VALUE, "Compacted topics: a record stays uncompacted at least this long."),
            Setting.ofLong("max.compaction.lag.ms", Long.MAX_VALUE, 1, Long.MAX_VALUE, "Compacted topics: a record is eligible for cleaning at the latest this long after it was written, whatever the dirty ratio."),
            Setting.ofInt("segment.bytes", 1 << 30, 1024, Integer.MAX_VALUE, "Roll a segment at this size (broker default: log.segment.bytes)."),
            Setting.ofLong("segment.ms", 604_800_000L, 1, Long.MAX_VALUE, "Roll a segment at this age (broker default: log.roll.ms)."),
            Setting.ofLong("retention.ms", 604_800_000L, -1, Long.MAX_VALUE, "Delete data older than this, across tiers; -1 keeps it forever (broker default: log.retention.ms)."),
            Setting.ofLong("retention.bytes", -1, -1, Long.MAX_VALUE, "Delete the oldest data beyond this size, across tiers; -1 is unlimited (broker default: log.retention.bytes)."),
            Setting.ofInt("max.message.bytes", 1024 * 1024 + 12, 0, Integer.MAX_VALUE, "Largest record batch accepted (broker default: message.max.bytes)."),
            Setting.ofInt("index.interval.bytes", 4096, 0, Integer.MAX_VALUE, "Bytes between offset index entries (broker default: log.index.interval.bytes)."),
            Setting.ofChoice("message.timestamp.type", "CreateTime", List.of("CreateTime", "LogAppendTime"), "Which timestamp records keep (broker default: log.message.timestamp.type)."),
            Setting.ofLong("message.timestamp.before.max.ms", Long.MAX_VALUE, 0, Long.MAX_VALUE, "With CreateTime, reject records whose timestamp is more than this before the broker's clock (broker default: log.message.timestamp.before.max.ms)."),
            Setting.ofLong("message.timestamp.after.max.ms", 3_600_000L, 0, Long.MAX_VALUE, "With CreateTime, reject records whose timestamp is more than this after the broker's clock (broker default: log.message.timestamp.after.max.ms)."),
            Setting.ofInt("min.insync.replicas", 1, 1, Integer.MAX_VALUE, "In-sync replicas an acks=all produce needs; fewer gets NOT_ENOUGH_REPLICAS (broker default: min.insync.replicas)."),
            Setting.ofLong("flush.messages", Long.MAX_VALUE, 1, Long.MAX_VALUE, "An acks=0 or acks=1 produce that leaves this many records unsynced or more is fsynced before it is answered (1: every one); acks=all is always fsynced first (broker default: log.flush.interval.messages)."),
            Setting.ofLong("flush.ms", 1000, 0, Long.MAX_VALUE, "A log not fsynced for this long while it holds unsynced records (acks=0 or acks=1) is fsynced; acks=all is always fsynced first (broker default: log.flush.interval.ms)."),
            Setting.ofBoolean("remote.storage.enable", false, "Tier sealed segments to object storage (default: on when an object store is configured)."),
            Setting.ofLong("local.retention.ms", -2, -2, Long.MAX_VALUE, "Keep tiered segments on local disk this long; -2 means retention.ms (broker default: log.local.retention.ms)."),
            Setting.ofLong("local.retention.bytes", -2, -2, Long.MAX_VALUE, "Keep at most this many bytes on local disk once tiered; -2 means retention.bytes (broker default: log.local.retention.bytes)."));

    private final BrokerConfig broker;

    public TopicConfigs(BrokerConfig broker) {
        this.broker = broker;
    }

    public static List<Setting> settings() {
        return TOPIC_SETTINGS;
    }

    public static boolean isKnown(String key) {
        return TOPIC_SETTINGS.stream().anyMatch(s -> s.key().equals(key));
    }

    /** Checks one override; throws {@link ConfigException} naming the key. Returns the canonical value. */
    public static String validate(String key, String value) {
        Setting s = TOPIC_SETTINGS.stream().filter(t -> t.key().equals(key)).findFirst()
                .orElseThrow(() -> new ConfigException("Unknown topic config name: " + key));
        if (value == null) {
            throw new ConfigException("Null value not supported for topic config " + key);
        }
        if (key.equals("cleanup.policy")) {
            // Kafka takes a list: "delete,compact", "compact, delete" and "compact,delete" are one policy.
            value = String.join(",", new java.util.TreeSet<>(java.util.Arrays.stream(value.split(",")).map(String::trim)
                    .filter(v -> !v.isEmpty()).toList()));
        }
        if (key.equals("min.cleanable.dirty.ratio")) {
            double ratio;
            try {
                ratio = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException("Invalid value " + value + " for configuration min.cleanable.dirty.ratio: expected a number");
            }
            if (!(ratio >= 0 && ratio <= 1)) {
                throw new ConfigException("Invalid value " + value + " for configuration min.cleanable.dirty.ratio: must be between 0 and 1");
            }
            return Double.toString(ratio);
        }
        return String.valueOf(s.parse(value));
    }

    /** Every supported config with its effective value; {@code overrides} win. */
    public Map<String, String> effective(Map<String, String> overrides) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Setting s : TOPIC_SETTINGS) {
            String brokerKey = BROKER_DEFAULT.get(s.key());
            String def = brokerKey != null ? String.valueOf(broker.asMap().get(brokerKey)) : String.valueOf(s.defaultValue());
            if (s.key().equals("remote.storage.enable")) {
                // On when an object store is configured, except for compacted topics, which stay local unless they ask to
                // tier (remote.storage.enable=true): Kafka keeps them local, Strata compacts their tiered segments too.
                def = Boolean.toString(broker.objectStoreUrl().isPresent() && !out.getOrDefault("cleanup.policy", "").contains("compact"));
            }
            out.put(s.key(), overrides.getOrDefault(s.key(), def));
        }
        return out;
    }

    public LogConfig logConfig(Map<String, String> overrides) {
        Map<String, String> e = effective(overrides);
        return new LogConfig(Integer.parseInt(e.get("segment.bytes")), Long.parseLong(e.get("segment.ms")),
                Long.parseLong(e.get("retention.ms")), Long.parseLong(e.get("retention.bytes")),
                Integer.parseInt(e.get("max.message.bytes")), Integer.parseInt(e.get("index.interval.bytes")),
                "LogAppendTime".equals(e.get("message.timestamp.type")),
                Boolean.parseBoolean(e.get("remote.storage.enable")) && broker.objectStoreUrl().isPresent(),
                Long.parseLong(e.get("local.retention.ms")), Long.parseLong(e.get("local.retention.bytes")),
                Long.parseLong(e.get("message.timestamp.before.max.ms")), Long.parseLong(e.get("message.timestamp.after.max.ms")),
                broker.getLong("producer.id.expiration.ms"), Integer.parseInt(e.get("min.insync.replicas")),
                new LogConfig.Compaction(e.get("cleanup.policy").contains("compact"), e.get("cleanup.policy").contains("delete"),
                        Long.parseLong(e.get("delete.retention.ms")), Double.parseDouble(e.get("min.cleanable.dirty.ratio")),
                        Long.parseLong(e.get("min.compaction.lag.ms")), Long.parseLong(e.get("max.compaction.lag.ms"))),
                new LogConfig.Flush(Long.parseLong(e.get("flush.messages")), Long.parseLong(e.get("flush.ms"))));
    }

    public static String docOf(String key) {
        return TOPIC_SETTINGS.stream().filter(s -> s.key().equals(key)).map(Setting::doc).findFirst().orElse("");
    }
}
