package io.strata.ingest.group;

import org.apache.kafka.common.protocol.Errors;

import java.util.List;

/** The answer to one JoinGroup: the leader alone receives every member's metadata. */
public record JoinResult(Errors error, int generation, String protocolType, String protocolName, String leaderId,
                         String memberId, List<JoinedMember> members, boolean skipAssignment) {

    public JoinResult(Errors error, int generation, String protocolType, String protocolName, String leaderId,
                      String memberId, List<JoinedMember> members) {
        this(error, generation, protocolType, protocolName, leaderId, memberId, members, false);
    }

    public record JoinedMember(String memberId, String groupInstanceId, byte[] metadata) {
    }

    static JoinResult error(Errors error, String memberId) {
        return new JoinResult(error, -1, null, null, "", memberId, List.of());
    }
}
