package io.strata.sdk;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;

/** JSON values through Jackson (java.time supported), for typed producers and consumers. */
public final class JsonSerde<T> implements Serializer<T>, Deserializer<T> {
    static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new JavaTimeModule());

    private final Class<T> type;

    public JsonSerde(Class<T> type) {
        this.type = type;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
        // Nothing to configure: the target type is given to the constructor.
    }

    @Override
    public void close() {
    }

    @Override
    public byte[] serialize(String topic, T data) {
        try {
            return data == null ? null : MAPPER.writeValueAsBytes(data);
        } catch (IOException e) {
            throw new SerializationException("cannot write " + type.getSimpleName() + " as JSON for " + topic, e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        try {
            return data == null ? null : MAPPER.readValue(data, type);
        } catch (IOException e) {
            throw new SerializationException("cannot read " + type.getSimpleName() + " from JSON in " + topic, e);
        }
    }
}
