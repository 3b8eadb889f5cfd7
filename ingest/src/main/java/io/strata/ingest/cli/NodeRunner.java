package io.strata.ingest.cli;

import io.strata.ingest.Broker;
import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import io.strata.metastore.StartupStoppedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.CountDownLatch;

/** Runs a broker until SIGTERM or SIGINT, then shuts it down cleanly and exits 0. */
final class NodeRunner {
    private static final Logger log = LoggerFactory.getLogger(NodeRunner.class);

    private NodeRunner() {
    }

    static int run(BrokerConfig config, String logFormat) {
        LogFormat.apply(logFormat);
        config.warnings().forEach(w -> log.warn("{}", w));
        Broker broker = new Broker(config);
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> {
            stop.countDown();
            broker.stopStarting();
        });
        Signal.handle(new Signal("INT"), s -> {
            stop.countDown();
            broker.stopStarting();
        });
        try {
            broker.start();
        } catch (ConfigException e) {
            System.err.println("strata: " + e.getMessage());
            broker.close();
            return 2;
        } catch (io.strata.ingest.log.DataDirectory.DataDirectoryException | io.strata.metastore.store.NodeRegistry.NodeIdInUseException e) {
            log.error("{}", e.getMessage());
            System.err.println("strata: " + e.getMessage());
            broker.close();
            return 1;
        } catch (Exception e) {
            if (e instanceof StartupStoppedException) {
                // Asked to stop while it waited for its MetaStore: a clean stop, not a failure.
                log.info("stopped during start-up: {}", e.getMessage());
                broker.close();
                return 0;
            }
            // One line for the operator; the trace only for whoever turns on DEBUG.
            log.error("start-up failed: {}", e.toString());
            log.debug("start-up failure", e);
            System.err.println("strata: start-up failed: " + e.getMessage());
            broker.close();
            return 1;
        }
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        broker.close();
        return 0;
    }
}
