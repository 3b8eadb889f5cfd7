package io.strata.ingest.api;

import io.strata.ingest.txn.MarkerAppender;
import io.strata.ingest.txn.TransactionCoordinator;
import io.strata.metastore.store.PartitionKey;
import io.strata.metastore.store.TransactionRecord;
import io.strata.records.TxnMarker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * Translates the transaction APIs between the wire messages and the {@link TransactionCoordinator}
 * (InitProducerId with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
 * DescribeTransactions, ListTransactions) and answers WriteTxnMarkers, which another node's
 * coordinator sends for partitions this node leads.
 */
final class TransactionApis {
    private final TransactionCoordinator coordinator;
    private final MarkerAppender markers;
    private final io.strata.ingest.topic.TopicManager topics;
    /** How long EndTxn waits for the markers before answering on the strength of the durable decision. */
    private static final long END_TXN_WAIT_MS = 10_000;

    TransactionApis(TransactionCoordinator coordinator, MarkerAppender markers, io.strata.ingest.topic.TopicManager topics) {
        this.coordinator = coordinator;
        this.markers = markers;
        this.topics = topics;
    }

    /** Fenced producers learn it as PRODUCER_FENCED from the versions that know the code, INVALID_PRODUCER_EPOCH before. */
    private static Errors forVersion(Errors e, boolean knowsProducerFenced) {
        return e == Errors.PRODUCER_FENCED && !knowsProducerFenced ? Errors.INVALID_PRODUCER_EPOCH : e;
    }

    InitProducerIdResponseData initProducerId(InitProducerIdRequestData req, short version) {
        TransactionCoordinator.InitResult r = coordinator.initProducerId(req.transactionalId(), req.transactionTimeoutMs(),
                req.producerId(), req.producerEpoch());
        return new InitProducerIdResponseData().setErrorCode(forVersion(r.error(), version >= 4).code())
                .setProducerId(r.producerId()).setProducerEpoch(r.producerEpoch());
    }

    AddPartitionsToTxnResponseData addPartitions(AddPartitionsToTxnRequestData req, short version) {
        List<PartitionKey> wanted = new ArrayList<>();
        List<PartitionKey> unknown = new ArrayList<>();
        for (AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic t : req.v3AndBelowTopics()) {
            int count = topics.topic(t.name()).map(io.strata.metastore.store.TopicRecord::partitions).orElse(0);
            for (int p : t.partitions()) {
                (p >= 0 && p < count ? wanted : unknown).add(new PartitionKey(t.name(), p));
            }
        }
        Errors all;
        Errors others = Errors.NONE;
        if (!unknown.isEmpty()) {
            // Kafka adds none of them then: the unknown ones say why, the rest were not attempted.
            all = Errors.OPERATION_NOT_ATTEMPTED;
            others = Errors.UNKNOWN_TOPIC_OR_PARTITION;
        } else {
            all = forVersion(coordinator.addPartitions(req.v3AndBelowTransactionalId(), req.v3AndBelowProducerId(),
                    req.v3AndBelowProducerEpoch(), wanted), version >= 2);
        }
        AddPartitionsToTxnResponseData resp = new AddPartitionsToTxnResponseData();
        Map<String, AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult> byTopic = new LinkedHashMap<>();
        for (PartitionKey p : wanted) {
            result(byTopic, p, all);
        }
        for (PartitionKey p : unknown) {
            result(byTopic, p, others);
        }
        byTopic.values().forEach(t -> resp.resultsByTopicV3AndBelow().add(t));
        return resp;
    }

    private static void result(Map<String, AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult> byTopic, PartitionKey p, Errors e) {
        byTopic.computeIfAbsent(p.topic(), t -> new AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult().setName(t))
                .resultsByPartition().add(new AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult()
                        .setPartitionIndex(p.partition()).setPartitionErrorCode(e.code()));
    }

    AddOffsetsToTxnResponseData addOffsets(AddOffsetsToTxnRequestData req, short version) {
        Errors e = coordinator.addGroup(req.transactionalId(), req.producerId(), req.producerEpoch(), req.groupId());
        return new AddOffsetsToTxnResponseData().setErrorCode(forVersion(e, version >= 2).code());
    }

    CompletableFuture<EndTxnResponseData> endTxn(EndTxnRequestData req, short version) {
        return coordinator.endTransaction(req.transactionalId(), req.producerId(), req.producerEpoch(), req.committed(), END_TXN_WAIT_MS)
                .thenApply(e -> new EndTxnResponseData().setErrorCode(forVersion(e, version >= 2).code()));
    }

    DescribeTransactionsResponseData describe(DescribeTransactionsRequestData req) {
        DescribeTransactionsResponseData resp = new DescribeTransactionsResponseData();
        for (String id : req.transactionalIds()) {
            DescribeTransactionsResponseData.TransactionState s = new DescribeTransactionsResponseData.TransactionState()
                    .setTransactionalId(id).setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1)
                    .setTransactionStartTimeMs(-1);
            resp.transactionStates().add(s);
            try {
                java.util.Optional<TransactionRecord> r = coordinator.describe(id);
                if (r.isEmpty()) {
                    s.setErrorCode(Errors.TRANSACTIONAL_ID_NOT_FOUND.code());
                    continue;
                }
                TransactionRecord t = r.get();
                s.setTransactionState(t.state().kafkaName()).setTransactionTimeoutMs(t.timeoutMs())
                        .setTransactionStartTimeMs(t.state() == TransactionRecord.State.EMPTY ? -1 : t.startMs())
                        .setProducerId(t.producerId()).setProducerEpoch(t.producerEpoch());
                Map<String, DescribeTransactionsResponseData.TopicData> byTopic = new LinkedHashMap<>();
                for (PartitionKey p : t.partitions()) {
                    byTopic.computeIfAbsent(p.topic(), n -> new DescribeTransactionsResponseData.TopicData().setTopic(n))
                            .partitions().add(p.partition());
                }
                byTopic.values().forEach(td -> s.topics().add(td));
            } catch (RuntimeException e) {
                s.setErrorCode(TransactionCoordinator.errorOf(e).code());
            }
        }
        return resp;
    }

    ListTransactionsResponseData list(ListTransactionsRequestData req) {
        ListTransactionsResponseData resp = new ListTransactionsResponseData().setErrorCode(Errors.NONE.code());
        Set<String> known = new java.util.HashSet<>();
        for (TransactionRecord.State s : TransactionRecord.State.values()) {
            known.add(s.kafkaName());
        }
        for (String f : req.stateFilters()) {
            if (!known.contains(f)) {
                resp.unknownStateFilters().add(f);
            }
        }
        Pattern pattern = req.transactionalIdPattern() == null || req.transactionalIdPattern().isEmpty()
                ? null : Pattern.compile(req.transactionalIdPattern());
        long now = System.currentTimeMillis();
        for (TransactionRecord t : coordinator.list()) {
            if (!req.stateFilters().isEmpty() && !req.stateFilters().contains(t.state().kafkaName())) {
                continue;
            }
            if (!req.producerIdFilters().isEmpty() && !req.producerIdFilters().contains(t.producerId())) {
                continue;
            }
            if (req.durationFilter() >= 0 && (t.state() != TransactionRecord.State.ONGOING || now - t.startMs() < req.durationFilter())) {
                continue;
            }
            if (pattern != null && !pattern.matcher(t.transactionalId()).matches()) {
                continue;
            }
            resp.transactionStates().add(new ListTransactionsResponseData.TransactionState().setTransactionalId(t.transactionalId())
                    .setProducerId(t.producerId()).setTransactionState(t.state().kafkaName()));
        }
        return resp;
    }

    /** WriteTxnMarkers from a coordinator: each partition's marker, answered once durable and replicated. */
    CompletableFuture<WriteTxnMarkersResponseData> writeMarkers(WriteTxnMarkersRequestData req) {
        WriteTxnMarkersResponseData resp = new WriteTxnMarkersResponseData();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (WriteTxnMarkersRequestData.WritableTxnMarker m : req.markers()) {
            WriteTxnMarkersResponseData.WritableTxnMarkerResult mr = new WriteTxnMarkersResponseData.WritableTxnMarkerResult()
                    .setProducerId(m.producerId());
            resp.markers().add(mr);
            TxnMarker marker = new TxnMarker(m.transactionResult(), m.coordinatorEpoch());
            for (WriteTxnMarkersRequestData.WritableTxnMarkerTopic t : m.topics()) {
                WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult tr = new WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult()
                        .setName(t.name());
                mr.topics().add(tr);
                for (int p : t.partitionIndexes()) {
                    WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult pr =
                            new WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult().setPartitionIndex(p);
                    tr.partitions().add(pr);
                    pending.add(markers.append(new TopicPartition(t.name(), p), m.producerId(), m.producerEpoch(), marker, 30_000)
                            .thenAccept(e -> pr.setErrorCode(e.code())));
                }
            }
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> resp);
    }
}
