package org.liaison.cli.local;

import static org.liaison.cli.local.StatusCommand.text;
import static org.liaison.protocol.UntrustedText.printable;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "inbox", mixinStandardHelpOptions = true,
        description = {"List the messages your authority received: id, sender, service, case, handling marks, size and time.",
            "What is owed comes first: requests past their respond-by date without a reply (OVERDUE), then urgent ones,",
            "then by deadline. Fetch one with `liaison fetch ID --out DIR`; answer it with `liaison acknowledge` or",
            "`liaison decline`. You see the messages of the cases you are on and the replies to your own (an operator",
            "assigns cases: `liaison cases assign`); operators see every message's metadata, never its content."},
        footer = {"", "Examples:", "  liaison --profile federation/AL-PP/users/investigator inbox",
            "  liaison --profile federation/AL-PP/users/investigator inbox --overdue",
            "  liaison --profile federation/AL-PP/users/investigator inbox --case OP-1 --from IT-DNA --since 2026-01-01 --limit 50"})
public final class InboxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    LiaisonCommand root;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Option(names = "--overdue", description = "Only requests past their respond-by date that have no reply yet.")
    boolean overdue;

    @Option(names = "--case", paramLabel = "CASE", description = "Only the messages of this case.")
    String caseRef;

    @Option(names = "--from", paramLabel = "AUTHORITY", description = "Only the messages from this authority (such as IT-DNA).")
    String from;

    @Option(names = "--service", paramLabel = "SERVICE", description = "Only the messages of this service (such as mla-request).")
    String service;

    @Option(names = "--since", paramLabel = "WHEN", description = "Only those received at or after this day (2026-12-07) or instant (UTC).")
    String since;

    @Option(names = "--until", paramLabel = "WHEN", description = "Only those received before this day or instant (UTC).")
    String until;

    @Option(names = "--limit", paramLabel = "N", description = "At most N messages (1 to 1000): a page; the output says how to get the next.")
    Integer limit;

    @Option(names = "--after", paramLabel = "CURSOR", description = "The page after the one that gave this cursor (with --limit).")
    String after;

    /** The listing's query string: the filters and the page, URL-encoded (the gateway checks them). */
    String query() {
        StringBuilder q = new StringBuilder();
        String[][] p = {{"case", caseRef}, {"from", from}, {"service", service}, {"since", since}, {"until", until},
            {"overdue", overdue ? "true" : null}, {"limit", limit == null ? null : limit.toString()}, {"after", after}};
        for (String[] kv : p) {
            if (kv[1] != null) {
                q.append(q.length() == 0 ? '?' : '&').append(kv[0]).append('=')
                        .append(java.net.URLEncoder.encode(kv[1], java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return q.toString();
    }

    @Override
    public Integer call() throws Exception {
        if (after != null && limit == null) {
            throw new org.liaison.cli.UserException("--after: give --limit too (the size of the page)");
        }
        JsonNode list = new LocalClient(root.profile()).get(org.liaison.gateway.local.LocalApi.INBOX + query());
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            o.println(Json.write(list));
            return 0;
        }
        boolean filtered = caseRef != null || from != null || service != null || since != null || until != null;
        if (list.isEmpty()) {
            o.println(after != null ? "No more messages." : filtered ? "No message matches."
                    : overdue ? "No request is overdue." : "The inbox is empty.");
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
        if (limit != null && list.size() == limit) {
            o.printf("More may follow: run the same command with --after %s%n", text(list.get(list.size() - 1), "cursor"));
        }
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
