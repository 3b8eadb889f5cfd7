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
        if (code != 0) {
            System.exit(code);
        }
    }
}
