package io.strata.ingest.api;

import io.strata.metastore.store.ProducerIdStore;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;

/**
 * InitProducerId for idempotent producers: a fresh id at epoch 0, or, when a producer that
 * already has an id asks again (KIP-360, after a sequence error), the same id with its epoch
 * bumped so the partition logs reset its sequence. Transactional producers go to
 * {@link TransactionApis} instead.
 */
final class ProducerIdHandler {
    private final ProducerIdStore ids;

    ProducerIdHandler(ProducerIdStore ids) {
        this.ids = ids;
    }

    InitProducerIdResponseData handle(InitProducerIdRequestData req) {
        if (req.producerId() >= 0 && req.producerEpoch() >= 0 && req.producerEpoch() < Short.MAX_VALUE - 1) {
            return new InitProducerIdResponseData().setProducerId(req.producerId()).setProducerEpoch((short) (req.producerEpoch() + 1));
        }
        return new InitProducerIdResponseData().setProducerId(ids.nextProducerId()).setProducerEpoch((short) 0);
    }
}
