package io.strata.ingest.cli;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code strata broker --config strata.yaml}: a node configured by a file (env and flags override it). */
@Command(name = "broker", mixinStandardHelpOptions = true, description = "Run a node from a YAML config file.")
final class BrokerCommand implements Callable<Integer> {
    @Mixin
    NodeOptions options = new NodeOptions();

    @Option(names = "--config", required = true, description = "YAML config file (keys as in the configuration reference).")
    Path config;

    @Override
    public Integer call() {
        if (!Files.isReadable(config)) {
            System.err.println("strata: config file " + config + " cannot be read");
            return 2;
        }
        try {
            return NodeRunner.run(BrokerConfig.resolve(config, System.getenv(), options.overrides()), options.logFormat);
        } catch (ConfigException e) {
            System.err.println("strata: " + e.getMessage());
            return 2;
        }
    }
}
