package io.strata.ingest.group;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** One member of a group, as the coordinator tracks it. Guarded by its group's lock. */
final class Member {
    final String memberId;
    final String groupInstanceId;
    String clientId;
    String clientHost;
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;
    List<Protocol> protocols;
    byte[] assignment = new byte[0];
    long lastHeartbeatMs;
    CompletableFuture<JoinResult> pendingJoin;
    CompletableFuture<SyncResult> pendingSync;

    Member(String memberId, String groupInstanceId) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
    }

    byte[] metadataFor(String protocol) {
        for (Protocol p : protocols) {
            if (p.name().equals(protocol)) {
                return p.metadata();
            }
        }
        return new byte[0];
    }

    boolean supports(String protocol) {
        return protocols.stream().anyMatch(p -> p.name().equals(protocol));
    }

    boolean sameProtocols(List<Protocol> other) {
        if (protocols == null || other.size() != protocols.size()) {
            return false;
        }
        for (int i = 0; i < other.size(); i++) {
            if (!other.get(i).name().equals(protocols.get(i).name())
                    || !java.util.Arrays.equals(other.get(i).metadata(), protocols.get(i).metadata())) {
                return false;
            }
        }
        return true;
    }
}
