package io.strata.sdk.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Reads a partition's segment manifest from a broker's admin API ({@code /api/topics/{t}/partitions/{p}/segments}). */
final class ManifestClient {
    record Segment(long baseOffset, long lastOffset, String objectKey, long sizeBytes, long minTimestamp, long maxTimestamp) {
    }

    /**
     * {@code leader}: the answering node leads the partition, so its log start offset and high
     * watermark are the partition's (false also when the node does not say).
     */
    record Manifest(String objectStore, long logStartOffset, long highWatermark, boolean leader, List<Segment> segments) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final String adminUrl;
    private final String token;

    /** {@code token}: the node's admin.auth.token, or null when its admin API is open. */
    ManifestClient(String adminUrl, String token) {
        this(adminUrl, token, new java.util.Properties());
    }

    /** {@code client}: Kafka client settings whose ssl.* also secure an https admin URL. */
    ManifestClient(String adminUrl, String token, java.util.Properties client) {
        this.adminUrl = adminUrl.replaceAll("/+$", "");
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (this.adminUrl.startsWith("https:") && client.keySet().stream().anyMatch(k -> k.toString().startsWith("ssl."))) {
            b.sslContext(sslContext(client));
        }
        this.http = b.build();
    }

    /** TLS for the admin API from Kafka's client ssl.* settings, built by kafka-clients' own engine factory. */
    private static javax.net.ssl.SSLContext sslContext(java.util.Properties client) {
        java.util.Map<String, Object> ssl = new java.util.HashMap<>();
        client.forEach((k, v) -> {
            if (k.toString().startsWith("ssl.")) {
                ssl.put(k.toString(), v);
            }
        });
        try {
            java.util.Map<String, Object> parsed = new org.apache.kafka.common.config.ConfigDef().withClientSslSupport().parse(ssl);
            org.apache.kafka.common.security.ssl.DefaultSslEngineFactory factory = new org.apache.kafka.common.security.ssl.DefaultSslEngineFactory();
            factory.configure(parsed);
            return factory.sslContext();
        } catch (RuntimeException e) {
            throw new ReplayException("cannot use the ssl.* client settings for the admin API: " + e.getMessage(), e);
        }
    }

    int partitions(String topic) {
        return get("/api/topics/" + enc(topic)).get("partitions").size();
    }

    Manifest manifest(String topic, int partition) {
        return manifest(get(segmentsPath(topic, partition)));
    }

    /** As {@link #manifest}, without blocking: a replay asks for every partition's at once. */
    CompletableFuture<Manifest> manifestAsync(String topic, int partition) {
        String path = segmentsPath(topic, partition);
        return http.sendAsync(request(path), HttpResponse.BodyHandlers.ofString()).handle((r, t) -> {
            if (t == null) {
                return manifest(answer(path, r));
            }
            Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
            throw cause instanceof IOException io ? unreachable(io) : new ReplayException("admin API " + adminUrl + path + ": " + cause, cause);
        });
    }

    private static String segmentsPath(String topic, int partition) {
        return "/api/topics/" + enc(topic) + "/partitions/" + partition + "/segments";
    }

    private static Manifest manifest(JsonNode n) {
        List<Segment> segs = new ArrayList<>();
        for (JsonNode s : n.get("segments")) {
            segs.add(new Segment(s.get("baseOffset").asLong(), s.get("lastOffset").asLong(), s.get("objectKey").asText(),
                    s.get("sizeBytes").asLong(), s.get("minTimestamp").asLong(), s.get("maxTimestamp").asLong()));
        }
        return new Manifest(n.get("objectStore").isNull() ? null : n.get("objectStore").asText(),
                n.get("logStartOffset").asLong(), n.get("highWatermark").asLong(), n.path("leader").asBoolean(false), segs);
    }

    private HttpRequest request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(adminUrl + path)).timeout(Duration.ofSeconds(30));
        if (token != null && !token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.build();
    }

    private JsonNode get(String path) {
        try {
            return answer(path, http.send(request(path), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplayException("interrupted", e);
        }
    }

    private JsonNode answer(String path, HttpResponse<String> r) {
        if (r.statusCode() == 401) {
            throw new ReplayException("admin API " + adminUrl + path + " wants a token: give the node's admin.auth.token"
                    + " (Replay.adminToken, or --admin-token / STRATA_ADMIN_TOKEN with ./strata replay)", null);
        }
        if (r.statusCode() != 200) {
            throw new ReplayException("admin API " + adminUrl + path + " answered " + r.statusCode() + ": " + r.body(), null);
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new ReplayException("admin API " + adminUrl + path + " answered what is not JSON: " + e.getMessage(), e);
        }
    }

    private ReplayException unreachable(IOException e) {
        // A refused connection has no message of its own: name its kind (ConnectException, …) instead of "null".
        String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()
                + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
        return new ReplayException("cannot reach the admin API at " + adminUrl + ": " + why
                + "; check --admin-url (a node's admin port, 9644 by default)", e);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
