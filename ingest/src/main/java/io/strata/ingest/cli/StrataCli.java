package io.strata.ingest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/** The {@code strata} command. */
@Command(name = "strata", mixinStandardHelpOptions = true, version = "strata 0.1.0",
        description = "A Kafka-compatible broker: local write-ahead log, history in object storage, state in a MetaStore.")
public final class StrataCli {
    /** The subcommands, in the order {@code strata --help} lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(DevCommand.class, BrokerCommand.class, TopicsCommand.class,
            GroupsCommand.class, ClusterCommand.class, PartitionsCommand.class, NodesCommand.class, UsersCommand.class,
            AclsCommand.class, ConfigReferenceCommand.class, ReplayCommand.class);
    /** Netty's switch for its Flight Recorder events. */
    static final String NETTY_JFR = "io.netty.jfr.enabled";

    public static void main(String[] args) {
        oneShotDefaults(args);
        int code = commandLine(args).execute(args);
        // Every command has finished its work when execute returns (broker and dev block until the node stops), and a
        // library's non-daemon thread (Netty's global executor lingers a second after its last task) must not hold the
        // process open after that: a finished strata replay exited a second late.
        System.exit(code);
    }

    /**
     * System properties a command that runs and exits is better off with, set before any library
     * reads them unless the user set them: Netty's JDK Flight Recorder events off. Netty registers
     * them with the recorder on its first buffer, recording or not, which cost a replay's first
     * S3 request about 45 ms of CPU, and its first record 0.1 s (0.51 against 0.63 s, medians of 8
     * alternating 300 MB replays). The broker keeps them, for operators recording it.
     */
    static void oneShotDefaults(String[] args) {
        String first = args.length == 0 ? "" : args[0];
        if (!first.equals("broker") && !first.equals("dev") && System.getProperty(NETTY_JFR) == null) {
            System.setProperty(NETTY_JFR, "false");
        }
    }

    /**
     * The command line for {@code args}: with only the subcommand they name when they start with one, else with every
     * subcommand (for the top-level help, the version, and picocli's suggestions for a misspelt name). Picocli reads
     * the annotations of every command and option it is given before it parses anything: with all eleven subcommands
     * and theirs that took 110 of the 250 ms a one-shot command's main thread ran before its own work (async-profiler,
     * wall clock, with the launcher's class-data archive), on every {@code strata topics}, {@code groups} or
     * {@code replay}.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cli = new CommandLine(new StrataCli());
        String first = args.length == 0 ? null : args[0];
        for (Class<?> sub : SUBCOMMANDS) {
            if (sub.getAnnotation(Command.class).name().equals(first)) {
                return cli.addSubcommand(sub);
            }
        }
        SUBCOMMANDS.forEach(cli::addSubcommand);
        return cli;
    }
}
