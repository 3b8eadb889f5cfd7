package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Malformed input closes only the offending connection, with a logged reason; everyone else carries on. */
class BadInputIT {
    @TempDir
    static Path dir;
    static StrataNode node;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        node = StrataNode.start(dir.resolve("node"), "socket.request.max.bytes=1048576");
        admin = Clients.admin(node);
        admin.listTopics().names().get();
    }

    @AfterAll
    static void stop() throws Exception {
        admin.close();
        node.close();
    }

    private void assertOthersStillServed() throws Exception {
        assertThat(admin.describeCluster().clusterId().get()).isNotBlank();
    }

    @Test
    void garbageBytesCloseTheConnection() throws Exception {
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            c.writeRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(node.log()).contains("closing connection").contains("socket.request.max.bytes");
        assertOthersStillServed();
    }

    @Test
    void aFrameOverTheSizeLimitClosesTheConnection() throws Exception {
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            c.writeRaw(ByteBuffer.allocate(4).putInt(2 * 1024 * 1024).array());
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(node.log()).contains("frame of 2097152 bytes is outside");
        assertOthersStillServed();
    }

    @Test
    void aTruncatedRequestClosesTheConnection() throws Exception {
        // A Metadata v12 header whose body stops short of what the header announces.
        ByteBuffer body = ByteBuffer.allocate(14);
        body.putShort((short) 3).putShort((short) 12).putInt(7).putShort((short) 4).put("abcd".getBytes(StandardCharsets.US_ASCII));
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            c.writeRaw(ByteBuffer.allocate(4 + 14).putInt(14).put(body.array()).array());
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(node.log()).contains("malformed METADATA v12 request");
        assertOthersStillServed();
    }

    @Test
    void anUnknownApiKeyClosesTheConnection() throws Exception {
        ByteBuffer body = ByteBuffer.allocate(10).putShort((short) 999).putShort((short) 0).putInt(1).putShort((short) -1);
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            c.writeRaw(ByteBuffer.allocate(14).putInt(10).put(body.array()).array());
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(node.log()).contains("unknown API key 999");
        assertOthersStillServed();
    }

    @Test
    void apiVersionsOfAFutureVersionIsAnsweredWithTheSupportedRange() throws Exception {
        try (RawKafkaConnection c = new RawKafkaConnection(node.port())) {
            ApiVersionsResponseData r = (ApiVersionsResponseData) c.send(new ApiVersionsRequestData(), (short) 99);
            assertThat(r.errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
            assertThat(r.apiKeys().find((short) 0)).as("Produce is listed").isNotNull();
        }
    }
}
