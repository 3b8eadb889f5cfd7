package io.strata.ingest.log;

/** What object storage holds of a partition: offsets {@code [start, end)}; {@link #NONE} when nothing. */
public record RemoteRange(long start, long end) {
    public static final RemoteRange NONE = new RemoteRange(-1, -1);

    public boolean exists() {
        return end > 0 && start >= 0;
    }
}
