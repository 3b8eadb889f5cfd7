package io.strata.sdk.replay;

import java.util.List;
import java.util.Map;

/** One replayed record; {@code key} and {@code value} are null when the record had none. */
public record ReplayRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                           List<Map.Entry<String, byte[]>> headers) {
}
