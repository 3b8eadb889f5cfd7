package io.strata.ingest.cli;

import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** {@code strata topics list|describe|create|delete|alter}. */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "List, describe, create, delete and alter topics.",
        subcommands = {TopicsCommand.ListTopics.class, TopicsCommand.Describe.class, TopicsCommand.Create.class,
                TopicsCommand.Delete.class, TopicsCommand.Alter.class})
final class TopicsCommand {

    @Command(name = "list", description = "List topics.")
    static final class ListTopics implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                Map<String, TopicDescription> d = admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get();
                List<Map<String, Object>> json = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                for (String name : new TreeSet<>(d.keySet())) {
                    json.add(Map.of("name", name, "partitions", d.get(name).partitions().size(), "id", d.get(name).topicId().toString()));
                    rows.add(List.of(name, d.get(name).partitions().size(), d.get(name).topicId()));
                }
                o.print(json, List.of("TOPIC", "PARTITIONS", "ID"), rows);
                return 0;
            });
        }
    }

    @Command(name = "describe", description = "Partitions with offsets, and configs, of one topic.")
    static final class Describe implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "Topic name.")
        String topic;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                if (!admin.listTopics().names().get().contains(topic)) {
                    System.err.println("strata: topic '" + topic + "' does not exist");
                    return 1;
                }
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                d.partitions().forEach(p -> {
                    earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
                    latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                });
                var start = admin.listOffsets(earliest).all().get();
                var end = admin.listOffsets(latest).all().get();
                ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
                List<Map<String, Object>> parts = new ArrayList<>();
                List<List<Object>> rows = new ArrayList<>();
                d.partitions().forEach(p -> {
                    TopicPartition tp = new TopicPartition(topic, p.partition());
                    long s = start.get(tp).offset();
                    long e = end.get(tp).offset();
                    parts.add(Map.of("partition", p.partition(), "leader", p.leader().id(), "logStartOffset", s, "highWatermark", e));
                    rows.add(List.of(p.partition(), p.leader().id(), s, e, e - s));
                });
                Map<String, String> configs = new LinkedHashMap<>();
                cfg.entries().forEach(c -> configs.put(c.name(), c.value()));
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("name", topic);
                json.put("id", d.topicId().toString());
                json.put("partitions", parts);
                json.put("configs", configs);
                if (o.json) {
                    o.print(json, List.of(), List.of());
                } else {
                    System.out.println("Topic " + topic + " (" + d.topicId() + ")");
                    o.print(null, List.of("PARTITION", "LEADER", "LOG-START", "HIGH-WATERMARK", "RECORDS"), rows);
                    System.out.println();
                    List<List<Object>> cfgRows = new ArrayList<>();
                    cfg.entries().stream().sorted(java.util.Comparator.comparing(ConfigEntry::name))
                            .forEach(c -> cfgRows.add(List.of(c.name(), c.value(), c.source())));
                    o.print(null, List.of("CONFIG", "VALUE", "SOURCE"), cfgRows);
                }
                return 0;
            });
        }
    }

    @Command(name = "create", description = "Create a topic.")
    static final class Create implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "Topic name.")
        String topic;
        @Option(names = {"-p", "--partitions"}, defaultValue = "1", description = "Partition count (default: ${DEFAULT-VALUE}).")
        int partitions;
        @Option(names = {"-r", "--replication-factor"}, defaultValue = "-1",
                description = "Replicas per partition (default: the cluster's default.replication.factor).")
        short replicationFactor;
        @Option(names = {"-c", "--config"}, description = "A topic config as key=value; repeatable.")
        Map<String, String> configs = new HashMap<>();

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.of(replicationFactor)).configs(configs))).all().get();
                o.print(Map.of("created", topic, "partitions", partitions), List.of("CREATED", "PARTITIONS"), List.of(List.of(topic, partitions)));
                return 0;
            });
        }
    }

    @Command(name = "delete", description = "Delete a topic and all its data.")
    static final class Delete implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "Topic name.")
        String topic;

        @Override
        public Integer call() {
            return o.withAdmin(admin -> {
                admin.deleteTopics(List.of(topic)).all().get();
                o.print(Map.of("deleted", topic), List.of("DELETED"), List.of(List.of(topic)));
                return 0;
            });
        }
    }

    @Command(name = "alter", description = "Change topic configs or add partitions.")
    static final class Alter implements java.util.concurrent.Callable<Integer> {
        @Mixin
        AdminOptions o;
        @Parameters(index = "0", description = "Topic name.")
        String topic;
        @Option(names = {"-c", "--config"}, description = "Set a topic config, key=value; repeatable.")
        Map<String, String> set = new HashMap<>();
        @Option(names = "--delete-config", description = "Return a config to its default; repeatable.")
        List<String> unset = new ArrayList<>();
        @Option(names = {"-p", "--partitions"}, description = "Grow the topic to this many partitions.")
        Integer partitions;

        @Override
        public Integer call() {
            if (set.isEmpty() && unset.isEmpty() && partitions == null) {
                System.err.println("strata: nothing to alter: give --config, --delete-config or --partitions");
                return 2;
            }
            return o.withAdmin(admin -> {
                if (!set.isEmpty() || !unset.isEmpty()) {
                    List<AlterConfigOp> ops = new ArrayList<>();
                    set.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
                    unset.forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, ""), AlterConfigOp.OpType.DELETE)));
                    admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops)).all().get();
                }
                if (partitions != null) {
                    admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(partitions))).all().get();
                }
                o.print(Map.of("altered", topic), List.of("ALTERED"), List.of(List.of(topic)));
                return 0;
            });
        }
    }
}
