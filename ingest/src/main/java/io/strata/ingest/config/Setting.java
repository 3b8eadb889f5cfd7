package io.strata.ingest.config;

import java.util.List;
import java.util.Locale;

/**
 * One broker setting: its key (as in the YAML file and {@code --set key=value}), type,
 * default, allowed range and description. Parsing checks the value and names the key on error.
 */
public record Setting(String key, Type type, Object defaultValue, long min, long max, List<String> choices, String doc) {

    public enum Type { INT, LONG, BOOLEAN, STRING }

    public static Setting ofInt(String key, int def, long min, long max, String doc) {
        return new Setting(key, Type.INT, def, min, max, List.of(), doc);
    }

    public static Setting ofLong(String key, long def, long min, long max, String doc) {
        return new Setting(key, Type.LONG, def, min, max, List.of(), doc);
    }

    public static Setting ofBoolean(String key, boolean def, String doc) {
        return new Setting(key, Type.BOOLEAN, def, 0, 0, List.of(), doc);
    }

    public static Setting ofString(String key, String def, String doc) {
        return new Setting(key, Type.STRING, def, 0, 0, List.of(), doc);
    }

    public static Setting ofChoice(String key, String def, List<String> choices, String doc) {
        return new Setting(key, Type.STRING, def, 0, 0, choices, doc);
    }

    /** The environment variable that overrides this setting: {@code STRATA_} + key upper-cased, dots as underscores. */
    public String envName() {
        return "STRATA_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Object parse(Object raw) {
        String text = String.valueOf(raw).trim();
        switch (type) {
            case INT, LONG -> {
                long v;
                try {
                    v = Long.parseLong(text);
                } catch (NumberFormatException e) {
                    throw new ConfigException("invalid value '" + text + "' for " + key + ": expected a whole number");
                }
                if (v < min || v > max) {
                    throw new ConfigException("invalid value " + v + " for " + key + ": must be between " + min + " and " + max);
                }
                return type == Type.INT ? (Object) (int) v : (Object) v;
            }
            case BOOLEAN -> {
                if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
                    throw new ConfigException("invalid value '" + text + "' for " + key + ": expected true or false");
                }
                return Boolean.parseBoolean(text);
            }
            default -> {
                if (!choices.isEmpty() && !choices.contains(text)) {
                    throw new ConfigException("invalid value '" + text + "' for " + key + ": expected one of " + choices);
                }
                return text;
            }
        }
    }
}
