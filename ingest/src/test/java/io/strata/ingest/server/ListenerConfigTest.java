package io.strata.ingest.server;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListenerConfigTest {
    private static ListenerConfig of(Map<String, String> settings) {
        return ListenerConfig.of(BrokerConfig.resolve(null, Map.of(), settings));
    }

    @Test
    void withoutListenersOnePlaintextListenerOnHostAndPort() {
        ListenerConfig c = of(Map.of("port", "9200", "advertised.host", "broker-1"));
        assertThat(c.listeners()).containsExactly(new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "0.0.0.0", 9200, "broker-1", 0));
        assertThat(c.interBrokerListener()).isEqualTo("PLAINTEXT");
    }

    @Test
    void listenersReplaceHostAndPortAndTakeTheirProtocolsAndAdvertisedAddresses() {
        ListenerConfig c = of(Map.of(
                "listeners", "INTERNAL://10.0.0.5:9094,EXTERNAL://:9093,PLAINTEXT://[::1]:9092",
                "advertised.listeners", "EXTERNAL://kafka.example.com:443",
                "listener.security.protocol.map", "INTERNAL:SSL,EXTERNAL:SASL_SSL,PLAINTEXT:PLAINTEXT",
                "inter.broker.listener.name", "INTERNAL",
                "advertised.host", "node-1"));
        assertThat(c.listeners()).containsExactly(
                new Listener("INTERNAL", SecurityProtocol.SSL, "10.0.0.5", 9094, "10.0.0.5", 0),
                new Listener("EXTERNAL", SecurityProtocol.SASL_SSL, "0.0.0.0", 9093, "kafka.example.com", 443),
                new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, "::1", 9092, "::1", 0));
        assertThat(c.interBroker().name()).isEqualTo("INTERNAL");
        assertThat(c.anyTls()).isTrue();
        assertThat(c.anySasl()).isTrue();
        assertThat(c.listeners().get(0).bound(9094).advertisedPort()).isEqualTo(9094);
    }

    @Test
    void mistakesNameTheSettingAndTheFix() {
        assertThatThrownBy(() -> of(Map.of("listeners", "CLIENT://:9092"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.security.protocol.map");
        assertThatThrownBy(() -> of(Map.of("listeners", "PLAINTEXT:9092"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("NAME://host:port");
        assertThatThrownBy(() -> of(Map.of("listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> of(Map.of("listeners", "PLAINTEXT://:9092", "advertised.listeners", "SSL://h:1")))
                .hasMessageContaining("not in listeners");
        assertThatThrownBy(() -> of(Map.of("listeners", "PLAINTEXT://:9092", "inter.broker.listener.name", "INTERNAL")))
                .hasMessageContaining("inter.broker.listener.name");
        assertThatThrownBy(() -> of(Map.of("listeners", "A://:1", "listener.security.protocol.map", "A:TLS")))
                .hasMessageContaining("PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
    }
}
