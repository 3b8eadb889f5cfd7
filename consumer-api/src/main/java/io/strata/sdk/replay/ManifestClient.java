package io.strata.sdk.replay;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Reads segment manifests from a broker's admin API: a topic's all at once ({@code /api/topics/{t}/segments}) or a
 * partition's ({@code /api/topics/{t}/partitions/{p}/segments}).
 * Through {@link HttpURLConnection}: a fresh process opens it in a twentieth of a second, where
 * {@code java.net.http.HttpClient} took a third of one before its first request (its selector
 * thread and TLS set-up, even for plain http), and a replay's set-up waits for this first answer.
 */
final class ManifestClient {
    record Segment(long baseOffset, long lastOffset, String objectKey, long sizeBytes, long minTimestamp, long maxTimestamp) {
    }

    /**
     * {@code leader}: the answering node leads the partition, so its log start offset and high
     * watermark are the partition's (false also when the node does not say; both are -1 when a
     * node holding no replica of the partition gives none).
     */
    record Manifest(String objectStore, long logStartOffset, long highWatermark, boolean leader, List<Segment> segments) {
    }

    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 30_000;
    /**
     * Requests in flight at once, the rest queued: the admin API answers on two worker threads, and a
     * request's read timeout runs from when it is sent. The threads go after a second idle, so a
     * long-lived process keeps none.
     */
    private static final int THREADS = 8;
    private final String adminUrl;
    private final String token;
    /** For an https admin URL with ssl.* client settings; null: the JVM's default TLS set-up. */
    private final javax.net.ssl.SSLSocketFactory tls;
    private final ThreadPoolExecutor requests;

    /** {@code token}: the node's admin.auth.token, or null when its admin API is open. */
    ManifestClient(String adminUrl, String token) {
        this(adminUrl, token, new java.util.Properties());
    }

    /** {@code client}: Kafka client settings whose ssl.* also secure an https admin URL. */
    ManifestClient(String adminUrl, String token, java.util.Properties client) {
        this.adminUrl = adminUrl.replaceAll("/+$", "");
        this.token = token;
        this.tls = this.adminUrl.startsWith("https:") && client.keySet().stream().anyMatch(k -> k.toString().startsWith("ssl."))
                ? sslContext(client).getSocketFactory() : null;
        this.requests = new ThreadPoolExecutor(THREADS, THREADS, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "replay-manifests");
            t.setDaemon(true);
            return t;
        });
        requests.allowCoreThreadTimeOut(true);
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
        return read("/api/topics/" + enc(topic), "a topic", ManifestJson::partitionCount);
    }

    Manifest manifest(String topic, int partition) {
        return read(segmentsPath(topic, partition), "a segment manifest", ManifestJson::manifest);
    }

    /**
     * Every partition's manifest in one request ({@code /api/topics/{t}/segments}), by partition;
     * empty from a node too old to answer it, and for a topic with too many segments for one
     * answer (413): those are asked partition by partition instead.
     */
    java.util.Optional<java.util.SortedMap<Integer, Manifest>> topicManifests(String topic) {
        String path = "/api/topics/" + enc(topic) + "/segments";
        Answer a = ask(path);
        if ((a.status() == 404 && a.body().contains("no such endpoint")) || a.status() == 413) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(parse(path, a, "the topic's segment manifests", ManifestJson::topicManifests));
    }

    /** How an answer's body is read. */
    private interface Reader<T> {
        T read(String body) throws IOException;
    }

    /** The answer to {@code path}, read as {@code what}. */
    private <T> T read(String path, String what, Reader<T> reader) {
        return parse(path, ask(path), what, reader);
    }

    /** A 200 answer's body read as {@code what}; any other answer is the replay's error. */
    private <T> T parse(String path, Answer answer, String what, Reader<T> reader) {
        if (answer.status() != 200) {
            throw new ReplayException("admin API " + adminUrl + path + " answered " + answer.status() + ": " + answer.body(), null);
        }
        try {
            return reader.read(answer.body());
        } catch (IOException e) {
            throw new ReplayException("admin API " + adminUrl + path + " answered what is not " + what + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #manifest}, without blocking: a replay asks for every partition's at once. */
    CompletableFuture<Manifest> manifestAsync(String topic, int partition) {
        return CompletableFuture.supplyAsync(() -> manifest(topic, partition), requests);
    }

    private static String segmentsPath(String topic, int partition) {
        return "/api/topics/" + enc(topic) + "/partitions/" + partition + "/segments";
    }

    /** An answer: its status and its body (an error's too). */
    private record Answer(int status, String body) {
    }

    /** The answer to {@code path}; a request for a token is the replay's error. */
    private Answer ask(String path) {
        java.net.URL url;
        try {
            url = URI.create(adminUrl + path).toURL();
        } catch (IllegalArgumentException | java.net.MalformedURLException e) {
            throw new ReplayException("not an admin API URL: " + adminUrl + " (" + e.getMessage() + ")", e);
        }
        HttpURLConnection c = null;
        try {
            if (!(url.openConnection() instanceof HttpURLConnection http)) {
                throw new ReplayException("not an admin API URL: " + adminUrl + " (http or https)", null);
            }
            c = http;
            if (tls != null && c instanceof javax.net.ssl.HttpsURLConnection https) {
                https.setSSLSocketFactory(tls);
            }
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(READ_TIMEOUT_MS);
            // An answer is the admin API's own: a redirect is reported, as any other status, not followed.
            c.setInstanceFollowRedirects(false);
            if (token != null && !token.isEmpty()) {
                c.setRequestProperty("Authorization", "Bearer " + token);
            }
            int status = c.getResponseCode();
            if (status == 401) {
                // Read, so that its connection can be used again.
                body(c.getErrorStream());
                throw new ReplayException("admin API " + adminUrl + path + " wants a token: give the node's admin.auth.token"
                        + " (Replay.adminToken, or --admin-token / STRATA_ADMIN_TOKEN with ./strata replay)", null);
            }
            return new Answer(status, body(status >= 400 ? c.getErrorStream() : c.getInputStream()));
        } catch (IOException e) {
            if (c != null) {
                c.disconnect();
            }
            throw unreachable(e);
        }
    }

    /** An answer's body, read whole: its connection then goes back to the JVM's keep-alive cache for the next request. */
    private static String body(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (InputStream s = in) {
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
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
