package io.strata.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** A broker the comparison drives: started as its users start it, in its own process. */
interface BrokerProcess extends AutoCloseable {
    String bootstrap();

    long pid();

    /** The process's peak resident memory (VmHWM), in MiB; NaN where /proc cannot tell. */
    default double peakRssMb() {
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
    void close() throws Exception;
}
