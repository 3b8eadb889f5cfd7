package io.strata.tiering.service;

import java.nio.file.Path;

/** A closed local segment: offsets {@code [baseOffset, nextOffset)} in {@code file}. */
public record SealedSegment(long baseOffset, long nextOffset, Path file, long sizeBytes, long maxTimestamp) {
}
