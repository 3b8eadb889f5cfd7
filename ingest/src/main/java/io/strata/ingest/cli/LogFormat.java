package io.strata.ingest.cli;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/** {@code --log-format json}: one JSON object per log event on standard output, for log shippers. */
final class LogFormat {
    private LogFormat() {
    }

    static void apply(String format) {
        if (format == null || format.equals("text")) {
            return;
        }
        if (!format.equals("json")) {
            throw new IllegalArgumentException("--log-format must be text or json, got '" + format + "'");
        }
        ConsoleLogging.toStandardOutput((LoggerContext) LoggerFactory.getILoggerFactory(), "json", new JsonLogEncoder());
    }
}
