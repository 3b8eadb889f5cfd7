package io.strata.metastore.store;

import java.util.List;

/**
 * A consumer group's durable state: enough for a coordinator that restarts (or moves) to
 * resume the current generation without a rebalance.
 */
public record GroupRecord(String groupId, String protocolType, String protocolName, int generation,
                          String leaderId, List<Member> members) {
    public GroupRecord {
        members = List.copyOf(members);
    }

    /** One member of the current generation; {@code assignment} is the opaque bytes SyncGroup handed it. */
    public record Member(String memberId, String groupInstanceId, String clientId, String clientHost,
                         int sessionTimeoutMs, int rebalanceTimeoutMs, byte[] assignment) {
    }
}
