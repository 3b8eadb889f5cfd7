package io.strata.tiering.store;

/** An object's key, size in bytes and last-modified time (epoch millis). */
public record ObjectInfo(String key, long size, long lastModifiedMs) {
}
