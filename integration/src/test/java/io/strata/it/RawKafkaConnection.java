package io.strata.it;

import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/** A bare Kafka-protocol connection for tests that need exact control over what is sent. */
final class RawKafkaConnection implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int correlationId;

    RawKafkaConnection(int port) throws IOException {
        this(new Socket("127.0.0.1", port));
    }

    /** Over an already connected socket (a TLS one, for instance). */
    RawKafkaConnection(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    ApiMessage send(ApiMessage request, short version) throws IOException {
        int cid = write(request, version);
        return read(ApiKeys.forId(request.apiKey()), version, cid);
    }

    /** Writes a request without waiting for its answer (pipelining); returns its correlation id. */
    int write(ApiMessage request, short version) throws IOException {
        ApiKeys key = ApiKeys.forId(request.apiKey());
        int cid = ++correlationId;
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setCorrelationId(cid).setClientId("raw-test");
        short hv = key.requestHeaderVersion(version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, hv) + request.size(cache, version);
        ByteBuffer buf = ByteBuffer.allocate(4 + size);
        buf.putInt(size);
        ByteBufferAccessor acc = new ByteBufferAccessor(buf);
        header.write(acc, cache, hv);
        request.write(acc, cache, version);
        writeRaw(buf.array());
        return cid;
    }

    /** Reads the next response, which must answer correlation id {@code cid}. */
    ApiMessage read(ApiKeys key, short version, int cid) throws IOException {
        int respSize = in.readInt();
        byte[] resp = new byte[respSize];
        in.readFully(resp);
        ByteBufferAccessor racc = new ByteBufferAccessor(ByteBuffer.wrap(resp));
        ResponseHeaderData rh = new ResponseHeaderData();
        rh.read(racc, key.responseHeaderVersion(version));
        if (rh.correlationId() != cid) {
            throw new IOException("correlation id " + rh.correlationId() + " != " + cid);
        }
        ApiMessage body = ApiMessageType.fromApiKey(key.id).newResponse();
        body.read(racc, key == ApiKeys.API_VERSIONS && resp.length > 0 && version > ApiKeys.API_VERSIONS.latestVersion() ? 0 : version);
        return body;
    }

    void setReadTimeoutMs(int ms) throws IOException {
        socket.setSoTimeout(ms);
    }

    void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** True when the broker closed the connection (EOF or reset) within the socket timeout. */
    boolean closedByPeer() {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
