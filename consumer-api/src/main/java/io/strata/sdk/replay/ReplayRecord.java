package io.strata.sdk.replay;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One replayed record; {@code key} and {@code value} are null when the record had none.
 *
 * <p>Read from the bucket, a record is a view of the downloaded batch: {@link #keyBuffer()} and
 * {@link #valueBuffer()} read its bytes where they lie, and {@link #key()} and {@link #value()}
 * copy them the first time they are asked for. A handler that only counts, filters on a header or
 * parses the value from its buffer makes no copy at all. A record kept after the handler returns
 * keeps its batch's download in memory; keep {@code key()}/{@code value()} instead when holding many.
 */
public final class ReplayRecord {
    private final String topic;
    private final int partition;
    private final long offset;
    private final long timestamp;
    private final ByteBuffer keyBuffer;
    private final ByteBuffer valueBuffer;
    private byte[] key;
    private byte[] value;
    private final List<Map.Entry<String, byte[]>> headers;

    public ReplayRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                        List<Map.Entry<String, byte[]>> headers) {
        this(topic, partition, offset, timestamp, key == null ? null : ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value),
                headers);
        this.key = key;
        this.value = value;
    }

    /** A record over the bytes where they lie (the buffers are not copied; they must not change). */
    public ReplayRecord(String topic, int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value,
                        List<Map.Entry<String, byte[]>> headers) {
        this(topic, partition, offset, timestamp, key == null ? null : key.asReadOnlyBuffer(),
                value == null ? null : value.asReadOnlyBuffer(), headers, true);
    }

    /** {@code views}: marks the constructor that keeps the buffers as given. */
    private ReplayRecord(String topic, int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value,
                         List<Map.Entry<String, byte[]>> headers, boolean views) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.keyBuffer = key;
        this.valueBuffer = value;
        this.headers = headers;
    }

    /** The replay's own: read-only views made for this record alone, kept as they are (no view of them made again). */
    static ReplayRecord overOwnViews(String topic, int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value,
                                     List<Map.Entry<String, byte[]>> headers) {
        return new ReplayRecord(topic, partition, offset, timestamp, key, value, headers, true);
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    public long timestamp() {
        return timestamp;
    }

    /** The key's bytes (copied once, on the first call); null when the record has no key. */
    public byte[] key() {
        if (key == null && keyBuffer != null) {
            key = copy(keyBuffer);
        }
        return key;
    }

    /** The value's bytes (copied once, on the first call); null when the record has no value. */
    public byte[] value() {
        if (value == null && valueBuffer != null) {
            value = copy(valueBuffer);
        }
        return value;
    }

    /** The key where it lies, read-only, without a copy; null when the record has no key. */
    public ByteBuffer keyBuffer() {
        return keyBuffer == null ? null : keyBuffer.duplicate();
    }

    /** The value where it lies, read-only, without a copy; null when the record has no value. */
    public ByteBuffer valueBuffer() {
        return valueBuffer == null ? null : valueBuffer.duplicate();
    }

    public List<Map.Entry<String, byte[]>> headers() {
        return headers;
    }

    private static byte[] copy(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReplayRecord r && partition == r.partition && offset == r.offset && timestamp == r.timestamp
                && topic.equals(r.topic) && Arrays.equals(key(), r.key()) && Arrays.equals(value(), r.value())
                && sameHeaders(headers, r.headers);
    }

    private static boolean sameHeaders(List<Map.Entry<String, byte[]>> a, List<Map.Entry<String, byte[]>> b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).getKey().equals(b.get(i).getKey()) || !Arrays.equals(a.get(i).getValue(), b.get(i).getValue())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(topic, partition, offset);
    }

    /** Readable: key and value as UTF-8 text (cut at 64 characters), headers by name. */
    @Override
    public String toString() {
        return "ReplayRecord[" + topic + "-" + partition + "@" + offset + ", timestamp " + timestamp + ", key " + text(key())
                + ", value " + text(value()) + (headers == null || headers.isEmpty() ? ""
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
