package io.strata.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** What every benchmark workload shares, for every broker: the record size and topic creation. */
final class Workloads {
    static final int RECORD = 1024;

    private Workloads() {
    }

    /** Creates the topic and waits until every partition has a leader, so no measured run waits for one. */
    static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                try {
                    var d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                    if (d.partitions().size() == partitions && d.partitions().stream().allMatch(i -> i.leader() != null && !i.leader().isEmpty())) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // not visible yet
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException(topic + ": not every partition has a leader after 120 s");
        }
    }
}
