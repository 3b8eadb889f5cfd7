package io.strata.ingest.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleLoggingTest {
    @Test
    void logbackStartsWithItInfoOnStandardOutputNettyAndKafkaClientsAtWarn() {
        // The process's own context: configured through the service file, as every strata process is.
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("org.apache.kafka").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.strata").getEffectiveLevel()).isEqualTo(Level.INFO);
        assertThat(root.getAppender("STDOUT")).isInstanceOfSatisfying(ConsoleAppender.class, a -> {
            assertThat(a.isStarted()).isTrue();
            assertThat(((PatternLayoutEncoder) a.getEncoder()).getPattern()).isEqualTo(ConsoleLogging.PATTERN);
        });
    }

    /** A fresh logging context configured as logback configures a process's, with {@code logback.configurationFile} set. */
    private static LoggerContext startedWith(String configurationFile) throws Exception {
        String before = System.getProperty("logback.configurationFile");
        System.setProperty("logback.configurationFile", configurationFile);
        try {
            LoggerContext context = new LoggerContext();
            new ch.qos.logback.classic.util.ContextInitializer(context).autoConfig();
            return context;
        } finally {
            if (before == null) {
                System.clearProperty("logback.configurationFile");
            } else {
                System.setProperty("logback.configurationFile", before);
            }
        }
    }

    @Test
    void aConfigurationFileOfTheUsersReplacesItAndOneThatIsNotThereIsWarnedAbout(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path xml = dir.resolve("logback.xml");
        java.nio.file.Files.writeString(xml, """
                <configuration>
                  <appender name="USERS" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%level %msg%n</pattern></encoder>
                  </appender>
                  <root level="WARN"><appender-ref ref="USERS"/></root>
                </configuration>
                """);
        for (String named : java.util.List.of(xml.toString(), xml.toUri().toString())) {
            ch.qos.logback.classic.Logger root = startedWith(named).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            assertThat(root.getAppender("USERS")).as(named).isNotNull();
            assertThat(root.getAppender("STDOUT")).as(named).isNull();
            assertThat(root.getLevel()).isEqualTo(Level.WARN);
        }
        // A name that finds nothing: logback would fall back to everything at DEBUG; the built-in configuration is kept.
        LoggerContext missing = startedWith(dir.resolve("typo.xml").toString());
        ch.qos.logback.classic.Logger root = missing.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(root.getAppender("STDOUT")).isNotNull();
        assertThat(missing.getStatusManager().getCopyOfStatusList()).anySatisfy(st -> {
            assertThat(st.getLevel()).isEqualTo(ch.qos.logback.core.status.Status.WARN);
            assertThat(st.getMessage()).contains("typo.xml");
        });
    }
}
