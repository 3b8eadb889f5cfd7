package io.strata.sdk.replay;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a replay asks a node's admin API before it reads, against a real HTTP server answering as
 * a node does: a topic with nothing tiered and an empty log, so the run ends after its set-up.
 */
class ReplaySetUpTest {
    private HttpServer server;
    private final List<String> asked = new CopyOnWriteArrayList<>();
    /** Path to answer (status, body); any other path: 404 as the node answers an unknown one. */
    private final Map<String, Map.Entry<Integer, String>> answers = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            asked.add(path);
            Map.Entry<Integer, String> a = answers.getOrDefault(path, Map.entry(404, "{\"error\":\"no such endpoint: " + path + "\"}"));
            byte[] body = a.getValue().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(a.getKey(), body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static String partition(int p) {
        return "{\"partition\":" + p + ",\"logStartOffset\":0,\"highWatermark\":0,\"leader\":true,\"segments\":[]}";
    }

    private void newNode(int partitions) {
        StringBuilder all = new StringBuilder("{\"topic\":\"t\",\"objectStore\":null,\"partitions\":[");
        for (int p = 0; p < partitions; p++) {
            all.append(p == 0 ? "" : ",").append(partition(p));
        }
        answers.put("/api/topics/t/segments", Map.entry(200, all.append("]}").toString()));
        oldNode(partitions);
    }

    /** A node from before the topic's manifests could be asked for at once. */
    private void oldNode(int partitions) {
        StringBuilder topic = new StringBuilder("{\"name\":\"t\",\"partitions\":[");
        for (int p = 0; p < partitions; p++) {
            topic.append(p == 0 ? "" : ",").append("{\"partition\":").append(p).append("}");
            answers.put("/api/topics/t/partitions/" + p + "/segments", Map.entry(200, "{\"objectStore\":null,"
                    + partition(p).substring(1)));
        }
        answers.put("/api/topics/t", Map.entry(200, topic.append("]}").toString()));
    }

    private Replay.Result replay(Replay r) {
        return r.adminUrl(url()).run(record -> {
            throw new AssertionError("an empty log replayed " + record);
        });
    }

    @Test
    void aTopicsManifestsAreAskedForInOneRequest() {
        newNode(50);
        Replay.Result r = replay(Replay.of("t"));
        assertTrue(r.complete());
        assertEquals(50, r.nextOffsets().size());
        assertEquals(List.of("/api/topics/t/segments"), asked);
    }

    @Test
    void aNodeThatCannotAnswerThatIsAskedPartitionByPartition() {
        oldNode(3);
        Replay.Result r = replay(Replay.of("t"));
        assertTrue(r.complete());
        assertEquals(Set.of(0, 1, 2), r.nextOffsets().keySet());
        assertEquals(List.of("/api/topics/t/segments", "/api/topics/t"), asked.subList(0, 2));
        assertEquals(Set.of("/api/topics/t/partitions/0/segments", "/api/topics/t/partitions/1/segments",
                "/api/topics/t/partitions/2/segments"), Set.copyOf(asked.subList(2, asked.size())));
        assertEquals(5, asked.size());
    }

    @Test
    void aTopicTooLargeForOneAnswerIsAskedPartitionByPartition() {
        oldNode(3);
        answers.put("/api/topics/t/segments", Map.entry(413, "{\"error\":\"topic 't' has more than 100000 segments in the bucket\"}"));
        Replay.Result r = replay(Replay.of("t"));
        assertTrue(r.complete());
        assertEquals(Set.of(0, 1, 2), r.nextOffsets().keySet());
        assertEquals(5, asked.size());
    }

    @Test
    void somePartitionsAreAskedForOneByOne() {
        newNode(50);
        Replay.Result r = replay(Replay.of("t").partitions(Set.of(7)));
        assertEquals(Set.of(7), r.nextOffsets().keySet());
        assertEquals(List.of("/api/topics/t", "/api/topics/t/partitions/7/segments"), asked);
    }

    @Test
    void aTopicTheNodeDoesNotKnowIsNamedInTheError() {
        answers.put("/api/topics/nope/segments", Map.entry(404, "{\"error\":\"no topic named 'nope'\"}"));
        ReplayException e = assertThrows(ReplayException.class, () -> replay(Replay.of("nope")));
        assertTrue(e.getMessage().contains("404") && e.getMessage().contains("no topic named 'nope'"), e.getMessage());
        assertEquals(List.of("/api/topics/nope/segments"), asked);
    }
}
