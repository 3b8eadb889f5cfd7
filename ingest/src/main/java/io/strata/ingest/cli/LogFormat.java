package io.strata.ingest.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
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
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(ctx);
        encoder.start();
        ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
        out.setContext(ctx);
        out.setName("json");
        out.setEncoder(encoder);
        out.start();
        root.addAppender(out);
    }
}
