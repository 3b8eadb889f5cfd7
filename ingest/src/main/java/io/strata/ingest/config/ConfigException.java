package io.strata.ingest.config;

/** A setting is unknown or has an invalid value; the message names the key. Stops start-up. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
