package io.strata.ingest.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path f = dir.resolve("strata.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void fileThenEnvironmentThenFlagsEachWin() throws Exception {
        Path f = yaml("port: 9100\nnum.partitions: 3\nlog:\n  retention.ms: 1000\n");
        BrokerConfig c = BrokerConfig.resolve(f, Map.of("STRATA_NUM_PARTITIONS", "4"), Map.of("port", "9200"));
        assertThat(c.getInt("port")).isEqualTo(9200);
        assertThat(c.getInt("num.partitions")).isEqualTo(4);
        assertThat(c.getLong("log.retention.ms")).isEqualTo(1000);
        assertThat(c.getInt("admin.port")).isEqualTo(9644);
        assertThat(c.metastoreUrl()).as("relative paths are made absolute and normalised")
                .isEqualTo("sqlite:" + Path.of("data").toAbsolutePath().resolve("metastore.db"));
    }

    @Test
    void aMisspelledKeyIsNamedWithASuggestion() throws Exception {
        Path f = yaml("num.partition: 3\n");
        assertThatThrownBy(() -> BrokerConfig.resolve(f, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting 'num.partition'")
                .hasMessageContaining("did you mean 'num.partitions'");
    }

    @Test
    void anInvalidValueIsNamedWithWhatIsAllowed() throws Exception {
        assertThatThrownBy(() -> BrokerConfig.resolve(yaml("port: 70000\n"), Map.of(), Map.of()))
                .hasMessageContaining("port").hasMessageContaining("between 0 and 65535");
        assertThatThrownBy(() -> BrokerConfig.resolve(null, Map.of(), Map.of("auto.create.topics.enable", "yes")))
                .hasMessageContaining("auto.create.topics.enable").hasMessageContaining("true or false");
        assertThatThrownBy(() -> BrokerConfig.resolve(null, Map.of("STRATA_LOG_SEGMENT_BYTES", "big"), Map.of()))
                .hasMessageContaining("log.segment.bytes");
        assertThatThrownBy(() -> BrokerConfig.resolve(null, Map.of(), Map.of("log.message.timestamp.type", "Wallclock")))
                .hasMessageContaining("[CreateTime, LogAppendTime]");
    }

    @Test
    void misspelledEnvironmentVariablesAreReportedWithTheClosestSetting() {
        BrokerConfig c = BrokerConfig.resolve(null, Map.of("STRATA_NUM_PARTITONS", "3", "STRATA_JAVA_OPTS", "-Xmx1g", "HOME", "/root"), Map.of());
        assertThat(c.warnings()).singleElement().asString().contains("STRATA_NUM_PARTITONS")
                .contains("did you mean STRATA_NUM_PARTITIONS (num.partitions)");
        assertThatThrownBy(() -> BrokerConfig.resolve(null, Map.of(), Map.of("retention.ms", "5")))
                .hasMessageContaining("did you mean 'log.retention.ms'");
    }

    @Test
    void aListenerOverridesSslAndSaslSettingsWithKafkasListenerNamePrefix() throws Exception {
        Path f = yaml("ssl.keystore.location: /etc/strata/external.p12\n"
                + "listener.name.internal.ssl.keystore.location: /etc/strata/internal.p12\n"
                + "listener.name:\n  internal:\n    ssl.client.auth: required\n");
        BrokerConfig c = BrokerConfig.resolve(f, Map.of(), Map.of("listener.name.client.sasl.enabled.mechanisms", "PLAIN"));
        assertThat(c.forListener("INTERNAL").getString("ssl.keystore.location")).isEqualTo("/etc/strata/internal.p12");
        assertThat(c.forListener("INTERNAL").getString("ssl.client.auth")).isEqualTo("required");
        assertThat(c.forListener("EXTERNAL").getString("ssl.keystore.location")).isEqualTo("/etc/strata/external.p12");
        assertThat(c.forListener("EXTERNAL").getString("ssl.client.auth")).isEqualTo("none");
        assertThat(c.forListener("CLIENT").getString("sasl.enabled.mechanisms")).isEqualTo("PLAIN");
        assertThat(c.getString("sasl.enabled.mechanisms")).isEqualTo("SCRAM-SHA-256,SCRAM-SHA-512");
        assertThat(c.listenerOverrideNames()).containsExactly("client", "internal");
        assertThatThrownBy(() -> BrokerConfig.resolve(null, Map.of(), Map.of("listener.name.internal.num.partitions", "3")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("a listener may override the ssl.*");
    }
}
