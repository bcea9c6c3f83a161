package org.liaison.cli.local;

import static org.liaison.cli.local.StatusCommand.text;
import static org.liaison.protocol.UntrustedText.printable;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.cli.LiaisonCommand;
import org.liaison.gateway.local.LocalApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "inbox", mixinStandardHelpOptions = true,
        description = {"List the messages your authority received: id, sender, service, case, handling marks, size and time.",
            "What is owed comes first: requests past their respond-by date without a reply (OVERDUE), then urgent ones,",
            "then by deadline, then the newest. A page at a time (100 unless --limit says; the output ends with the command",
            "that lists the next page). Fetch one with `liaison fetch ID --out DIR`; answer it with `liaison acknowledge` or",
            "`liaison decline`. You see the messages of the cases you are on and the replies to your own (an operator",
            "assigns cases: `liaison cases assign`); operators see every message's metadata, never its content."},
        footer = {"", "Examples:", "  liaison --profile federation/AL-PP/users/investigator inbox",
            "  liaison --profile federation/AL-PP/users/investigator inbox --overdue",
            "  liaison --profile federation/AL-PP/users/investigator inbox --case OP-1 --from IT-DNA --since 2026-01-01 --limit 50",
            "  liaison --profile federation/AL-PP/users/investigator inbox --unanswered --json"})
public final class InboxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    LiaisonCommand root;

    @picocli.CommandLine.Mixin
    ListingOptions page = new ListingOptions();

    @Option(names = "--from", paramLabel = "AUTHORITY", description = "Only the messages from this authority (such as IT-DNA).")
    String from;

    @Override
    public Integer call() throws Exception {
        LocalClient.Page answer = new LocalClient(root.profile()).page(LocalApi.INBOX + page.query("from", from));
        JsonNode list = answer.rows();
        PrintWriter o = spec.commandLine().getOut();
        if (page.printJson(o, list)) {
            page.printNext(spec, answer.next());
            return 0;
        }
        boolean filtered = page.filtered() || from != null;
        if (list.isEmpty()) {
            o.println(page.after != null ? "No more messages." : filtered ? "No message matches."
                    : page.overdue ? "No request is overdue." : "The inbox is empty.");
            return 0;
        }
        for (JsonNode m : list) {
            if (m.has("quarantined") || m.has("problem")) {
                o.printf("%s  from %-7s %s  received %s%n", text(m, "messageId"), text(m, "from"),
                        m.has("quarantined") ? "QUARANTINED: " + text(m, "quarantined")
                                : "CANNOT BE READ: " + text(m, "problem") + " (tell your gateway's operator)",
                        text(m, "received"));
                continue;
            }
            List<String> marks = new ArrayList<>();
            marks.add(text(m, "classification"));
            m.path("handling").forEach(h -> marks.add(printable(h.asText())));
            if (m.has("clearanceRequired")) {
                List<String> need = new ArrayList<>();
                m.path("clearanceRequired").forEach(h -> need.add(printable(h.asText())));
                o.printf("%s  from %-7s %-22s %s  received %s  NEEDS CLEARANCE: %s (case and files not shown)%n",
                        text(m, "messageId"), text(m, "from"), text(m, "service"), marks,
                        text(m, "received"), String.join(", ", need));
                continue;
            }
            o.printf("%s  from %-7s %-22s case %-18s %s  %d file(s), %d bytes  received %s%s%n", text(m, "messageId"),
                    text(m, "from"), text(m, "service"), text(m, "case"), marks, m.path("files").asInt(),
                    m.path("bytes").asLong(), text(m, "received"), deadline(m) + told(m));
        }
        page.printNext(spec, answer.next());
        return 0;
    }

    /** What this authority told the sender (acknowledged, declined). */
    private static String told(JsonNode m) {
        StringBuilder b = new StringBuilder();
        for (JsonNode s : m.path("stages")) {
            if (!s.asText().equals("opened")) {
                b.append("  ").append(printable(s.asText().toUpperCase(java.util.Locale.ROOT)));
            }
        }
        return b.toString();
    }

    /** The urgency and the respond-by date, flagged OVERDUE when passed without a reply. */
    private static String deadline(JsonNode m) {
        StringBuilder b = new StringBuilder();
        if (m.has("urgency")) {
            b.append("  ").append(printable(m.path("urgency").asText().toUpperCase(java.util.Locale.ROOT)));
        }
        if (m.has("respondBy")) {
            b.append("  respond by ").append(text(m, "respondBy"));
            if (m.path("overdue").asBoolean(false)) {
                b.append("  OVERDUE");
            } else if (m.path("answered").asBoolean(false)) {
                b.append(" (answered)");
            }
        }
        return b.toString();
    }
}
