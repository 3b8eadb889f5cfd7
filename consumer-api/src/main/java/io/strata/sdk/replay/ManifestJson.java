package io.strata.sdk.replay;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin API's answers a replay reads, through Jackson's streaming parser: a databind
 * {@code ObjectMapper} cost a fresh {@code strata replay} 30 to 40 ms of class initialisation on
 * its main thread before the first request went out, for two small documents. Fields it does not
 * know are skipped, so a newer broker's answers still read.
 */
final class ManifestJson {
    private static final JsonFactory JSON = new JsonFactory();

    private ManifestJson() {
    }

    /** How many partitions {@code /api/topics/{t}} lists. */
    static int partitionCount(String body) throws IOException {
        try (JsonParser p = JSON.createParser(body)) {
            startObject(p);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("partitions") && value == JsonToken.START_ARRAY) {
                    int n = 0;
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        p.skipChildren();
                        n++;
                    }
                    return n;
                }
                p.skipChildren();
            }
        }
        throw new IOException("no \"partitions\" list");
    }

    /** A partition's manifest, {@code /api/topics/{t}/partitions/{p}/segments}. */
    static ManifestClient.Manifest manifest(String body) throws IOException {
        try (JsonParser p = JSON.createParser(body)) {
            startObject(p);
            String objectStore = null;
            Long logStartOffset = null;
            Long highWatermark = null;
            boolean leader = false;
            List<ManifestClient.Segment> segments = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "objectStore" -> objectStore = value == JsonToken.VALUE_NULL ? null : text(p, field);
                    case "logStartOffset" -> logStartOffset = number(p, field);
                    case "highWatermark" -> highWatermark = number(p, field);
                    case "leader" -> leader = bool(p, field);
                    case "segments" -> segments = segments(p);
                    default -> p.skipChildren();
                }
            }
            return new ManifestClient.Manifest(objectStore, required(logStartOffset, "logStartOffset"),
                    required(highWatermark, "highWatermark"), leader, required(segments, "segments"));
        }
    }

    private static List<ManifestClient.Segment> segments(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new IOException("\"segments\" is not a list");
        }
        List<ManifestClient.Segment> out = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            Long base = null;
            Long last = null;
            String key = null;
            Long size = null;
            Long minTs = null;
            Long maxTs = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "baseOffset" -> base = number(p, field);
                    case "lastOffset" -> last = number(p, field);
                    case "objectKey" -> key = text(p, field);
                    case "sizeBytes" -> size = number(p, field);
                    case "minTimestamp" -> minTs = number(p, field);
                    case "maxTimestamp" -> maxTs = number(p, field);
                    default -> p.skipChildren();
                }
            }
            out.add(new ManifestClient.Segment(required(base, "baseOffset"), required(last, "lastOffset"), required(key, "objectKey"),
                    required(size, "sizeBytes"), required(minTs, "minTimestamp"), required(maxTs, "maxTimestamp")));
        }
        if (p.currentToken() != JsonToken.END_ARRAY) {
            throw new IOException("\"segments\" holds " + p.currentToken() + " where a segment belongs");
        }
        return out;
    }

    private static void startObject(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new IOException("not a JSON object");
        }
    }

    private static boolean bool(JsonParser p, String field) throws IOException {
        if (!p.currentToken().isBoolean()) {
            throw new IOException("\"" + field + "\" is not true or false: " + p.getText());
        }
        return p.getBooleanValue();
    }

    private static String text(JsonParser p, String field) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw new IOException("\"" + field + "\" is not a string: " + p.getText());
        }
        return p.getText();
    }

    private static long number(JsonParser p, String field) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw new IOException("\"" + field + "\" is not a whole number: " + p.getText());
        }
        return p.getLongValue();
    }

    private static <T> T required(T value, String field) throws IOException {
        if (value == null) {
            throw new IOException("no \"" + field + "\"");
        }
        return value;
    }
}
