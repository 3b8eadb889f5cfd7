package io.strata.ingest.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * One thread's block of JSON lines, written as bytes. A replayed value is mostly text that needs no
 * escaping, and Jackson's generator looked at each of its bytes through a table: half of
 * {@code strata replay --out}'s writing time. Here eight bytes are tested at once and copied as they
 * are unless one of them is a control character, {@code "} or {@code \}, which are escaped exactly
 * as Jackson escapes them (a newline as backslash-n, a unit separator as backslash-u-001F), so that a line's bytes do not
 * depend on which path wrote them. Text passed to {@link #string} must be valid UTF-8 (the writer
 * checks); its multi-byte sequences are copied unchanged, as Jackson copies them.
 */
final class JsonLineBuffer {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long ONES = 0x0101010101010101L;
    private static final long SPACES = ONES * ' ';
    private static final long QUOTES = ONES * '"';
    private static final long BACKSLASHES = ONES * '\\';
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    /** The escape of each ASCII byte JSON escapes: 0 for none, 'u' for a backslash-u and four hex digits, else the letter after the backslash. */
    private static final byte[] ESCAPES = new byte[128];

    static {
        for (int c = 0; c < 0x20; c++) {
            ESCAPES[c] = 'u';
        }
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
    }

    private byte[] buf;
    private int size;

    JsonLineBuffer(int capacity) {
        buf = new byte[capacity];
    }

    int size() {
        return size;
    }

    /** Writes the block out and empties it. */
    void writeTo(OutputStream out) throws IOException {
        out.write(buf, 0, size);
        size = 0;
    }

    /** ASCII that needs no escaping: the punctuation and field names of a line. */
    JsonLineBuffer ascii(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    JsonLineBuffer ascii(char c) {
        ensure(1);
        buf[size++] = (byte) c;
        return this;
    }

    JsonLineBuffer number(long v) {
        if (v < 0) {
            // Rare (a timestamp of -1): not worth a second digit loop.
            return ascii(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
        }
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) {
            digits++;
        }
        ensure(digits);
        int end = size + digits;
        for (int i = end - 1; i >= size; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        size = end;
        return this;
    }

    /** {@code b[from, to)}, valid UTF-8, as a quoted JSON string. */
    JsonLineBuffer string(byte[] b, int from, int to) {
        // Worst case: every byte a six-byte escape, and the quotes.
        ensure(6 * (to - from) + 2);
        byte[] o = buf;
        int p = size;
        o[p++] = '"';
        int i = from;
        while (i + 8 <= to) {
            long x = (long) LONGS.get(b, i);
            // All eight copied at once; when one of them is escaped, what follows it is written again after its escape.
            LONGS.set(o, p, x);
            long escaped = escapeMask(x);
            if (escaped == 0) {
                p += 8;
                i += 8;
            } else {
                int k = Long.numberOfTrailingZeros(escaped) >>> 3;
                p = escape(o, p + k, b[i + k]);
                i += k + 1;
            }
        }
        for (; i < to; i++) {
            p = escape(o, p, b[i]);
        }
        o[p++] = '"';
        size = p;
        return this;
    }

    JsonLineBuffer string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return string(b, 0, b.length);
    }

    /** {@code b[from, to)} as a quoted base64 string (standard alphabet, padded, no line breaks: Jackson's default). */
    JsonLineBuffer base64(byte[] b, int from, int to) {
        byte[] encoded = Base64.getEncoder().encode(from == 0 && to == b.length ? b : Arrays.copyOfRange(b, from, to));
        ensure(encoded.length + 2);
        buf[size++] = '"';
        System.arraycopy(encoded, 0, buf, size, encoded.length);
        size += encoded.length;
        buf[size++] = '"';
        return this;
    }

    /** Writes {@code c} at {@code p}, escaped if JSON escapes it; returns the position after it. */
    private static int escape(byte[] o, int p, byte c) {
        byte e = c >= 0 ? ESCAPES[c] : 0;
        if (e == 0) {
            o[p++] = c;
        } else if (e != 'u') {
            o[p++] = '\\';
            o[p++] = e;
        } else {
            o[p++] = '\\';
            o[p++] = 'u';
            o[p++] = '0';
            o[p++] = '0';
            o[p++] = HEX[c >> 4];
            o[p++] = HEX[c & 0xF];
        }
        return p;
    }

    /**
     * The high bit of each of eight bytes (little-endian lanes) that may be a control character, '"' or '\'. Bytes of 0x80
     * and above never are: a lane's high bit counts only where the lane itself is below 0x80 ({@code & ~y}). Subtracting
     * borrows only out of a lane below what it subtracts, into the lanes above it, so the lowest lane marked is exactly
     * the first byte to escape (lanes above it may be marked wrongly, and are looked at again).
     */
    private static long escapeMask(long x) {
        long q = x ^ QUOTES;
        long s = x ^ BACKSLASHES;
        return (((x - SPACES) & ~x) | ((q - ONES) & ~q) | ((s - ONES) & ~s)) & HIGH_BITS;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
