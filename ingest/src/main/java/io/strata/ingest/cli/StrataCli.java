package io.strata.ingest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code strata} command. */
@Command(name = "strata", mixinStandardHelpOptions = true, version = "strata 0.1.0",
        description = "A Kafka-compatible broker: local write-ahead log, history in object storage, state in a MetaStore.",
        subcommands = {DevCommand.class, BrokerCommand.class, TopicsCommand.class, GroupsCommand.class,
                ClusterCommand.class, PartitionsCommand.class, NodesCommand.class, UsersCommand.class, AclsCommand.class, ConfigReferenceCommand.class, ReplayCommand.class})
public final class StrataCli {
    public static void main(String[] args) {
        int code = new CommandLine(new StrataCli()).execute(args);
        // Every command has finished its work when execute returns (broker and dev block until the node stops), and a
        // library's non-daemon thread (Netty's global executor lingers a second after its last task) must not hold the
        // process open after that: a finished strata replay exited a second late.
        System.exit(code);
    }
}
