package org.liaison.cli;

import org.liaison.cli.certs.CertsCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "liaison",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Liaison: a secure gateway for exchanging criminal evidence between national authorities.",
            "",
            "Each authority runs a node; nodes exchange signed, encrypted evidence packages over mutually authenticated",
            "TLS and keep a tamper-evident audit log. Operators use `certs` to run their PKI.",
        },
        subcommands = {DemoCommand.class, ServeCommand.class, CertsCommand.class, org.liaison.cli.directory.DirectoryCommand.class, VerifyCommand.class, BenchCommand.class, picocli.CommandLine.HelpCommand.class},
        footer = {
            "",
            "Examples:",
            "  liaison demo                         a throwaway federation of three authorities, end to end",
            "  liaison certs --help                 the PKI toolkit (create a CA, issue, revoke, CRLs, inspect, verify)",
            "  liaison certs create-ca --out ca --name \"CN=IT-DNA National CA, O=DNA, C=IT\" --password-file ca/pw",
            "  liaison bench keys                   measure key generation and signing, JDK vs Bouncy Castle",
            "",
            "Exit codes: 0 success, 1 the command failed, 2 the command line was wrong.",
        })
public final class LiaisonCommand {
    private boolean verbose;

    @Option(names = "--verbose", description = "Print stack traces with errors.", scope = picocli.CommandLine.ScopeType.INHERIT)
    void setVerbose(boolean verbose) {
        this.verbose = verbose;
    }

    @Option(names = "--log-format", paramLabel = "text|json", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Format of log lines on standard error (default: text).")
    void setLogFormat(String format) {
        if (!format.equals("text") && !format.equals("json")) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--log-format: " + format + " (expected: text or json)");
        }
        // Read by log4j2.xml when the first logger is created, which no command does before parsing ends.
        System.setProperty("liaison.log.format", format);
    }

    boolean verbose() {
        return verbose;
    }
}
