package io.strata.ingest.cli;

import io.strata.sdk.replay.ReplayRecord;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Replayed records as JSON lines: {@code {"partition":…,"offset":…,"timestamp":…,"key":…,"value":…,
 * "headers":[{"key":…,"value":…}]}}, a key, value or header value as text when its bytes are UTF-8
 * and else base64 under {@code <name>Base64}. Each thread builds its lines straight from the record's
 * bytes (no String, no map) into its own block ({@link JsonLineBuffer}), and appends whole
 * blocks of lines to the shared stream (one lock per 256 KiB, not per line: six partitions'
 * threads contending for it per line spent half their time waiting), so lines never interleave.
 * {@link #flush()} pushes every thread's block out: the replay calls it before it writes a
 * checkpoint, so a checkpoint never counts a line that is not written.
 */
public final class JsonLinesWriter implements AutoCloseable, io.strata.sdk.replay.Replay.RecordHandler {
    private static final int BLOCK = 256 * 1024;

    private final OutputStream out;
    private final boolean closeTarget;
    private final java.util.List<Line> all = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ThreadLocal<Line> lines = ThreadLocal.withInitial(() -> {
        Line l = new Line();
        all.add(l);
        return l;
    });

    /** Writes to {@code target}, closed with this writer unless it is standard output. */
    public JsonLinesWriter(OutputStream target) {
        // No buffer of its own: the threads hand it whole blocks of lines.
        this.out = target;
        this.closeTarget = target != System.out;
    }

    /** One thread's lines not yet written out. */
    private static final class Line {
        final JsonLineBuffer bytes = new JsonLineBuffer(BLOCK + 64 * 1024);
        byte[] scratch = new byte[4096];
    }

    @Override
    public void handle(ReplayRecord rec) throws IOException {
        write(rec);
    }

    public void write(ReplayRecord rec) throws IOException {
        Line line = lines.get();
        synchronized (line) {
            append(line, rec);
            if (line.bytes.size() >= BLOCK) {
                drain(line);
            }
        }
    }

    /** Writes out every thread's lines so far and flushes the stream. */
    @Override
    public void flush() throws IOException {
        for (Line line : all) {
            synchronized (line) {
                drain(line);
            }
        }
        synchronized (out) {
            out.flush();
        }
    }

    /** Appends {@code line}'s block to the stream; the caller holds the line's lock (always taken before the stream's). */
    private void drain(Line line) throws IOException {
        if (line.bytes.size() == 0) {
            return;
        }
        synchronized (out) {
            line.bytes.writeTo(out);
        }
    }

    private static final byte[] PARTITION = ascii("{\"partition\":");
    private static final byte[] OFFSET = ascii(",\"offset\":");
    private static final byte[] TIMESTAMP = ascii(",\"timestamp\":");
    private static final byte[] HEADERS = ascii(",\"headers\":[");
    private static final byte[] HEADER_KEY = ascii("{\"key\":");
    private static final Field KEY = new Field("key");
    private static final Field VALUE = new Field("value");

    /** A bytes field's three forms, {@code "name":}, {@code "nameBase64":} and {@code "name":null}, as bytes. */
    private record Field(byte[] text, byte[] base64, byte[] isNull) {
        Field(String name) {
            this(ascii("\"" + name + "\":"), ascii("\"" + name + "Base64\":"), ascii("\"" + name + "\":null"));
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void append(Line line, ReplayRecord rec) {
        JsonLineBuffer b = line.bytes;
        b.ascii(PARTITION).number(rec.partition()).ascii(OFFSET).number(rec.offset()).ascii(TIMESTAMP).number(rec.timestamp());
        b.ascii(',');
        field(line, KEY, rec.keyBuffer());
        b.ascii(',');
        field(line, VALUE, rec.valueBuffer());
        if (rec.headers() != null && !rec.headers().isEmpty()) {
            // As a list of {key, value}: names may repeat, as in Kafka.
            b.ascii(HEADERS);
            boolean first = true;
            for (Map.Entry<String, byte[]> h : rec.headers()) {
                if (!first) {
                    b.ascii(',');
                }
                first = false;
                b.ascii(HEADER_KEY).string(h.getKey()).ascii(',');
                field(line, VALUE, h.getValue() == null ? null : ByteBuffer.wrap(h.getValue()));
                b.ascii('}');
            }
            b.ascii(']');
        }
        b.ascii('}').ascii('\n');
    }

    private static void field(Line line, Field field, ByteBuffer value) {
        JsonLineBuffer b = line.bytes;
        if (value == null) {
            b.ascii(field.isNull());
            return;
        }
        int n = value.remaining();
        if (line.scratch.length < n) {
            line.scratch = new byte[Math.max(n, line.scratch.length * 2)];
        }
        value.duplicate().get(line.scratch, 0, n);
        if (Utf8.isValid(line.scratch, 0, n)) {
            b.ascii(field.text()).string(line.scratch, 0, n);
        } else {
            b.ascii(field.base64()).base64(line.scratch, 0, n);
        }
    }

    @Override
    public void close() throws IOException {
        flush();
        synchronized (out) {
            if (closeTarget) {
                out.close();
            } else {
                out.flush();
            }
        }
    }

    /** Strict UTF-8 as Java's decoder reports it: no overlong forms, surrogates or code points past U+10FFFF. */
    static final class Utf8 {
        private Utf8() {
        }

        /** Eight bytes of an array as one long: one load and one test per eight ASCII bytes. */
        private static final java.lang.invoke.VarHandle LONGS =
                java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
        private static final long HIGH_BITS = 0x8080808080808080L;

        static boolean isValid(byte[] b, int from, int to) {
            int i = from;
            while (i < to) {
                // Text values are mostly ASCII: skip it eight bytes at a time (this check was a tenth of a replay's CPU).
                while (i + 8 <= to && ((long) LONGS.get(b, i) & HIGH_BITS) == 0) {
                    i += 8;
                }
                if (i >= to) {
                    break;
                }
                int c = b[i] & 0xff;
                if (c < 0x80) {
                    i++;
                    continue;
                }
                int more;
                if (c >= 0xC2 && c <= 0xDF) {
                    more = 1;
                } else if (c >= 0xE0 && c <= 0xEF) {
                    more = 2;
                } else if (c >= 0xF0 && c <= 0xF4) {
                    more = 3;
                } else {
                    return false;
                }
                if (i + more >= to) {
                    return false;
                }
                int c1 = b[i + 1] & 0xff;
                if ((c1 & 0xC0) != 0x80 || (c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F)
                        || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) {
                    return false;
                }
                for (int k = 2; k <= more; k++) {
                    if ((b[i + k] & 0xC0) != 0x80) {
                        return false;
                    }
                }
                i += more + 1;
            }
            return true;
        }
    }
}
