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
    /**
     * What the key and value are read from, each field where it lies in it: read-only views of the
     * buffers given, or (read from the bucket) the record's batch. Only absolute gets and slices
     * read them, so their positions never move and a record may be read from any thread. The views
     * are made when a handler asks for them: a replay hands out hundreds of thousands of records a
     * second, and making two views for each whether asked for or not was most of what it allocated.
     */
    private final ByteBuffer keySource;
    private final ByteBuffer valueSource;
    private final int keyAt;
    private final int keyLength;
    private final int valueAt;
    private final int valueLength;
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
        this(topic, partition, offset, timestamp, key == null ? null : key.asReadOnlyBuffer(), key == null ? 0 : key.position(),
                key == null ? -1 : key.remaining(), value == null ? null : value.asReadOnlyBuffer(), value == null ? 0 : value.position(),
                value == null ? -1 : value.remaining(), headers);
    }

    /** {@code keyLength}, {@code valueLength}: -1 for a field the record does not have. */
    private ReplayRecord(String topic, int partition, long offset, long timestamp, ByteBuffer keySource, int keyAt, int keyLength,
                         ByteBuffer valueSource, int valueAt, int valueLength, List<Map.Entry<String, byte[]>> headers) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.keySource = keySource;
        this.keyAt = keyAt;
        this.keyLength = keyLength;
        this.valueSource = valueSource;
        this.valueAt = valueAt;
        this.valueLength = valueLength;
        this.headers = headers;
    }

    /**
     * The replay's own: a record of an uncompressed batch, its key and value where they lie in
     * {@code batch} (read-only, never changed); a length of -1 for a field the record does not have.
     */
    static ReplayRecord inBatch(String topic, int partition, long offset, long timestamp, ByteBuffer batch, int keyAt, int keyLength,
                                int valueAt, int valueLength, List<Map.Entry<String, byte[]>> headers) {
        return new ReplayRecord(topic, partition, offset, timestamp, batch, keyAt, keyLength, batch, valueAt, valueLength, headers);
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
        if (key == null && keyLength >= 0) {
            key = copy(keySource, keyAt, keyLength);
        }
        return key;
    }

    /** The value's bytes (copied once, on the first call); null when the record has no value. */
    public byte[] value() {
        if (value == null && valueLength >= 0) {
            value = copy(valueSource, valueAt, valueLength);
        }
        return value;
    }

    /** The key where it lies, read-only, without a copy, a view of its own from the key's first byte (position 0); null when the record has no key. */
    public ByteBuffer keyBuffer() {
        return keyLength < 0 ? null : keySource.slice(keyAt, keyLength);
    }

    /** The value where it lies, read-only, without a copy, a view of its own from the value's first byte (position 0); null when the record has no value. */
    public ByteBuffer valueBuffer() {
        return valueLength < 0 ? null : valueSource.slice(valueAt, valueLength);
    }

    public List<Map.Entry<String, byte[]>> headers() {
        return headers;
    }

    private static byte[] copy(ByteBuffer source, int at, int length) {
        byte[] out = new byte[length];
        source.get(at, out);
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
