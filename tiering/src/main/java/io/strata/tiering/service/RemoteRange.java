package io.strata.tiering.service;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * What object storage holds of a partition: offsets {@code [start, end)}; {@link #NONE} when
 * nothing. {@code producerSnapshot} fetches the producer-state snapshot kept with the last tiered
 * segment (the state as of {@code end}), for a log whose local disk lost everything.
 */
public record RemoteRange(long start, long end, Supplier<Optional<byte[]>> producerSnapshot) {
    public static final RemoteRange NONE = new RemoteRange(-1, -1);

    public RemoteRange(long start, long end) {
        this(start, end, Optional::empty);
    }

    public boolean exists() {
        return end > 0 && start >= 0;
    }
}
