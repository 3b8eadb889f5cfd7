package io.strata.ingest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.sdk.replay.ReplayRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The replay CLI's JSON lines: text or base64 exactly as UTF-8 decoding decides, escaped, whole lines under concurrency. */
class JsonLinesWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static boolean decodes(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void utf8ValidityAgreesWithJavasDecoder() {
        Random random = new Random(7);
        List<byte[]> cases = new ArrayList<>(List.of(new byte[0], "plain".getBytes(), "ünïcødé ✓ 😀".getBytes(StandardCharsets.UTF_8),
                new byte[]{(byte) 0xC0, (byte) 0x80}, new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[]{(byte) 0xE2, (byte) 0x82},
                new byte[]{(byte) 0xF0, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF}, new byte[]{(byte) 0xE0, (byte) 0x9F, (byte) 0xBF}));
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            random.nextBytes(b);
            cases.add(b);
        }
        // Runs of ASCII before and after, which the check skips eight bytes at a time: every alignment of the bytes that
        // decide, and bytes outside the range given that must not be looked at.
        for (int i = 0; i < 200_000; i++) {
            byte[] ascii = new byte[random.nextInt(18)];
            byte[] tail = new byte[random.nextInt(18)];
            byte[] middle = new byte[random.nextInt(7)];
            random.nextBytes(middle);
            for (byte[] a : List.of(ascii, tail)) {
                for (int k = 0; k < a.length; k++) {
                    a[k] = (byte) random.nextInt(0x80);
                }
            }
            cases.add(concat(ascii, middle, tail));
        }
        // Printable ASCII with at most one byte JSON escapes ('"', '\\', a control character) at every alignment: the
        // check's eight-byte steps must stop for none of them.
        byte[] special = {'"', '\\', 0, '\n', 0x1f, 0x7f, ' ', '!', '#', '[', ']', '~'};
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[random.nextInt(40)];
            for (int k = 0; k < b.length; k++) {
                b[k] = (byte) (0x20 + random.nextInt(0x5f));
            }
            if (b.length > 0 && random.nextBoolean()) {
                b[random.nextInt(b.length)] = special[random.nextInt(special.length)];
            }
            cases.add(b);
        }
        for (byte[] b : cases) {
            String hex = java.util.HexFormat.of().formatHex(b);
            assertThat(JsonLinesWriter.Utf8.isValid(b, 0, b.length)).as(hex).isEqualTo(decodes(b));

            byte[] padded = concat(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, b, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                    (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
            assertThat(JsonLinesWriter.Utf8.isValid(padded, 3, 3 + b.length)).as("within " + java.util.HexFormat.of().formatHex(padded))
                    .isEqualTo(decodes(b));
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void textBase64NullsAndHeadersLikeKafkasTools() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] binary = {(byte) 0xff, 0, 1, 2};
        try (JsonLinesWriter w = new JsonLinesWriter(out)) {
            w.write(new ReplayRecord("t", 3, 42, 1000, "k\"1\n".getBytes(), "välue 😀".getBytes(StandardCharsets.UTF_8),
                    List.of(Map.entry("h", "x".getBytes()), Map.entry("h", binary), new java.util.AbstractMap.SimpleEntry<>("n\"ull", null))));
            w.write(new ReplayRecord("t", 0, 7, 5, null, ByteBuffer.wrap(binary), List.of()));
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        JsonNode first = JSON.readTree(lines[0]);
        assertThat(first.get("partition").asInt()).isEqualTo(3);
        assertThat(first.get("offset").asLong()).isEqualTo(42);
        assertThat(first.get("timestamp").asLong()).isEqualTo(1000);
        assertThat(first.get("key").asText()).isEqualTo("k\"1\n");
        assertThat(first.get("value").asText()).isEqualTo("välue 😀");
        assertThat(first.get("headers").get(0).get("value").asText()).isEqualTo("x");
        assertThat(first.get("headers").get(1).get("valueBase64").asText()).isEqualTo(Base64.getEncoder().encodeToString(binary));
        assertThat(first.get("headers").get(2).get("key").asText()).isEqualTo("n\"ull");
        assertThat(first.get("headers").get(2).get("value").isNull()).isTrue();
        assertThat(first.get("headers")).hasSize(3);
        JsonNode second = JSON.readTree(lines[1]);
        assertThat(second.get("key").isNull()).isTrue();
        assertThat(second.has("value")).isFalse();
        assertThat(second.get("valueBase64").asText()).isEqualTo(Base64.getEncoder().encodeToString(binary));
        assertThat(second.has("headers")).isFalse();
    }

    @Test
    void valuesPassedThroughUnescapedAreByteForByteWhatJacksonWrites() throws Exception {
        Random random = new Random(11);
        List<String> values = new ArrayList<>(List.of("", "plain text", "välue 😀", "tab\there", "q\"uote", "back\\slash", "del\u007f",
                "line\u2028sep", "</script>"));
        for (int i = 0; i < 2000; i++) {
            StringBuilder v = new StringBuilder();
            for (int k = random.nextInt(60); k > 0; k--) {
                v.append((char) (random.nextInt(10) == 0 ? random.nextInt(0x20) : 0x20 + random.nextInt(0x5f)));
            }
            values.add(v.toString());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonLinesWriter w = new JsonLinesWriter(out)) {
            for (int i = 0; i < values.size(); i++) {
                w.write(new ReplayRecord("t", 0, i, 0, null, values.get(i).getBytes(StandardCharsets.UTF_8), List.of()));
            }
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        com.fasterxml.jackson.core.JsonFactory factory = new com.fasterxml.jackson.core.JsonFactory();
        for (int i = 0; i < values.size(); i++) {
            try (com.fasterxml.jackson.core.JsonGenerator g = factory.createGenerator(expected)) {
                g.writeStartObject();
                g.writeNumberField("partition", 0);
                g.writeNumberField("offset", i);
                g.writeNumberField("timestamp", 0);
                g.writeNullField("key");
                // The generator looking at every byte, as the writer did for all values before it passed plain ones through.
                byte[] v = values.get(i).getBytes(StandardCharsets.UTF_8);
                g.writeFieldName("value");
                g.writeUTF8String(v, 0, v.length);
                g.writeEndObject();
            }
            expected.write('\n');
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString(StandardCharsets.UTF_8));
    }

    @Test
    void stringsAreEscapedByteForByteAsJacksonEscapesThem() throws Exception {
        Random random = new Random(13);
        String[] pieces = {"a", "Z", " ", "~", "\u007f", "\"", "\\", "\n", "\t", "\b", "\f", "\r", "\u0000", "\u001f", "/", "é", "✓", "😀"};
        com.fasterxml.jackson.core.JsonFactory factory = new com.fasterxml.jackson.core.JsonFactory();
        for (int i = 0; i < 50_000; i++) {
            StringBuilder v = new StringBuilder();
            for (int k = random.nextInt(30); k > 0; k--) {
                // Mostly plain ASCII, so that eight-byte runs occur at every alignment around what is escaped.
                v.append(random.nextInt(4) == 0 ? pieces[random.nextInt(pieces.length)] : (char) (0x20 + random.nextInt(0x5f)));
            }
            byte[] utf8 = v.toString().getBytes(StandardCharsets.UTF_8);
            JsonLineBuffer line = new JsonLineBuffer(16);
            line.string(utf8, 0, utf8.length);
            ByteArrayOutputStream actual = new ByteArrayOutputStream();
            line.writeTo(actual);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            try (com.fasterxml.jackson.core.JsonGenerator g = factory.createGenerator(expected)) {
                g.writeUTF8String(utf8, 0, utf8.length);
            }
            assertThat(actual.toString(StandardCharsets.UTF_8)).as(v.toString()).isEqualTo(expected.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void linesFromManyThreadsNeverInterleave() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int threads = 6;
        int each = 5000;
        try (JsonLinesWriter w = new JsonLinesWriter(out)) {
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int p = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < each; i++) {
                        try {
                            w.write(new ReplayRecord("t", p, i, i, null, ("value " + p + "/" + i + " " + "x".repeat(i % 300)).getBytes(), List.of()));
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }
                });
                th.start();
                ts.add(th);
            }
            for (Thread t : ts) {
                t.join();
            }
        }
        Set<String> seen = new HashSet<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            JsonNode n = JSON.readTree(line);
            assertThat(n.get("value").asText()).startsWith("value " + n.get("partition").asInt() + "/" + n.get("offset").asLong() + " ");
            seen.add(n.get("partition").asInt() + "/" + n.get("offset").asLong());
        }
        assertThat(seen).hasSize(threads * each);
    }
}
