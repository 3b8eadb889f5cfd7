package io.strata.ingest.group;

/** One assignment protocol a member offers in JoinGroup, with its opaque metadata. */
public record Protocol(String name, byte[] metadata) {
}
