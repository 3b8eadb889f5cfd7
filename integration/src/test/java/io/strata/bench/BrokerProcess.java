package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A broker the comparison drives, started as its users start it ({@link KafkaBroker}, {@link StrataBroker}), in its own process. */
final class BrokerProcess implements AutoCloseable {
    private final Process process;
    private final int port;

    BrokerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** The process's peak resident memory (VmHWM), in MiB; NaN where /proc cannot tell. */
    double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            // Not Linux, or the process is gone.
        }
        return Double.NaN;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
