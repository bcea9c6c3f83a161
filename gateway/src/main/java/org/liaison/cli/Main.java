package org.liaison.cli;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.PrintWriter;
import java.security.GeneralSecurityException;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.Formats;
import picocli.CommandLine;

/**
 * Entry point of the {@code liaison} command. Errors reach the user as one sentence (what went
 * wrong, and what to do); a stack trace only with {@code --verbose}.
 *
 * <p>Exit codes: 0 success; 1 the command ran and failed (a rejected certificate, a refused
 * operation, an I/O error); 2 the command line itself was wrong.
 */
public final class Main {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    /**
     * Santuario reports each XML reference that does not verify at WARNING through java.util.logging, with the
     * expected and actual digests, on the user's terminal: noise beside the command's own report, which names
     * the item that failed and why. Only SEVERE passes. Held here, as java.util.logging keeps loggers weakly.
     */
    private static final java.util.logging.Logger XML_SECURITY_LOG = java.util.logging.Logger.getLogger("org.apache.xml.security");

    static {
        XML_SECURITY_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        LiaisonCommand root = new LiaisonCommand();
        String wanted = LiaisonCommand.commandIn(args);
        boolean one = wanted != null && !wanted.equals("help") && LiaisonCommand.SUBCOMMANDS.containsKey(wanted);
        CommandLine cl = commandLine(root, one ? wanted : null);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(120);
        cl.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : FAILED);
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("liaison: " + printable(e.getMessage()));
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage and examples.");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("liaison: " + printable(describe(e))); // a refusal may quote what a peer or a request held
            if (root.verbose()) {
                e.printStackTrace(c.getErr());
            }
            return FAILED;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * The command tree: every command, or only {@code only} (building the model of every command costs
     * a short command a fifth of a second). Completion scripts and man pages are made from the whole tree.
     */
    static CommandLine commandLine(LiaisonCommand root, String only) {
        CommandLine cl = new CommandLine(root);
        LiaisonCommand.SUBCOMMANDS.forEach((name, command) -> {
            if (only == null || name.equals(only)) {
                cl.addSubcommand(name, command.get());
            }
        });
        cl.setUsageHelpWidth(120);
        return cl;
    }

    /** Parses an option's ISO-8601 instant, or returns now when it was not given. */
    public static java.time.Instant instantOrNow(String option, String value) {
        if (value == null) {
            return java.time.Instant.now();
        }
        try {
            return Formats.inRange(java.time.Instant.parse(value), option);
        } catch (ProtocolException e) {
            throw new IllegalArgumentException(e.getMessage());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(option + ": " + value + " (expected: an ISO-8601 instant such as 2027-01-01T00:00:00Z)");
        }
    }

    /** One sentence for the user: the exception's own message, never a class name unless there is none. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        if (e instanceof UserException || e instanceof java.io.IOException || e instanceof GeneralSecurityException
                || e instanceof IllegalArgumentException) {
            if (message != null && !message.isBlank()) {
                return message;
            }
        }
        return (message == null ? e.getClass().getSimpleName() : message) + " (run with --verbose for details)";
    }
}
