package io.strata.ingest.api;

import io.strata.ingest.log.LogConfig;
import io.strata.ingest.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** How a fetch answers partitions read from object storage: one partition waiting on the bucket does not hold the others. */
class RemoteFetchAnswerTest {
    @TempDir
    Path dir;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private FetchHandler.RemoteRead read(FetchResponseData.FetchableTopicResponse topic, PartitionLog log, int partition,
                                         CompletableFuture<ByteBuffer> bytes) {
        FetchResponseData.PartitionData pd = new FetchResponseData.PartitionData().setPartitionIndex(partition);
        topic.partitions().add(pd);
        return new FetchHandler.RemoteRead(pd, new TopicPartition("t", partition), log, 0, bytes, false);
    }

    private static ByteBuffer batch() {
        return MemoryRecords.withRecords(0, Compression.NONE, 0, new SimpleRecord("v".getBytes())).buffer();
    }

    @Test
    void aPartitionStillWaitingOnTheBucketIsAnsweredEmptyShortlyAfterAnotherIsRead() throws Exception {
        PartitionLog log = PartitionLog.open(dir, "t-0", LogConfig.defaults(), 0);
        try {
            FetchResponseData response = new FetchResponseData();
            FetchResponseData.FetchableTopicResponse topic = new FetchResponseData.FetchableTopicResponse().setTopic("t");
            response.responses().add(topic);
            CompletableFuture<ByteBuffer> read = new CompletableFuture<>();
            CompletableFuture<ByteBuffer> waitingOnBucket = new CompletableFuture<>();
            FetchHandler.Read r = new FetchHandler.Read(response, 0, false,
                    List.of(read(topic, log, 0, read), read(topic, log, 1, waitingOnBucket)));
            CompletableFuture<FetchResponseData> answer = r.completeRemote(timer);
            read.complete(batch());
            FetchResponseData got = answer.get(5, TimeUnit.SECONDS);
            FetchResponseData.PartitionData first = got.responses().get(0).partitions().get(0);
            FetchResponseData.PartitionData second = got.responses().get(0).partitions().get(1);
            assertThat(first.records().sizeInBytes()).isEqualTo(batch().remaining());
            assertThat(second.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(second.records().sizeInBytes()).as("no records yet, and no error: the consumer asks again").isZero();
            assertThat(second.highWatermark()).isEqualTo(log.highWatermark());
            // The read finishing later does not touch the answer already given.
            waitingOnBucket.complete(batch());
            Thread.sleep(50);
            assertThat(second.records().sizeInBytes()).isZero();
        } finally {
            log.close();
        }
    }

    @Test
    void partitionsAllReadAreAnsweredWithTheirBytesAndAFailedOneWithItsError() throws Exception {
        PartitionLog log = PartitionLog.open(dir, "t-0", LogConfig.defaults(), 0);
        try {
            FetchResponseData response = new FetchResponseData();
            FetchResponseData.FetchableTopicResponse topic = new FetchResponseData.FetchableTopicResponse().setTopic("t");
            response.responses().add(topic);
            CompletableFuture<ByteBuffer> a = new CompletableFuture<>();
            CompletableFuture<ByteBuffer> b = new CompletableFuture<>();
            FetchHandler.Read r = new FetchHandler.Read(response, 0, false, List.of(read(topic, log, 0, a), read(topic, log, 1, b)));
            // Both read before the answer is put together (a grace that ran out first would answer the slower one empty).
            b.completeExceptionally(new io.strata.tiering.store.ObjectStoreException("the bucket is down", null));
            a.complete(batch());
            FetchResponseData got = r.completeRemote(timer).get(5, TimeUnit.SECONDS);
            assertThat(got.responses().get(0).partitions().get(0).records().sizeInBytes()).isEqualTo(batch().remaining());
            assertThat(got.responses().get(0).partitions().get(1).errorCode()).isEqualTo(Errors.KAFKA_STORAGE_ERROR.code());
        } finally {
            log.close();
        }
    }
}
