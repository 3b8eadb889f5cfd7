package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code strata groups list|describe|reset-offsets}. */
@Command(name = "groups", mixinStandardHelpOptions = true, description = "List and describe consumer groups; reset their offsets.",
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class, GroupsCommand.ResetOffsets.class})
final class GroupsCommand {

    @Command(name = "list", description = "List consumer groups.")
    static final class ListGroups implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                List<Map<String, Object>> json = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                List<String> ids = admin.listConsumerGroups().all().get().stream().map(ConsumerGroupListing::groupId).sorted().toList();
                Map<String, ConsumerGroupDescription> d = admin.describeConsumerGroups(ids).all().get();
                for (String id : ids) {
                    json.add(Map.of("groupId", id, "state", String.valueOf(d.get(id).groupState()), "members", d.get(id).members().size()));
                    rows.add(List.of(id, d.get(id).groupState(), d.get(id).members().size()));
                }
                o.print(json, List.of("GROUP", "STATE", "MEMBERS"), rows);
                return 0;
            });
        }
    }

    @Command(name = "describe", description = "Members, assignments, committed offsets and lag of a group.")
    static final class Describe implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "Group id.")
        String group;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                if (d.members().isEmpty() && committed.isEmpty() && String.valueOf(d.groupState()).equalsIgnoreCase("DEAD")) {
                    System.err.println("strata: group '" + group + "' does not exist");
                    return 1;
                }
                // Partitions assigned but never committed are shown too (as kafka-consumer-groups --describe does).
                Map<TopicPartition, OffsetAndMetadata> shown = new HashMap<>(committed);
                d.members().forEach(m -> m.assignment().topicPartitions().forEach(tp -> shown.putIfAbsent(tp, null)));
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                shown.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
                Map<TopicPartition, String> owner = new HashMap<>();
                List<Map<String, Object>> members = new ArrayList<>();
                d.members().forEach(m -> {
                    m.assignment().topicPartitions().forEach(tp -> owner.put(tp, m.consumerId()));
                    members.add(Map.of("memberId", m.consumerId(), "clientId", m.clientId(), "host", m.host(),
                            "assignment", m.assignment().topicPartitions().stream().map(TopicPartition::toString).sorted().toList()));
                });
                List<Map<String, Object>> offsets = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                Map<TopicPartition, OffsetAndMetadata> sorted = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
                sorted.putAll(shown);
                sorted.forEach((tp, om) -> {
                    long end = ends.get(tp).offset();
                    Long at = om == null ? null : om.offset();
                    Long lag = at == null ? null : Math.max(0, end - at);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("topic", tp.topic());
                    row.put("partition", tp.partition());
                    row.put("committedOffset", at);
                    row.put("highWatermark", end);
                    row.put("lag", lag);
                    row.put("owner", owner.get(tp));
                    offsets.add(row);
                    rows.add(java.util.Arrays.asList(tp.topic(), tp.partition(), at, end, lag, owner.get(tp)));
                });
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("groupId", group);
                json.put("state", String.valueOf(d.groupState()));
                json.put("members", members);
                json.put("offsets", offsets);
                if (o.json) {
                    o.print(json, List.of(), List.of());
                } else {
                    System.out.println("Group " + group + " (" + d.groupState() + ", " + d.members().size() + " member(s))");
                    o.print(null, List.of("TOPIC", "PARTITION", "COMMITTED", "HIGH-WATERMARK", "LAG", "OWNER"), rows);
                }
                return 0;
            });
        }
    }

    /** Where to move the offsets: exactly one. */
    static final class Target {
        @Option(names = "--to-earliest", description = "The first offset still in the log.")
        boolean earliest;
        @Option(names = "--to-latest", description = "The end of the log (skip everything).")
        boolean latest;
        @Option(names = "--to-datetime", description = "The first record at or after this time (ISO-8601, e.g. 2026-11-24T10:00:00Z).")
        Instant datetime;
        @Option(names = "--to-offset", description = "This offset in every partition.")
        Long offset;
    }

    /** An explicit offset outside [log start, high watermark] moves to the nearer end, as kafka-consumer-groups does, and says so. */
    static void clamp(org.apache.kafka.clients.admin.Admin admin, Map<TopicPartition, Long> wanted) throws Exception {
        Map<TopicPartition, OffsetSpec> first = new HashMap<>();
        Map<TopicPartition, OffsetSpec> last = new HashMap<>();
        wanted.keySet().forEach(tp -> {
            first.put(tp, OffsetSpec.earliest());
            last.put(tp, OffsetSpec.latest());
        });
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> lo = admin.listOffsets(first).all().get();
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> hi = admin.listOffsets(last).all().get();
        wanted.replaceAll((tp, off) -> {
            long min = lo.get(tp).offset();
            long max = hi.get(tp).offset();
            long clamped = Math.max(min, Math.min(max, off));
            if (clamped != off) {
                System.err.println("strata: offset " + off + " is outside " + tp + "'s range [" + min + ", " + max + "]; using " + clamped);
            }
            return clamped;
        });
    }

    @Command(name = "reset-offsets", description = "Move a group's committed offsets (the group must have no active members).")
    static final class ResetOffsets implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "Group id.")
        String group;
        @Option(names = {"-t", "--topic"}, required = true, description = "Topic whose partitions to reset.")
        String topic;
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;
        @Option(names = "--dry-run", description = "Show the new offsets without committing them.")
        boolean dryRun;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                if (!g.members().isEmpty()) {
                    // As kafka-consumer-groups: offsets move only while nobody consumes with them.
                    System.err.println("strata: group '" + group + "' has " + g.members().size() + " active member(s) (state "
                            + g.groupState() + "); stop its consumers before resetting its offsets");
                    return 1;
                }
                int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
                Map<TopicPartition, OffsetAndMetadata> current = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, Long> wanted = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
                Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    TopicPartition tp = new TopicPartition(topic, p);
                    if (target.offset != null) {
                        wanted.put(tp, target.offset);
                    } else {
                        specs.put(tp, target.earliest ? OffsetSpec.earliest() : target.latest ? OffsetSpec.latest()
                                : OffsetSpec.forTimestamp(target.datetime.toEpochMilli()));
                    }
                }
                if (!specs.isEmpty()) {
                    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found = admin.listOffsets(specs).all().get();
                    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
                    specs.keySet().forEach(tp -> ends.put(tp, OffsetSpec.latest()));
                    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = admin.listOffsets(ends).all().get();
                    // No record at or after the time: the end of the log, as kafka-consumer-groups does.
                    found.forEach((tp, info) -> wanted.put(tp, info.offset() >= 0 ? info.offset() : end.get(tp).offset()));
                } else {
                    clamp(admin, wanted);
                }
                List<Map<String, Object>> json = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                wanted.forEach((tp, off) -> {
                    Long before = current.containsKey(tp) ? current.get(tp).offset() : null;
                    json.add(new LinkedHashMap<>(Map.of("topic", tp.topic(), "partition", tp.partition(), "newOffset", off,
                            "previousOffset", before == null ? -1 : before)));
                    rows.add(java.util.Arrays.asList(tp.topic(), tp.partition(), before, off));
                });
                if (!dryRun) {
                    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
                    wanted.forEach((tp, off) -> commit.put(tp, new OffsetAndMetadata(off)));
                    admin.alterConsumerGroupOffsets(group, commit).all().get();
                }
                o.print(Map.of("group", group, "dryRun", dryRun, "offsets", json),
                        List.of("TOPIC", "PARTITION", "PREVIOUS", dryRun ? "NEW (dry run)" : "NEW"), rows);
                return 0;
            });
        }
    }
}
