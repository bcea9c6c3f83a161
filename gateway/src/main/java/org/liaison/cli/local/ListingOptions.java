package org.liaison.cli.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.liaison.cli.Json;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * What `liaison inbox` and `liaison status` share: the filters and the page of a listing (the gateway checks
 * them and reads one page from its indexes), and how the next page is asked for — the output ends with the
 * exact command that gives it.
 */
public final class ListingOptions {
    @Option(names = "--json", description = "Print one JSON object per line (for scripts); the next page's command goes to stderr.")
    boolean json;

    @Option(names = "--overdue", description = "Only requests past their respond-by date with no reply yet.")
    boolean overdue;

    @Option(names = "--unanswered", description = "Only requests (not replies) with no reply yet.")
    boolean unanswered;

    @Option(names = "--case", paramLabel = "CASE", description = "Only the messages of this case.")
    String caseRef;

    @Option(names = "--service", paramLabel = "SERVICE", description = "Only the messages of this service (such as mla-request).")
    String service;

    @Option(names = "--since", paramLabel = "WHEN", description = "Only those at or after this day (2026-12-07) or instant (UTC).")
    String since;

    @Option(names = "--until", paramLabel = "WHEN", description = "Only those before this day or instant (UTC).")
    String until;

    @Option(names = "--limit", paramLabel = "N", description = "Messages per page (1 to 1000; default 100): the output says how to get the next.")
    Integer limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "The page after the one that ended with this cursor.")
    String after;

    boolean filtered() {
        return caseRef != null || service != null || since != null || until != null || unanswered;
    }

    /** The listing's query string: the filters, the party ({@code from} or {@code to}) and the page, URL-encoded. */
    String query(String partyName, String party) {
        StringBuilder q = new StringBuilder();
        String[][] p = {{"case", caseRef}, {partyName, party}, {"service", service}, {"since", since}, {"until", until},
            {"overdue", overdue ? "true" : null}, {"unanswered", unanswered ? "true" : null},
            {"limit", limit == null ? null : limit.toString()}, {"after", after}};
        for (String[] kv : p) {
            if (kv[1] != null) {
                q.append(q.length() == 0 ? '?' : '&').append(kv[0]).append('=').append(URLEncoder.encode(kv[1], StandardCharsets.UTF_8));
            }
        }
        return q.toString();
    }

    /** With {@code --json}: each row on its own line; true when it did (the caller prints nothing else to stdout). */
    boolean printJson(PrintWriter out, JsonNode rows) {
        if (!json) {
            return false;
        }
        for (JsonNode row : rows) {
            out.println(Json.line(row));
        }
        return true;
    }

    /**
     * When more rows follow: the exact command that lists the next page (this command's arguments, its cursor
     * replaced), on stdout after a table, on stderr after JSON lines.
     */
    void printNext(CommandSpec spec, String next) {
        if (next == null) {
            return;
        }
        List<String> args = new ArrayList<>(List.of("liaison"));
        List<String> original = spec.commandLine().getParseResult() == null ? List.of()
                : rootArgs(spec);
        for (int i = 0; i < original.size(); i++) {
            String a = original.get(i);
            if (a.equals("--after")) {
                i++;
                continue;
            }
            if (a.startsWith("--after=")) {
                continue;
            }
            args.add(shell(a));
        }
        args.add("--after");
        args.add(next);
        String line = "More follow: run the same command with --after " + next + "\n  " + String.join(" ", args);
        (json ? spec.commandLine().getErr() : spec.commandLine().getOut()).println(line);
    }

    /** The whole command line as given (global options included). */
    private static List<String> rootArgs(CommandSpec spec) {
        picocli.CommandLine root = spec.commandLine();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        return root.getParseResult() == null ? spec.commandLine().getParseResult().originalArgs() : root.getParseResult().originalArgs();
    }

    /** An argument as a POSIX shell reads it back. */
    private static String shell(String a) {
        return a.matches("[A-Za-z0-9_./:=@%+,-]+") ? a : "'" + a.replace("'", "'\\''") + "'";
    }
}
