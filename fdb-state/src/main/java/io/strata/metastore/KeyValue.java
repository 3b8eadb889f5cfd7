package io.strata.metastore;

/** One entry read from the store. The arrays are owned by the caller. */
public record KeyValue(byte[] key, byte[] value) {
}
