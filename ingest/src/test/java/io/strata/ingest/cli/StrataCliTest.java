package io.strata.ingest.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StrataCliTest {
    private static List<String> names(CommandLine cli) {
        return List.copyOf(cli.getSubcommands().keySet());
    }

    @Test
    void aCommandLineNamingASubcommandHoldsThatOneOnlyAndItsHelpIsTheSameAsWithAllOfThem() {
        CommandLine all = StrataCli.commandLine(new String[0]);
        assertThat(names(all)).hasSize(StrataCli.SUBCOMMANDS.size());
        for (Map.Entry<String, CommandLine> e : all.getSubcommands().entrySet()) {
            CommandLine one = StrataCli.commandLine(new String[]{e.getKey(), "--help"});
            assertThat(names(one)).as("strata %s", e.getKey()).containsExactly(e.getKey());
            CommandLine sub = one.getSubcommands().get(e.getKey());
            assertThat(sub.getUsageMessage(CommandLine.Help.Ansi.OFF)).as("strata %s --help", e.getKey())
                    .isEqualTo(e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF));
            assertThat(List.copyOf(sub.getSubcommands().keySet())).isEqualTo(List.copyOf(e.getValue().getSubcommands().keySet()));
        }
    }

    @Test
    void theTopLevelHelpTheVersionAndAMisspeltNameGetEverySubcommandInOrder() {
        List<String> expected = List.of("dev", "broker", "topics", "groups", "cluster", "partitions", "nodes", "users", "acls",
                "config-reference", "replay");
        for (String[] args : List.of(new String[0], new String[]{"--help"}, new String[]{"-V"}, new String[]{"topic", "list"},
                new String[]{"--", "topics"})) {
            assertThat(names(StrataCli.commandLine(args))).as(String.join(" ", args)).isEqualTo(expected);
        }
        String usage = StrataCli.commandLine(new String[]{"--help"}).getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(usage).contains("replay").contains("config-reference").contains("topics");
    }

    @Test
    void aMisspeltSubcommandIsStillAnsweredWithTheNamesItMayMean() {
        CommandLine cli = StrataCli.commandLine(new String[]{"topicz"});
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err));
        int code = cli.execute("topicz");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("topicz").contains("topics");
    }

    /** Exit code, standard output and standard error of {@code cli} run with {@code args}. */
    private static String run(CommandLine cli, String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setOut(new java.io.PrintWriter(out));
        cli.setErr(new java.io.PrintWriter(err));
        int code = cli.execute(args);
        return code + "\n" + out + "\n" + err;
    }

    @Test
    void aMistakeAfterASubcommandIsAnsweredAsWithEverySubcommand() {
        for (String[] args : List.of(new String[]{"topics", "--bogus"}, new String[]{"topics", "list", "--bogus"},
                new String[]{"topics", "lst"}, new String[]{"replay"}, new String[]{"groups", "describe"})) {
            String lazy = run(StrataCli.commandLine(args), args);
            String full = run(StrataCli.commandLine(new String[0]), args);
            assertThat(lazy).as(String.join(" ", args)).isEqualTo(full);
            assertThat(lazy).as(String.join(" ", args)).doesNotStartWith("0\n");
        }
    }

    @Test
    void aOneShotCommandTurnsNettysFlightRecorderEventsOffUnlessTheUserSaidAndTheBrokerKeepsThem() {
        String before = System.getProperty(StrataCli.NETTY_JFR);
        try {
            for (String command : List.of("replay", "topics", "cluster", "--help")) {
                System.clearProperty(StrataCli.NETTY_JFR);
                StrataCli.oneShotDefaults(new String[]{command});
                assertThat(System.getProperty(StrataCli.NETTY_JFR)).as(command).isEqualTo("false");
            }
            for (String command : List.of("broker", "dev")) {
                System.clearProperty(StrataCli.NETTY_JFR);
                StrataCli.oneShotDefaults(new String[]{command, "--config", "x.yaml"});
                assertThat(System.getProperty(StrataCli.NETTY_JFR)).as(command).isNull();
            }
            System.setProperty(StrataCli.NETTY_JFR, "true");
            StrataCli.oneShotDefaults(new String[]{"replay"});
            assertThat(System.getProperty(StrataCli.NETTY_JFR)).as("the user's own setting").isEqualTo("true");
        } finally {
            if (before == null) {
                System.clearProperty(StrataCli.NETTY_JFR);
            } else {
                System.setProperty(StrataCli.NETTY_JFR, before);
            }
        }
    }
}
