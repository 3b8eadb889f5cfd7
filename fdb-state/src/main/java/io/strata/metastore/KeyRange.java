package io.strata.metastore;

import com.apple.foundationdb.subspace.Subspace;

/** A half-open range of keys {@code [begin, end)}. */
public record KeyRange(byte[] begin, byte[] end) {

    /** Every key strictly inside {@code subspace}, as FoundationDB's {@code Subspace.range()}. */
    public static KeyRange of(Subspace subspace) {
        com.apple.foundationdb.Range range = subspace.range();
        return new KeyRange(range.begin, range.end);
    }
}
