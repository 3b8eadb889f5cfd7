package io.strata.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Map;
import java.util.Properties;

/** kafka-clients instances pointed at a node, with settings a test may override. */
public final class Clients {
    private Clients() {
    }

    public static Admin admin(StrataNode node) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrap());
        return Admin.create(p);
    }

    public static KafkaProducer<byte[], byte[]> producer(StrataNode node, Map<String, Object> overrides) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(overrides);
        return new KafkaProducer<>(p);
    }

    public static KafkaConsumer<byte[], byte[]> consumer(StrataNode node, Map<String, Object> overrides) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putAll(overrides);
        return new KafkaConsumer<>(p);
    }

    /** The kafka-clients version actually loaded: the compatibility run swaps in 3.x. */
    public static String version() {
        // The jar KafkaProducer was loaded from names the version: kafka-clients-<version>.jar.
        String location = KafkaProducer.class.getProtectionDomain().getCodeSource().getLocation().toString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("kafka-clients-([0-9][^/]*?)\\.jar").matcher(location);
        if (!m.find()) {
            throw new IllegalStateException("cannot tell the kafka-clients version from " + location);
        }
        return m.group(1);
    }
}
