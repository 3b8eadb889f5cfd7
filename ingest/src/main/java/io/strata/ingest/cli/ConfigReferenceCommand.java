package io.strata.ingest.cli;

import io.strata.ingest.config.ConfigReference;
import picocli.CommandLine.Command;

/** {@code strata config-reference}: prints the configuration reference (Markdown). */
@Command(name = "config-reference", mixinStandardHelpOptions = true, description = "Print every broker and topic setting with its type, default and forms.")
final class ConfigReferenceCommand implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
        System.out.print(ConfigReference.markdown());
        return 0;
    }
}
