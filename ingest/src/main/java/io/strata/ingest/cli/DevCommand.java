package io.strata.ingest.cli;

import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code strata dev}: a single node with embedded defaults (SQLite MetaStore, logs under ./data). */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = "Start a single node with embedded defaults: SQLite MetaStore, logs and tiered segments under ./data, Kafka on 9092, admin HTTP on 9644.")
final class DevCommand implements Callable<Integer> {
    @Mixin
    NodeOptions options = new NodeOptions();

    @Option(names = "--config", description = "Optional YAML config file; flags win over it.")
    Path config;

    @Override
    public Integer call() {
        try {
            BrokerConfig resolved = BrokerConfig.resolve(config, System.getenv(), options.overrides());
            if (resolved.getString("object.store").isEmpty()) {
                // dev tiers to a directory under its data dir unless told otherwise (object.store=none turns tiering off).
                var withStore = new java.util.LinkedHashMap<>(options.overrides());
                withStore.put("object.store", "file:" + resolved.dataDir().toAbsolutePath().resolve("objects"));
                resolved = BrokerConfig.resolve(config, System.getenv(), withStore);
            }
            return NodeRunner.run(resolved, options.logFormat);
        } catch (ConfigException e) {
            System.err.println("strata: " + e.getMessage());
            return 2;
        }
    }
}
