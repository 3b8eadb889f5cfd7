package io.strata.ingest.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The logging of every {@code strata} process, node or command: INFO and above on standard output, one line per event
 * ({@value #PATTERN}), Netty and kafka-clients at WARN. Set in code, which logback finds through its {@code Configurator}
 * service before it looks for a {@code logback.xml}: reading the same configuration from XML took 74 of the 83 ms a
 * one-shot command's main thread spent starting logback (async-profiler, wall clock, with the launcher's class-data
 * archive), on every {@code strata replay}, {@code topics} or {@code groups}. A configuration of the user's still
 * replaces it ({@link #usersConfiguration}); {@code --log-format json} changes the encoder afterwards ({@link LogFormat}).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class ConsoleLogging extends ContextAwareBase implements Configurator {
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (usersConfiguration()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setPattern(PATTERN);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("org.apache.kafka").setLevel(Level.WARN);
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        toStandardOutput(context, "STDOUT", encoder);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Makes {@code encoder}'s lines, on standard output, the root logger's only appender (also {@code --log-format json}'s). */
    static void toStandardOutput(LoggerContext context, String name, Encoder<ILoggingEvent> encoder) {
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
        stdout.setContext(context);
        stdout.setName(name);
        stdout.setEncoder(encoder);
        stdout.start();
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(stdout);
    }

    /**
     * Whether logback would find a configuration of the user's: the file {@code -Dlogback.configurationFile} names (a URL,
     * a class-path resource or a file, as logback looks for it), or a {@code logback-test.xml} or {@code logback.xml} on
     * the class path (an application embedding this module with its own). A name that finds nothing is warned about and
     * this configuration used: logback would fall back to everything at DEBUG.
     */
    private boolean usersConfiguration() {
        ClassLoader loader = ConsoleLogging.class.getClassLoader();
        String named = System.getProperty("logback.configurationFile");
        if (named != null) {
            if (found(named, loader)) {
                return true;
            }
            addWarn("logback.configurationFile=" + named + " names no URL, class-path resource or file: the built-in configuration is used");
        }
        return loader.getResource("logback-test.xml") != null || loader.getResource("logback.xml") != null;
    }

    private static boolean found(String named, ClassLoader loader) {
        try {
            java.net.URL url = new java.net.URL(named);
            // Another scheme is logback's to fetch; a file URL is checked here, as a plain path is.
            return !"file".equals(url.getProtocol()) || java.nio.file.Files.isRegularFile(java.nio.file.Path.of(url.toURI()));
        } catch (java.net.MalformedURLException | java.net.URISyntaxException | IllegalArgumentException e) {
            // Not a URL: a class-path resource or a file, then.
        }
        if (loader.getResource(named) != null) {
            return true;
        }
        try {
            return java.nio.file.Files.isRegularFile(java.nio.file.Path.of(named));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }
}
