package org.liaison.cli.local;

import static org.liaison.protocol.UntrustedText.printable;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.gateway.local.LocalApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show the messages you sent and their delivery to each recipient.",
        description = {"Show the messages you sent (and your cases'; operators: all of your authority's) and their delivery to each",
            "recipient.", "",
            "Each recipient's delivery is queued, sending, retrying (with",
            "the next attempt and the last error), delivered (with the time and the receipt's SHA-256), failed (with the",
            "reason) or expired. Then what the recipient did with it: opened (one of its investigators fetched it; who is",
            "not said), acknowledged or declined (with a reason code; liaison acknowledge, liaison decline) and answered",
            "(its reply arrived). A request sent with --respond-by shows its date, and OVERDUE once it passed with no reply",
            "received (--overdue: only those).", "",
            "A page at a time, newest first (100 unless --limit says; the output ends with the command that lists the next",
            "page); --case, --to, --service, --since, --until, --overdue and --unanswered narrow it."},
        footer = {"", "Examples:", "  liaison --profile federation/IT-DNA/users/investigator status",
            "  liaison --profile federation/IT-DNA/users/investigator status --overdue",
            "  liaison --profile federation/IT-DNA/users/investigator status --to AL-PP --unanswered --limit 20",
            "  liaison --profile P status 3f2a0c7e-… --json"})
public final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    LiaisonCommand root;

    @Parameters(paramLabel = "ID", arity = "0..1", description = "One message (default: all).")
    String id;

    @picocli.CommandLine.Mixin
    ListingOptions page = new ListingOptions();

    @Option(names = "--to", paramLabel = "AUTHORITY", description = "Only the messages sent to this authority (such as AL-PP).")
    String to;

    @Override
    public Integer call() throws Exception {
        LocalClient client = new LocalClient(root.profile());
        PrintWriter o = spec.commandLine().getOut();
        JsonNode answer;
        String next = null;
        if (id != null) {
            answer = client.get(LocalApi.MESSAGES + "/" + id);
            if (page.overdue && !answer.path("overdue").asBoolean(false)) {
                answer = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
            } else if (page.json) {
                o.println(Json.line(answer));
                return 0;
            }
        } else {
            LocalClient.Page p = client.page(LocalApi.MESSAGES + page.query("to", to));
            answer = p.rows();
            next = p.next();
            if (page.printJson(o, answer)) {
                page.printNext(spec, next);
                return 0;
            }
        }
        Iterable<JsonNode> messages = answer.isArray() ? answer : java.util.List.of(answer);
        boolean any = false;
        for (JsonNode m : messages) {
            any = true;
            // What peers wrote (notes, errors) and what the node holds is shown with every control escaped (UntrustedText).
            o.printf("%s  %s to %s  created %s%s%s%n", text(m, "messageId"), text(m, "service"), text(m, "to"),
                    text(m, "created"), m.path("inReplyTo").isNull() ? "" : "  (reply to " + text(m, "inReplyTo") + ")",
                    !m.has("respondBy") ? "" : "  respond by " + text(m, "respondBy")
                            + (m.path("overdue").asBoolean(false) ? "  OVERDUE" : m.path("answered").asBoolean(false) ? " (answered)" : ""));
            for (JsonNode d : m.path("deliveries")) {
                String state = text(d, "state");
                String detail;
                switch (state) {
                    case "delivered":
                        detail = "at " + text(d, "deliveredAt") + ", receipt SHA-256 " + text(d, "receiptSha256").substring(0, 16) + "…";
                        break;
                    case "retrying":
                        detail = "next attempt " + text(d, "nextAttempt") + " after " + d.path("attempts").asInt()
                                + " attempt(s): " + text(d, "lastError");
                        break;
                    case "failed":
                    case "expired":
                        detail = text(d, "lastError");
                        break;
                    default:
                        detail = "";
                }
                o.printf("    %-7s %-9s %s%n", text(d, "recipient"), state, detail);
                for (JsonNode st : d.path("stages")) {
                    o.printf("    %-7s %-12s %s%s%s%n", "", text(st, "stage"), text(st, "at"),
                            st.path("reason").isNull() ? "" : "  reason: " + text(st, "reason"),
                            st.path("note").isNull() ? "" : "  \"" + text(st, "note") + "\"");
                }
            }
        }
        if (!any) {
            o.println(page.after != null ? "No more messages." : page.overdue ? "No request is overdue."
                    : page.filtered() || to != null ? "No message matches." : "No sent messages yet.");
        }
        page.printNext(spec, next);
        return 0;
    }

    /** A field of the gateway's answer as it may be shown on a terminal. */
    static String text(JsonNode node, String field) {
        return printable(node.path(field).asText());
    }
}
