package io.strata.sdk;

import io.strata.sdk.queue.WorkQueue;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * Producers, consumers and topic helpers on kafka-clients with production defaults: idempotent
 * producers with acks=all, lz4 compression, 10 ms linger and 64 KiB batches; consumers that start
 * from the earliest offset and commit only what the application says it processed. Anything can
 * be overridden with kafka-clients' own property names. Closing the client closes its admin
 * connection; producers and consumers it hands out are the caller's to close.
 */
public final class StrataClient implements AutoCloseable {
    private final String bootstrap;
    private Admin admin;

    StrataClient(String bootstrap) {
        this.bootstrap = bootstrap;
    }

    public String bootstrapServers() {
        return bootstrap;
    }

    public <K, V> KafkaProducer<K, V> producer(Serializer<K> keys, Serializer<V> values, Map<String, Object> overrides) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        p.putAll(overrides);
        return new KafkaProducer<>(p, keys, values);
    }

    public KafkaProducer<String, String> stringProducer() {
        return producer(new StringSerializer(), new StringSerializer(), Map.of());
    }

    public KafkaProducer<byte[], byte[]> bytesProducer() {
        return producer(new ByteArraySerializer(), new ByteArraySerializer(), Map.of());
    }

    public <V> KafkaProducer<String, V> jsonProducer(Class<V> type) {
        return producer(new StringSerializer(), new JsonSerde<>(type), Map.of());
    }

    public <K, V> KafkaConsumer<K, V> consumer(String groupId, Deserializer<K> keys, Deserializer<V> values, Map<String, Object> overrides) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (groupId != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
        p.putAll(overrides);
        return new KafkaConsumer<>(p, keys, values);
    }

    public KafkaConsumer<String, String> stringConsumer(String groupId) {
        return consumer(groupId, new StringDeserializer(), new StringDeserializer(), Map.of());
    }

    public KafkaConsumer<byte[], byte[]> bytesConsumer(String groupId) {
        return consumer(groupId, new ByteArrayDeserializer(), new ByteArrayDeserializer(), Map.of());
    }

    public <V> KafkaConsumer<String, V> jsonConsumer(String groupId, Class<V> type) {
        return consumer(groupId, new StringDeserializer(), new JsonSerde<>(type), Map.of());
    }

    /** A point-to-point queue over a topic, of raw bytes until typed: see {@link WorkQueue}. */
    public WorkQueue.Builder<byte[], byte[]> queue(String topic, String groupId) {
        return WorkQueue.builder(this, topic, groupId);
    }

    /** Creates the topic unless it exists; returns whether this call created it. */
    public synchronized boolean createTopic(String name, int partitions, Map<String, String> configs) {
        try {
            admin().createTopics(List.of(new NewTopic(name, partitions, (short) -1).configs(configs))).all().get();
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            // Kafka's own exception (InvalidConfigurationException, PolicyViolationException, …) with the broker's message.
            if (e.getCause() instanceof org.apache.kafka.common.KafkaException k) {
                throw k;
            }
            throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + name, e);
        }
    }

    public synchronized Set<String> listTopics() {
        try {
            return admin().listTopics().names().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list topics: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted listing topics", e);
        }
    }

    public synchronized void deleteTopic(String name) {
        try {
            admin().deleteTopics(List.of(name)).all().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot delete topic " + name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted deleting topic " + name, e);
        }
    }

    /** The shared Admin client (created on first use, closed with this client). */
    public synchronized Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            admin = Admin.create(p);
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
    }
}
