package io.strata.ingest.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.ingest.group.GroupCoordinator;
import io.strata.ingest.log.PartitionLog;
import io.strata.tiering.service.TieringService;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.MetaStore;
import io.strata.metastore.store.CommittedOffset;
import io.strata.metastore.store.PartitionKey;
import io.strata.metastore.store.SegmentEntry;
import io.strata.metastore.store.SegmentManifestStore;
import io.strata.metastore.store.TopicRecord;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The admin HTTP API's JSON answers. Every answer is a status and a body; bad requests get a 4xx
 * with a one-line message, never a stack trace.
 */
public final class AdminApi {
    /** An HTTP answer. */
    public record Answer(int status, String contentType, String body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Object> clusterInfo;
    private final TopicManager topics;
    private final GroupCoordinator groups;
    private final MetaStore metaStore;
    private final TieringService tiering;
    private final SegmentManifestStore manifest;
    private final Supplier<String> metrics;
    private final Supplier<Boolean> started;
    private volatile java.util.function.Predicate<TopicPartition> leads;
    private volatile Supplier<Map<String, Object>> clusterState = Map::of;
    private volatile java.util.function.BiFunction<java.util.UUID, Integer, Map<String, Object>> placement = (t, p) -> Map.of();

    /** Live cluster state (nodes, epochs, leases, controller) and partition placements, for /api/cluster and /api/topics. */
    public void setClusterState(Supplier<Map<String, Object>> state,
                                java.util.function.BiFunction<java.util.UUID, Integer, Map<String, Object>> placement) {
        this.clusterState = state;
        this.placement = placement;
    }

    /**
     * Whether this node leads a partition now: only then are the log start offset and high
     * watermark it reports the partition's own (a follower's watermark trails the leader's).
     */
    public void setLeadership(java.util.function.Predicate<TopicPartition> leads) {
        this.leads = leads;
    }

    public AdminApi(Map<String, Object> clusterInfo, TopicManager topics, GroupCoordinator groups, MetaStore metaStore,
                    TieringService tiering, SegmentManifestStore manifest, Supplier<String> metrics, Supplier<Boolean> started) {
        this.clusterInfo = clusterInfo;
        this.topics = topics;
        this.groups = groups;
        this.metaStore = metaStore;
        this.tiering = tiering;
        this.manifest = manifest;
        this.metrics = metrics;
        this.started = started;
    }

    public Answer handle(String method, String path) {
        try {
            if (!method.equals("GET")) {
                return error(405, "only GET is supported here; use the Kafka protocol or ./strata to change things");
            }
            String[] p = path.replaceAll("/+$", "").split("/");
            if (path.equals("/health")) {
                return json(200, Map.of("status", "ok"));
            }
            if (path.equals("/ready")) {
                return ready();
            }
            if (path.equals("/metrics")) {
                return new Answer(200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
            }
            if (p.length >= 3 && p[1].equals("api")) {
                switch (p[2]) {
                    case "cluster" -> {
                        if (p.length != 3) {
                            return notFound(path);
                        }
                        Map<String, Object> all = new LinkedHashMap<>(clusterInfo);
                        all.putAll(clusterState.get());
                        return json(200, all);
                    }
                    case "topics" -> {
                        if (p.length == 3) {
                            List<Object> all = new ArrayList<>();
                            topics.topics().stream().sorted(java.util.Comparator.comparing(TopicRecord::name)).forEach(t -> all.add(topic(t)));
                            return json(200, all);
                        }
                        Optional<TopicRecord> t = topics.topic(p[3]);
                        if (t.isEmpty()) {
                            return error(404, "no topic named '" + p[3] + "'");
                        }
                        if (p.length == 4) {
                            return json(200, topic(t.get()));
                        }
                        if (p.length == 5 && p[4].equals("segments")) {
                            return segments(t.get());
                        }
                        if (p.length == 7 && p[4].equals("partitions") && p[6].equals("segments")) {
                            return segments(t.get(), p[5]);
                        }
                        return notFound(path);
                    }
                    case "groups" -> {
                        if (p.length == 3) {
                            List<Object> all = new ArrayList<>();
                            for (GroupCoordinator.GroupView g : groups.list()) {
                                all.add(Map.of("groupId", g.groupId(), "state", g.state().kafkaName(),
                                        "protocolType", g.protocolType(), "members", g.members().size()));
                            }
                            return json(200, all);
                        }
                        return p.length == 4 ? group(p[3]) : notFound(path);
                    }
                    default -> {
                        return notFound(path);
                    }
                }
            }
            return notFound(path);
        } catch (RuntimeException e) {
            return error(503, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private Answer ready() {
        Map<String, Object> checks = new LinkedHashMap<>();
        boolean ok = started.get();
        checks.put("logsRecovered", ok);
        try {
            metaStore.run(tx -> tx.get(new byte[] {0}));
            checks.put("metastore", "reachable");
        } catch (RuntimeException e) {
            ok = false;
            checks.put("metastore", "unreachable: " + e.getMessage());
        }
        if (tiering != null) {
            try {
                // A LIST under the store's own prefix: allowed to a role limited to that prefix, where
                // a HEAD of a missing key is answered 403 unless the role may list the whole bucket.
                tiering.store().list("strata-readiness-probe").get(5, TimeUnit.SECONDS);
                checks.put("objectStore", "reachable");
            } catch (Exception e) {
                ok = false;
                checks.put("objectStore", "unreachable: " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()));
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", ok);
        body.put("checks", checks);
        return json(ok ? 200 : 503, body);
    }

    private Map<String, Object> topic(TopicRecord t) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", t.name());
        // Kafka's form of the id (as its tools and Metadata show it), and the UUID form object keys use.
        out.put("id", kafkaId(t.id()));
        out.put("uuid", t.id().toString());
        out.put("configs", topics.configs().effective(t.configs()));
        out.put("overrides", t.configs());
        List<Object> parts = new ArrayList<>();
        for (int i = 0; i < t.partitions(); i++) {
            Optional<PartitionLog> pl = topics.partition(new TopicPartition(t.name(), i));
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("partition", i);
            Map<String, Object> placed = placement.apply(t.id(), i);
            if (placed.isEmpty()) {
                p.put("leader", null);
            } else {
                p.putAll(placed);
            }
            pl.ifPresent(l -> {
                p.put("logStartOffset", l.logStartOffset());
                p.put("localLogStartOffset", l.localStartOffset());
                p.put("highWatermark", l.highWatermark());
                p.put("logEndOffset", l.logEndOffset());
                p.put("localSizeBytes", l.sizeInBytes());
                p.put("localSegments", l.segmentCount());
                p.put("remoteStorage", l.config().remoteStorage());
                p.put("tieredUpToOffset", l.tieredOffset());
                p.put("untieredBytes", l.untieredBytes());
            });
            parts.add(p);
        }
        out.put("partitions", parts);
        return out;
    }

    private static String kafkaId(java.util.UUID id) {
        return new org.apache.kafka.common.Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits()).toString();
    }

    private Answer segments(TopicRecord t, String partitionText) {
        int partition;
        try {
            partition = Integer.parseInt(partitionText);
        } catch (NumberFormatException e) {
            return error(400, "partition must be a number, got '" + partitionText + "'");
        }
        if (partition < 0 || partition >= t.partitions()) {
            return error(404, "topic '" + t.name() + "' has partitions 0.." + (t.partitions() - 1));
        }
        Map<String, Object> out = manifestHeader(t, partition);
        out.putAll(manifest(t, partition, segmentsOf(t, partition)));
        return json(200, out);
    }

    /**
     * Segments one answer of {@link #segments(TopicRecord)} may list. A node builds an answer
     * whole in its heap, on each of the admin API's two workers: the segments' maps, the indented
     * text (about 370 characters a segment) and its bytes; one of 4,001 segments allocated 19 MB
     * in all, the MetaStore's reads included. A topic with more is asked for partition by
     * partition, each answer a partition's alone.
     */
    static final int MAX_SEGMENTS_PER_ANSWER = Integer.getInteger("strata.admin.maxSegmentsPerAnswer", 20_000);

    /**
     * Every partition's manifest in one answer: a replay of a topic of a thousand partitions
     * asks once, not a thousand and one times. The segments are counted before any answer is
     * built, so a topic over {@link #MAX_SEGMENTS_PER_ANSWER} costs a node only the listing.
     */
    private Answer segments(TopicRecord t) {
        List<List<SegmentEntry>> listed = new ArrayList<>();
        long segments = 0;
        for (int i = 0; i < t.partitions(); i++) {
            List<SegmentEntry> entries = segmentsOf(t, i);
            segments += entries.size();
            if (segments > MAX_SEGMENTS_PER_ANSWER) {
                return error(413, "topic '" + t.name() + "' has more than " + MAX_SEGMENTS_PER_ANSWER
                        + " segments in the bucket, more than one answer holds: ask partition by partition (/api/topics/"
                        + t.name() + "/partitions/{p}/segments)");
            }
            listed.add(entries);
        }
        Map<String, Object> out = manifestHeader(t, null);
        List<Object> parts = new ArrayList<>();
        for (int i = 0; i < t.partitions(); i++) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("partition", i);
            p.putAll(manifest(t, i, listed.get(i)));
            parts.add(p);
        }
        out.put("partitions", parts);
        return json(200, out);
    }

    /** What both manifest answers begin with: the topic, the partition (of a partition's), and the bucket. */
    private Map<String, Object> manifestHeader(TopicRecord t, Integer partition) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("topic", t.name());
        out.put("topicId", kafkaId(t.id()));
        if (partition != null) {
            out.put("partition", partition);
        }
        out.put("objectStore", clusterInfo.get("objectStore"));
        return out;
    }

    private List<SegmentEntry> segmentsOf(TopicRecord t, int partition) {
        return manifest == null ? List.of() : manifest.list(t.id(), partition);
    }

    /**
     * A partition's log bounds and its segments in the bucket. A node that holds no replica of
     * the partition gives no bounds, and says it does not lead it: the manifest itself is the
     * cluster's, in the MetaStore.
     */
    private Map<String, Object> manifest(TopicRecord t, int partition, List<SegmentEntry> entries) {
        List<Object> segs = new ArrayList<>();
        for (SegmentEntry e : entries) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("baseOffset", e.baseOffset());
            s.put("lastOffset", e.lastOffset());
            s.put("objectKey", e.objectKey());
            s.put("sizeBytes", e.sizeBytes());
            s.put("minTimestamp", e.minTimestamp());
            s.put("maxTimestamp", e.maxTimestamp());
            s.put("leaderEpoch", e.leaderEpoch());
            segs.add(s);
        }
        TopicPartition tp = new TopicPartition(t.name(), partition);
        Optional<PartitionLog> pl = topics.partition(tp);
        Map<String, Object> out = new LinkedHashMap<>();
        pl.ifPresent(l -> {
            out.put("logStartOffset", l.logStartOffset());
            out.put("highWatermark", l.highWatermark());
        });
        java.util.function.Predicate<TopicPartition> leading = leads;
        if (leading != null || pl.isEmpty()) {
            out.put("leader", pl.isPresent() && leading.test(tp));
        }
        out.put("segments", segs);
        return out;
    }

    private Answer group(String id) {
        Optional<GroupCoordinator.GroupView> view = groups.describe(id);
        if (view.isEmpty()) {
            return error(404, "no group named '" + id + "'");
        }
        GroupCoordinator.GroupView g = view.get();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("groupId", g.groupId());
        out.put("state", g.state().kafkaName());
        out.put("protocolType", g.protocolType());
        out.put("protocol", g.protocolName());
        List<Object> members = new ArrayList<>();
        for (GroupCoordinator.MemberView m : g.members()) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("memberId", m.memberId());
            mm.put("groupInstanceId", m.groupInstanceId());
            mm.put("clientId", m.clientId());
            mm.put("clientHost", m.clientHost());
            List<String> assigned = new ArrayList<>();
            if ("consumer".equals(g.protocolType()) && m.assignment().length > 0) {
                try {
                    ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(m.assignment())).partitions()
                            .forEach(tp -> assigned.add(tp.topic() + "-" + tp.partition()));
                } catch (RuntimeException e) {
                    assigned.add("(undecodable assignment)");
                }
            }
            mm.put("assignment", assigned);
            members.add(mm);
        }
        out.put("members", members);
        List<Object> offsets = new ArrayList<>();
        Map<PartitionKey, CommittedOffset> committed = groups.fetchOffsets(id).join();
        long totalLag = 0;
        for (Map.Entry<PartitionKey, CommittedOffset> e : committed.entrySet()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("topic", e.getKey().topic());
            o.put("partition", e.getKey().partition());
            o.put("committedOffset", e.getValue().offset());
            Optional<PartitionLog> pl = topics.partition(new TopicPartition(e.getKey().topic(), e.getKey().partition()));
            long lag = pl.map(l -> Math.max(0, l.highWatermark() - e.getValue().offset())).orElse(0L);
            o.put("highWatermark", pl.map(PartitionLog::highWatermark).orElse(-1L));
            o.put("lag", lag);
            totalLag += lag;
            offsets.add(o);
        }
        out.put("offsets", offsets);
        out.put("totalLag", totalLag);
        return json(200, out);
    }

    private static Answer notFound(String path) {
        return error(404, "no such endpoint: " + path);
    }

    private static Answer error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    private static Answer json(int status, Object body) {
        try {
            return new Answer(status, "application/json", JSON.writeValueAsString(body));
        } catch (Exception e) {
            return new Answer(500, "application/json", "{\"error\":\"cannot encode the answer\"}");
        }
    }
}
