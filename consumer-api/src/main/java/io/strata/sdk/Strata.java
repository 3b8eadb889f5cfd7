package io.strata.sdk;

/**
 * The entry point of the Strata SDK:
 * <pre>{@code
 * try (StrataClient strata = Strata.connect("localhost:9092")) {
 *     try (var producer = strata.stringProducer()) { producer.send(new ProducerRecord<>("orders", "k", "v")); }
 * }
 * }</pre>
 */
public final class Strata {
    private Strata() {
    }

    /** A client for the cluster reachable at {@code bootstrapServers} (host:port[,host:port…]). */
    public static StrataClient connect(String bootstrapServers) {
        return new StrataClient(bootstrapServers);
    }
}
