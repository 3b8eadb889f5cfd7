package io.strata.ingest.replication;

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
import java.nio.ByteBuffer;

/**
 * A blocking Kafka-protocol connection from one node to another (a follower to its leader),
 * speaking kafka-clients' generated message classes. One request at a time; not thread-safe.
 */
final class WireClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final String clientId;
    private int correlationId;

    WireClient(NodeConnector connector, String host, int port, String clientId, int timeoutMs) throws IOException {
        this.socket = connector.open(host, port, timeoutMs);
        socket.setSoTimeout(timeoutMs);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.clientId = clientId;
    }

    ApiMessage send(ApiMessage request, short version) throws IOException {
        ApiKeys key = ApiKeys.forId(request.apiKey());
        int cid = ++correlationId;
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setCorrelationId(cid).setClientId(clientId);
        short hv = key.requestHeaderVersion(version);
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = header.size(cache, hv) + request.size(cache, version);
        ByteBuffer buf = ByteBuffer.allocate(4 + size);
        buf.putInt(size);
        ByteBufferAccessor acc = new ByteBufferAccessor(buf);
        header.write(acc, cache, hv);
        request.write(acc, cache, version);
        out.write(buf.array());
        out.flush();
        int respSize = in.readInt();
        byte[] resp = new byte[respSize];
        in.readFully(resp);
        ByteBufferAccessor racc = new ByteBufferAccessor(ByteBuffer.wrap(resp));
        ResponseHeaderData rh = new ResponseHeaderData();
        rh.read(racc, key.responseHeaderVersion(version));
        if (rh.correlationId() != cid) {
            throw new IOException("correlation id " + rh.correlationId() + " answers request " + cid);
        }
        ApiMessage body = ApiMessageType.fromApiKey(key.id).newResponse();
        body.read(racc, version);
        return body;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
