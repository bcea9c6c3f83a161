package org.liaison.cli.audit;

import static org.liaison.protocol.UntrustedText.printable;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.AuditEntries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "query", mixinStandardHelpOptions = true,
        description = {"List the entries that match: by message, case, counterpart, event type, time.", "",
            "The log is verified first (every hash and checkpoint); a log that does not verify is refused unless --unverified."},
        footer = {"", "Examples:",
            "  liaison audit query federation/AL-PP/data/audit --type receive,fetch",
            "  liaison audit query federation/AL-PP/data/audit --case OP-CORRIDOR-2026 --json",
            "  liaison audit query federation/IT-DNA/data/audit --counterpart AL-PP --since 2026-11-01"})
final class QueryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    AuditCommand.Folder folder;

    @Mixin
    Selection selection;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        List<AuditEntries.Entry> found = selection.filter().apply(selection.read(folder));
        if (folder.json) {
            List<Object> out = new ArrayList<>();
            for (AuditEntries.Entry e : found) {
                out.add(JSON.readTree(e.raw()));
            }
            o.println(Json.write(out));
            return Main.OK;
        }
        String format = "%-6s %-20s %-17s %-22s %-36s %-18s %-9s %s";
        o.println(String.format(format, "INDEX", "TIME (UTC)", "TYPE", "ACTOR", "MESSAGE", "COUNTERPART", "OUTCOME", "REASON").stripTrailing());
        for (AuditEntries.Entry e : found) {
            // Every field came from the log, and some from outside (a refused certificate's subject, a request's path).
            o.println(String.format(format, e.index(), e.time().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    printable(e.type()), cut(printable(e.actor()), 22), e.messageId() == null ? "-" : printable(e.messageId()),
                    cut(printable(e.counterpart()), 18), printable(e.outcome()), e.reason() == null ? "" : printable(e.reason()))
                    .stripTrailing());
        }
        o.println(found.size() + " of the log's entries match");
        return Main.OK;
    }

    static String cut(String s, int width) {
        if (s == null) {
            return "-";
        }
        return s.length() <= width ? s : s.substring(0, width - 1) + "…";
    }
}
