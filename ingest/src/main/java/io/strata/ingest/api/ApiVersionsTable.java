package io.strata.ingest.api;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.EnumMap;
import java.util.Map;

/**
 * The one owner of protocol versions: which APIs Strata serves and in which version range.
 * Upper bounds stop where a version would change semantics Strata does not implement yet
 * (Produce v13 and Fetch v13+ address topics by id only; OffsetCommit/OffsetFetch v10 too).
 */
public final class ApiVersionsTable {
    private record Range(short min, short max) {
    }

    private static final Map<ApiKeys, Range> SUPPORTED = new EnumMap<>(ApiKeys.class);

    static {
        put(ApiKeys.PRODUCE, 3, 12);
        put(ApiKeys.FETCH, 4, 12);
        put(ApiKeys.LIST_OFFSETS, 1, 10);
        put(ApiKeys.METADATA, 0, 13);
        put(ApiKeys.OFFSET_COMMIT, 2, 9);
        put(ApiKeys.OFFSET_FETCH, 1, 9);
        put(ApiKeys.FIND_COORDINATOR, 0, 6);
        put(ApiKeys.JOIN_GROUP, 0, 9);
        put(ApiKeys.HEARTBEAT, 0, 4);
        put(ApiKeys.LEAVE_GROUP, 0, 5);
        put(ApiKeys.SYNC_GROUP, 0, 5);
        put(ApiKeys.DESCRIBE_GROUPS, 0, 5);
        put(ApiKeys.LIST_GROUPS, 0, 4);
        put(ApiKeys.API_VERSIONS, 0, ApiKeys.API_VERSIONS.latestVersion());
        put(ApiKeys.CREATE_TOPICS, 2, 7);
        put(ApiKeys.DELETE_TOPICS, 1, 6);
        put(ApiKeys.DELETE_RECORDS, 0, 2);
        put(ApiKeys.INIT_PRODUCER_ID, 0, 5);
        put(ApiKeys.DESCRIBE_CONFIGS, 1, 4);
        put(ApiKeys.CREATE_PARTITIONS, 0, 3);
        put(ApiKeys.DELETE_GROUPS, 0, 2);
        put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, 1);
        put(ApiKeys.OFFSET_DELETE, 0, 0);
        put(ApiKeys.DESCRIBE_CLUSTER, 0, 1);
        put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, 2, 4);
        put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, 0, 0);
        put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, 0, 0);
        // v0 of SaslHandshake sends the tokens as raw frames, outside Kafka's framing: it is answered with an error
        // (clients of the last decade use v1), but advertised, as librdkafka will not use SASL without it.
        put(ApiKeys.SASL_HANDSHAKE, 0, 1);
        put(ApiKeys.SASL_AUTHENTICATE, 0, 2);
        put(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, 0, 0);
        put(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, 0, 0);
        put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, 0, 1);
        put(ApiKeys.CREATE_ACLS, 1, 3);
        put(ApiKeys.DESCRIBE_ACLS, 1, 3);
        put(ApiKeys.DELETE_ACLS, 1, 3);
        // Transactions as Kafka's transaction version 1 runs them (the client adds partitions with AddPartitionsToTxn);
        // the versions after these belong to KIP-890's version 2, which Strata does not advertise.
        put(ApiKeys.ADD_PARTITIONS_TO_TXN, 0, 3);
        put(ApiKeys.ADD_OFFSETS_TO_TXN, 0, 3);
        put(ApiKeys.END_TXN, 0, 4);
        put(ApiKeys.TXN_OFFSET_COMMIT, 0, 4);
        put(ApiKeys.WRITE_TXN_MARKERS, 1, 1);
        put(ApiKeys.DESCRIBE_TRANSACTIONS, 0, 0);
        put(ApiKeys.LIST_TRANSACTIONS, 0, 2);
    }

    private ApiVersionsTable() {
    }

    private static void put(ApiKeys key, int min, int max) {
        short lo = (short) Math.max(min, key.oldestVersion());
        short hi = (short) Math.min(max, key.latestVersion());
        SUPPORTED.put(key, new Range(lo, hi));
    }

    public static boolean supports(ApiKeys key, short version) {
        Range r = SUPPORTED.get(key);
        return r != null && version >= r.min && version <= r.max;
    }

    public static ApiVersionsResponseData response(Errors error) {
        ApiVersionsResponseData data = new ApiVersionsResponseData().setErrorCode(error.code());
        SUPPORTED.forEach((key, r) -> data.apiKeys().add(new ApiVersionsResponseData.ApiVersion()
                .setApiKey(key.id).setMinVersion(r.min).setMaxVersion(r.max)));
        return data;
    }
}
