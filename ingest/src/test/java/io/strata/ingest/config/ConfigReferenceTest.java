package io.strata.ingest.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigReferenceTest {
    @Test
    void theCommittedReferenceMatchesTheSettingsInCode() throws Exception {
        Path doc = Path.of("..", "docs", "configuration.md");
        assertThat(Files.readString(doc, StandardCharsets.UTF_8))
                .as("docs/configuration.md is stale: regenerate it with ./strata config-reference > docs/configuration.md")
                .isEqualTo(ConfigReference.markdown());
    }

    @Test
    void everyBrokerSettingIsDocumentedWithItsEnvironmentVariable() {
        String md = ConfigReference.markdown();
        for (Setting s : BrokerConfig.SETTINGS) {
            assertThat(md).contains("`" + s.key() + "`").contains("`" + s.envName() + "`");
            assertThat(s.doc()).as("description of " + s.key()).isNotBlank();
        }
    }
}
