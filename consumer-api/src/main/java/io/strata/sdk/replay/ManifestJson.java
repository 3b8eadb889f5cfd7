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
            return manifestFields(p).manifest();
        }
    }

    /**
     * Every partition's manifest, by partition, from {@code /api/topics/{t}/segments}: the
     * bucket is named once, for all of them.
     */
    static java.util.SortedMap<Integer, ManifestClient.Manifest> topicManifests(String body) throws IOException {
        try (JsonParser p = JSON.createParser(body)) {
            startObject(p);
            String objectStore = null;
            List<Numbered> partitions = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "objectStore" -> objectStore = value == JsonToken.VALUE_NULL ? null : text(p, field);
                    case "partitions" -> partitions = partitions(p);
                    default -> p.skipChildren();
                }
            }
            java.util.SortedMap<Integer, ManifestClient.Manifest> out = new java.util.TreeMap<>();
            for (Numbered n : required(partitions, "partitions")) {
                ManifestClient.Manifest m = n.manifest();
                long number = required(n.partition(), "partition");
                if (number < 0 || number > Integer.MAX_VALUE) {
                    throw new IOException("\"partition\" is no partition number: " + number);
                }
                int partition = (int) number;
                if (out.put(partition, new ManifestClient.Manifest(objectStore, m.logStartOffset(), m.highWatermark(), m.leader(),
                        m.segments())) != null) {
                    throw new IOException("partition " + partition + " is listed twice");
                }
            }
            if (!out.isEmpty() && (out.firstKey() != 0 || out.lastKey() != out.size() - 1)) {
                throw new IOException("the partitions listed are not 0 to " + (out.size() - 1) + ": " + out.keySet());
            }
            return out;
        }
    }

    /** A manifest, and the partition it says it is for (null when it does not say). */
    private record Numbered(Long partition, ManifestClient.Manifest manifest) {
    }

    private static List<Numbered> partitions(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new IOException("\"partitions\" is not a list");
        }
        List<Numbered> out = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            out.add(manifestFields(p));
        }
        if (p.currentToken() != JsonToken.END_ARRAY) {
            throw new IOException("\"partitions\" holds " + p.currentToken() + " where a partition belongs");
        }
        return out;
    }

    /**
     * The fields of a manifest object, read up to its end. The log's bounds may be missing only
     * where the node says outright that it does not lead the partition (it holds no replica of
     * it): a replay then asks the brokers for them.
     */
    private static Numbered manifestFields(JsonParser p) throws IOException {
        String objectStore = null;
        Long partition = null;
        Long logStartOffset = null;
        Long highWatermark = null;
        Boolean leader = null;
        List<ManifestClient.Segment> segments = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "objectStore" -> objectStore = value == JsonToken.VALUE_NULL ? null : text(p, field);
                case "partition" -> partition = number(p, field);
                case "logStartOffset" -> logStartOffset = number(p, field);
                case "highWatermark" -> highWatermark = number(p, field);
                case "leader" -> leader = bool(p, field);
                case "segments" -> segments = segments(p);
                default -> p.skipChildren();
            }
        }
        boolean notLeader = Boolean.FALSE.equals(leader);
        return new Numbered(partition, new ManifestClient.Manifest(objectStore,
                notLeader && logStartOffset == null ? -1 : required(logStartOffset, "logStartOffset"),
                notLeader && highWatermark == null ? -1 : required(highWatermark, "highWatermark"),
                Boolean.TRUE.equals(leader), required(segments, "segments")));
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
