package io.strata.ingest.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per log event, as log shippers read them: {@code timestamp} (ISO-8601),
 * {@code level}, {@code logger}, {@code thread}, {@code message} (formatted, placeholders filled
 * in), and as extra keys the message {@code template} and its {@code arguments}, the MDC, and
 * {@code stack_trace} when an exception was logged.
 */
final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] NONE = new byte[0];

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString());
        out.put("level", event.getLevel().toString());
        out.put("logger", event.getLoggerName());
        out.put("thread", event.getThreadName());
        out.put("message", event.getFormattedMessage());
        Object[] args = event.getArgumentArray();
        if (args != null && args.length > 0) {
            out.put("template", event.getMessage());
            List<String> values = new ArrayList<>();
            for (Object a : args) {
                values.add(String.valueOf(a));
            }
            out.put("arguments", values);
        }
        if (event.getMDCPropertyMap() != null && !event.getMDCPropertyMap().isEmpty()) {
            out.put("mdc", event.getMDCPropertyMap());
        }
        IThrowableProxy t = event.getThrowableProxy();
        if (t != null) {
            out.put("stack_trace", ThrowableProxyUtil.asString(t));
        }
        try {
            return (JSON.writeValueAsString(out) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (Exception e) {
            return ("{\"level\":\"ERROR\",\"message\":\"cannot encode a log event: " + e + "\"}\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }
}
