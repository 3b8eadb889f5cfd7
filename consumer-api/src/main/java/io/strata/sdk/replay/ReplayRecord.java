package io.strata.sdk.replay;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** One replayed record; {@code key} and {@code value} are null when the record had none. */
public record ReplayRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                           List<Map.Entry<String, byte[]>> headers) {

    /** Readable: key and value as UTF-8 text (cut at 64 characters), headers by name. */
    @Override
    public String toString() {
        return "ReplayRecord[" + topic + "-" + partition + "@" + offset + ", timestamp " + timestamp + ", key " + text(key)
                + ", value " + text(value) + (headers == null || headers.isEmpty() ? ""
                : ", headers " + headers.stream().map(h -> h.getKey() + "=" + text(h.getValue())).toList()) + "]";
    }

    private static String text(byte[] b) {
        if (b == null) {
            return "null";
        }
        String s = new String(b, StandardCharsets.UTF_8);
        return s.length() > 64 ? s.substring(0, 64) + "… (" + b.length + " bytes)" : s;
    }
}
