package io.strata.ingest.group;

import org.apache.kafka.common.protocol.Errors;

/** The answer to one SyncGroup: this member's assignment. */
public record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment) {
    static SyncResult error(Errors error) {
        return new SyncResult(error, null, null, new byte[0]);
    }
}
