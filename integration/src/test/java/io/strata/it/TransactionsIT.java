package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Kafka transactions (KIP-98, KIP-447) through kafka-clients against a real node: commit and
 * abort as read_committed and read_uncommitted consumers see them, zombie fencing of two
 * producers on one transactional id, a transaction aborted by its timeout, consume-transform-
 * produce with sendOffsetsToTransaction, a node restart in the middle of a transaction, and
 * kafka-clients' Admin describing and listing transactions.
 */
class TransactionsIT {
    @TempDir
    Path dir;

    static KafkaProducer<byte[], byte[]> txProducer(StrataNode node, String id, Map<String, Object> extra) {
        Map<String, Object> o = new HashMap<>(Map.of("transactional.id", id, "acks", "all", "linger.ms", 0));
        o.putAll(extra);
        return Clients.producer(node, o);
    }

    static List<String> readAll(StrataNode node, String topic, String isolation, int partitions, Duration settle) {
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("isolation.level", isolation, "group.id", "g-" + System.nanoTime(),
                "auto.offset.reset", "earliest", "enable.auto.commit", "false"))) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            // The settle period counts only once the consumer has reached the end offsets it saw at the start (under
            // read_committed, the last stable offset): a loaded machine can take longer than the settle period for the
            // first fetch, and a quiet period that started before it returned nothing (suite 16).
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<String> out = new ArrayList<>();
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < settle.toNanos()) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
                rs.forEach(r -> out.add(new String(r.value(), StandardCharsets.UTF_8)));
                boolean caughtUp = tps.stream().allMatch(tp -> c.position(tp, Duration.ofSeconds(30)) >= end.get(tp));
                if (!rs.isEmpty() || (!caughtUp && System.nanoTime() < deadline)) {
                    quietSince = System.nanoTime();
                }
            }
            return out;
        }
    }

    private static ProducerRecord<byte[], byte[]> rec(String topic, int partition, String v) {
        return new ProducerRecord<>(topic, partition, null, v.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void committedTransactionsAreSeenAndAbortedOnesOnlyByReadUncommitted() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("tx", 3, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> p = txProducer(node, "tx-1", Map.of())) {
                p.initTransactions();
                p.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    p.send(rec("tx", i % 3, "committed-" + i));
                }
                p.commitTransaction();
                p.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    p.send(rec("tx", i % 3, "aborted-" + i));
                }
                p.flush();
                // Sent and acknowledged, but the transaction is open: read_committed consumers must not see it yet.
                assertThat(readAll(node, "tx", "read_committed", 3, Duration.ofSeconds(2))).hasSize(30)
                        .allMatch(v -> v.startsWith("committed-"));
                p.abortTransaction();
                p.beginTransaction();
                for (int i = 0; i < 30; i++) {
                    p.send(rec("tx", i % 3, "second-" + i));
                }
                p.commitTransaction();
            }
            List<String> committed = readAll(node, "tx", "read_committed", 3, Duration.ofSeconds(2));
            assertThat(committed).hasSize(60).noneMatch(v -> v.startsWith("aborted-"));
            List<String> uncommitted = readAll(node, "tx", "read_uncommitted", 3, Duration.ofSeconds(2));
            assertThat(uncommitted).hasSize(90);

            Map<TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(
                    Map.of(new TopicPartition("tx", 0), org.apache.kafka.clients.admin.OffsetSpec.latest()),
                    new org.apache.kafka.clients.admin.ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get();
            // 30 records and three markers per partition, all decided: the stable end is the log end.
            assertThat(ends.get(new TopicPartition("tx", 0)).offset()).isEqualTo(33);

            TransactionDescription d = admin.describeTransactions(List.of("tx-1")).description("tx-1").get();
            assertThat(d.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
            assertThat(admin.listTransactions().all().get()).extracting(TransactionListing::transactionalId).contains("tx-1");
            // Kafka's own kafka-transactions tool, as its own process.
            OperationsIT.Cli listed = kafkaTransactions(node, "list");
            assertThat(listed.code()).as(listed.out()).isZero();
            assertThat(listed.out()).contains("tx-1").contains("CompleteCommit");
            OperationsIT.Cli described = kafkaTransactions(node, "describe", "--transactional-id", "tx-1");
            assertThat(described.code()).as(described.out()).isZero();
            assertThat(described.out()).contains("tx-1").contains("CompleteCommit");
        }
    }

    @Test
    void aSecondProducerOnTheSameIdFencesTheFirstAndAbortsItsTransaction() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("fence", 1, (short) 1))).all().get();
            KafkaProducer<byte[], byte[]> zombie = txProducer(node, "same-id", Map.of());
            zombie.initTransactions();
            zombie.beginTransaction();
            zombie.send(rec("fence", 0, "zombie")).get();
            try (KafkaProducer<byte[], byte[]> successor = txProducer(node, "same-id", Map.of())) {
                successor.initTransactions();
                successor.beginTransaction();
                successor.send(rec("fence", 0, "successor")).get();
                successor.commitTransaction();
            }
            assertThatThrownBy(() -> {
                zombie.send(rec("fence", 0, "zombie-2")).get();
                zombie.commitTransaction();
            }).satisfies(t -> assertThat(rootOrSelf(t)).isInstanceOfAny(ProducerFencedException.class, InvalidProducerEpochException.class));
            zombie.close(Duration.ZERO);
            assertThat(readAll(node, "fence", "read_committed", 1, Duration.ofSeconds(2))).containsExactly("successor");
        }
    }

    @Test
    void aTransactionOpenPastItsTimeoutIsAbortedAndItsProducerFenced() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"), "transaction.abort.timed.out.transaction.cleanup.interval.ms=200",
                "transactional.id.expiration.ms=4000");
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("slow", 1, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> p = txProducer(node, "slow-id", Map.of("transaction.timeout.ms", 2000))) {
                p.initTransactions();
                p.beginTransaction();
                p.send(rec("slow", 0, "too-late")).get();
                await("the transaction aborted past its timeout").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> node.log().contains("past its timeout"));
                assertThat(node.log()).contains("past its timeout");
                assertThatThrownBy(p::commitTransaction).isInstanceOf(KafkaException.class);
            }
            assertThat(readAll(node, "slow", "read_committed", 1, Duration.ofSeconds(2))).isEmpty();
            assertThat(readAll(node, "slow", "read_uncommitted", 1, Duration.ofSeconds(2))).containsExactly("too-late");
            // Unused for transactional.id.expiration.ms, the id is forgotten.
            await("the transactional id expired").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> node.log().contains("transactional id slow-id expired"));
            assertThatThrownBy(() -> admin.describeTransactions(List.of("slow-id")).description("slow-id").get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.TransactionalIdNotFoundException.class);
        }
    }

    @Test
    void consumeTransformProduceCommitsOffsetsWithTheOutput() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("in", 1, (short) 1), new NewTopic("out", 1, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of())) {
                for (int i = 0; i < 100; i++) {
                    p.send(rec("in", 0, "m" + i));
                }
            }
            TopicPartition in = new TopicPartition("in", 0);
            // First pass: the transaction of the first 50 records is aborted, so neither its output nor its offsets count.
            runTransform(node, in, 50, false);
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("group.id", "transformer", "isolation.level", "read_committed"))) {
                assertThat(c.committed(Set.of(in)).get(in)).as("offsets of an aborted transaction are not committed").isNull();
            }
            assertThat(readAll(node, "out", "read_committed", 1, Duration.ofSeconds(1))).isEmpty();
            assertThat(readAll(node, "out", "read_uncommitted", 1, Duration.ofSeconds(1))).hasSize(50);
            runTransform(node, in, 100, true);
            try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("group.id", "transformer", "isolation.level", "read_committed"))) {
                OffsetAndMetadata committed = c.committed(Set.of(in)).get(in);
                assertThat(committed.offset()).isEqualTo(100);
            }
            List<String> out = readAll(node, "out", "read_committed", 1, Duration.ofSeconds(2));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                expected.add("M" + i);
            }
            assertThat(out).containsExactlyElementsOf(expected);
        }
    }

    /** Reads {@code in} from the group's committed offset and writes upper-cased copies to {@code out} in one transaction. */
    private static void runTransform(StrataNode node, TopicPartition in, int upTo, boolean commit) throws Exception {
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("group.id", "transformer", "isolation.level", "read_committed",
                "enable.auto.commit", "false", "auto.offset.reset", "earliest"));
             KafkaProducer<byte[], byte[]> p = txProducer(node, "transformer-tx", Map.of())) {
            p.initTransactions();
            c.subscribe(List.of(in.topic()));
            p.beginTransaction();
            long next = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (next < upTo && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() >= upTo) {
                        break;
                    }
                    p.send(rec("out", 0, new String(r.value(), StandardCharsets.UTF_8).toUpperCase()));
                    next = r.offset() + 1;
                }
            }
            assertThat(next).isEqualTo(upTo);
            // An abort drops batches the producer has not yet drained (kafka-clients aborts undrained batches), so the
            // output is flushed first: the read_uncommitted check below wants all of it on the log.
            p.flush();
            p.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(next)), c.groupMetadata());
            if (commit) {
                p.commitTransaction();
            } else {
                p.abortTransaction();
            }
        }
    }

    @Test
    void aTransactionSurvivesARestartOfItsCoordinator() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node)) {
            admin.createTopics(List.of(new NewTopic("restart", 2, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> p = txProducer(node, "restart-id", Map.of("delivery.timeout.ms", 60_000,
                    "max.block.ms", 60_000))) {
                p.initTransactions();
                p.beginTransaction();
                for (int i = 0; i < 10; i++) {
                    p.send(rec("restart", i % 2, "before-" + i)).get();
                }
                node.restart();
                for (int i = 0; i < 10; i++) {
                    p.send(rec("restart", i % 2, "after-" + i));
                }
                p.commitTransaction();
            }
            List<String> seen = readAll(node, "restart", "read_committed", 2, Duration.ofSeconds(2));
            assertThat(seen).hasSize(20);
        }
    }

    @Test
    void aTransactionalBatchForAPartitionOutsideTheOpenTransactionIsRefused() throws Exception {
        try (StrataNode node = StrataNode.start(dir.resolve("node"));
             Admin admin = Clients.admin(node);
             RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            admin.createTopics(List.of(new NewTopic("guarded", 1, (short) 1))).all().get();
            var init = (org.apache.kafka.common.message.InitProducerIdResponseData) c.send(new org.apache.kafka.common.message.InitProducerIdRequestData()
                    .setTransactionalId("guarded-tx").setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1), (short) 4);
            assertThat(init.errorCode()).isZero();
            long pid = init.producerId();
            short epoch = init.producerEpoch();
            // KIP-890: the partition was never added to a transaction, so its leader refuses to open one there.
            assertThat(produceTransactional(c, pid, epoch, 0)).isEqualTo(org.apache.kafka.common.protocol.Errors.INVALID_TXN_STATE);
            var add = new org.apache.kafka.common.message.AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId("guarded-tx")
                    .setV3AndBelowProducerId(pid).setV3AndBelowProducerEpoch(epoch);
            add.v3AndBelowTopics().add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic()
                    .setName("guarded").setPartitions(List.of(0)));
            c.send(add, (short) 3);
            assertThat(produceTransactional(c, pid, epoch, 0)).isEqualTo(org.apache.kafka.common.protocol.Errors.NONE);
            // Offsets for a group the transaction never added (no AddOffsetsToTxn) are refused, not staged to wait forever.
            var commit = new org.apache.kafka.common.message.TxnOffsetCommitRequestData().setTransactionalId("guarded-tx")
                    .setGroupId("never-added").setProducerId(pid).setProducerEpoch(epoch);
            commit.topics().add(new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName("guarded")
                    .setPartitions(List.of(new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                            .setPartitionIndex(0).setCommittedOffset(1))));
            var committed = (org.apache.kafka.common.message.TxnOffsetCommitResponseData) c.send(commit, (short) 3);
            assertThat(committed.topics().get(0).partitions().get(0).errorCode())
                    .isEqualTo(org.apache.kafka.common.protocol.Errors.INVALID_TXN_STATE.code());
            var end = (org.apache.kafka.common.message.EndTxnResponseData) c.send(new org.apache.kafka.common.message.EndTxnRequestData()
                    .setTransactionalId("guarded-tx").setProducerId(pid).setProducerEpoch(epoch).setCommitted(false), (short) 3);
            assertThat(end.errorCode()).isZero();
            // A batch of the same producer and epoch arriving after the abort (delayed on the network) must not open a
            // transaction that nobody would ever end: the last stable offset would stay behind it for good.
            assertThat(produceTransactional(c, pid, epoch, 1)).isEqualTo(org.apache.kafka.common.protocol.Errors.INVALID_TXN_STATE);
            assertThat(readAll(node, "guarded", "read_committed", 1, Duration.ofSeconds(1))).isEmpty();
            var offsets = admin.listOffsets(Map.of(new TopicPartition("guarded", 0), org.apache.kafka.clients.admin.OffsetSpec.latest()),
                    new org.apache.kafka.clients.admin.ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all().get();
            assertThat(offsets.get(new TopicPartition("guarded", 0)).offset()).as("nothing holds the stable offset back").isEqualTo(2);
        }
    }

    private static org.apache.kafka.common.protocol.Errors produceTransactional(RawKafkaConnection c, long pid, short epoch, int seq) throws Exception {
        var req = new org.apache.kafka.common.message.ProduceRequestData().setAcks((short) -1).setTimeoutMs(5000).setTransactionalId("guarded-tx");
        var td = new org.apache.kafka.common.message.ProduceRequestData.TopicProduceData().setName("guarded");
        td.partitionData().add(new org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData().setIndex(0)
                .setRecords(org.apache.kafka.common.record.internal.MemoryRecords.withTransactionalRecords(
                        org.apache.kafka.common.compress.Compression.NONE, pid, epoch, seq,
                        new org.apache.kafka.common.record.internal.SimpleRecord("v".getBytes()))));
        req.topicData().add(td);
        var resp = (org.apache.kafka.common.message.ProduceResponseData) c.send(req, (short) 9);
        return org.apache.kafka.common.protocol.Errors.forCode(resp.responses().iterator().next().partitionResponses().get(0).errorCode());
    }

    /** Kafka's kafka-transactions tool (TransactionsCommand from kafka-tools) against the node, as its own process. */
    static OperationsIT.Cli kafkaTransactions(StrataNode node, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.apache.kafka.tools.TransactionsCommand",
                "--bootstrap-server", node.bootstrap()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new OperationsIT.Cli(p.exitValue(), out);
    }

    static Throwable rootOrSelf(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && !(c instanceof ProducerFencedException) && !(c instanceof InvalidProducerEpochException)) {
            c = c.getCause();
        }
        return c;
    }
}
