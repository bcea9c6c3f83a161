package org.liaison.cli;

import org.liaison.cli.audit.AuditCommand;
import org.liaison.cli.cases.CasesCommand;
import org.liaison.cli.certs.CertsCommand;
import org.liaison.cli.directory.DirectoryCommand;
import org.liaison.cli.evidence.EvidenceCommand;
import org.liaison.cli.local.AnswerCommands;
import org.liaison.cli.local.FetchCommand;
import org.liaison.cli.local.InboxCommand;
import org.liaison.cli.local.QuarantineCommand;
import org.liaison.cli.local.StatusCommand;
import org.liaison.cli.local.SubmitCommand;
import org.liaison.cli.store.StoreCommand;
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
    /**
     * The commands, in the order help lists them. Registered by {@link Main}: only the one being run
     * (building the model of every command costs a short command a fifth of a second), all of them
     * for help, no command or an unknown one.
     */
    static final java.util.Map<String, java.util.function.Supplier<Object>> SUBCOMMANDS = subcommands();

    private static java.util.Map<String, java.util.function.Supplier<Object>> subcommands() {
        java.util.Map<String, java.util.function.Supplier<Object>> m = new java.util.LinkedHashMap<>();
        m.put("demo", DemoCommand::new);
        m.put("serve", ServeCommand::new);
        m.put("doctor", DoctorCommand::new);
        m.put("submit", SubmitCommand::new);
        m.put("status", StatusCommand::new);
        m.put("inbox", InboxCommand::new);
        m.put("fetch", FetchCommand::new);
        m.put("quarantine", QuarantineCommand::new);
        m.put("acknowledge", AnswerCommands.Acknowledge::new);
        m.put("decline", AnswerCommands.Decline::new);
        m.put("cases", CasesCommand::new);
        m.put("certs", CertsCommand::new);
        m.put("directory", DirectoryCommand::new);
        m.put("store", StoreCommand::new);
        m.put("verify", VerifyCommand::new);
        m.put("audit", AuditCommand::new);
        m.put("evidence", EvidenceCommand::new);
        m.put("bench", BenchCommand::new);
        m.put("completion", CompletionCommand::new);
        m.put("help", picocli.CommandLine.HelpCommand::new);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The command named on a command line (the first word that is not a root option or its value), or null. */
    static String commandIn(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--profile") || a.equals("--log-format")) {
                i++; // its value
            } else if (!a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

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

    private java.nio.file.Path profile;

    @Option(names = "--profile", paramLabel = "DIR",
            description = "Before the command: your profile folder (gateway address, personal keystore, password file), e.g. "
                    + "federation/IT-DNA/users/investigator. Default: $LIAISON_PROFILE.")
    void setProfile(java.nio.file.Path profile) {
        this.profile = profile;
    }

    /** The profile folder given, or $LIAISON_PROFILE; an error saying how to give one otherwise. */
    public java.nio.file.Path profile() {
        if (profile != null) {
            return profile;
        }
        String env = System.getenv("LIAISON_PROFILE");
        if (env != null && !env.isBlank()) {
            return java.nio.file.Path.of(env);
        }
        throw new UserException("no profile: give --profile DIR (a folder made by `liaison certs init-federation`) or set LIAISON_PROFILE");
    }

    /** The profile folder if one was given, else null. */
    java.nio.file.Path profileIfAny() {
        String env = System.getenv("LIAISON_PROFILE");
        return profile != null ? profile : env == null || env.isBlank() ? null : java.nio.file.Path.of(env);
    }
}
