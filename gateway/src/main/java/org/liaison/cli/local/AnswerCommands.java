package org.liaison.cli.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.UserException;
import org.liaison.gateway.local.LocalApi;
import org.liaison.protocol.envelope.Notices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code liaison acknowledge} and {@code liaison decline}: the recipient's structured answer to a request. */
public final class AnswerCommands {
    private AnswerCommands() {}

    abstract static class Answer implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ParentCommand
        LiaisonCommand root;

        @Parameters(paramLabel = "ID", description = "The received request's id (from `liaison inbox`).")
        String id;

        @Option(names = "--note", paramLabel = "TEXT", description = "A few words for the requesting authority (at most 4096"
                + " characters; travels signed, is not audited).")
        String note;

        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        abstract String path();

        abstract String reasonCode() throws UserException;

        @Override
        public Integer call() throws Exception {
            if (note != null && (note.isBlank() || note.length() > 4096)) {
                throw new UserException("--note: give 1 to 4096 characters");
            }
            List<String> headers = new ArrayList<>();
            String code = reasonCode();
            if (code != null) {
                headers.addAll(List.of(LocalApi.REASON_CODE, code));
            }
            if (note != null) {
                headers.addAll(List.of(LocalApi.NOTE, URLEncoder.encode(note, StandardCharsets.UTF_8).replace("+", "%20")));
            }
            JsonNode answer = new LocalClient(root.profile()).post(LocalApi.INBOX + "/" + id + path(), headers.toArray(new String[0]));
            if (json) {
                spec.commandLine().getOut().println(Json.write(answer));
            } else if (answer.path("new").asBoolean()) {
                spec.commandLine().getOut().printf("%s %s%s; %s will be told%n", StatusCommand.text(answer, "messageId"), StatusCommand.text(answer, "stage"),
                        answer.path("reason").isNull() ? "" : " (" + StatusCommand.text(answer, "reason") + ")", StatusCommand.text(answer, "to"));
            } else {
                spec.commandLine().getOut().printf("%s was %s already; nothing changed%n", StatusCommand.text(answer, "messageId"),
                        StatusCommand.text(answer, "stage"));
            }
            return 0;
        }
    }

    @Command(name = "acknowledge", mixinStandardHelpOptions = true,
            description = {"Tell the requesting authority that your authority accepts to act on a request it received.", "",
                "Your node signs an 'acknowledged' notice and sends it to the sender's node, which shows it in `liaison status`;",
                "both audit logs record it. You need an investigator certificate (and the clearance for the request's",
                "protection marks, if it has any). Doing it again changes nothing."},
            footer = {"", "Example:", "  liaison --profile federation/AL-PP/users/investigator acknowledge 3f2a0c7e-… --note \"assigned to the"
                + " Tirana prosecutor's office\""})
    public static final class Acknowledge extends Answer {
        @Override
        String path() {
            return LocalApi.ACKNOWLEDGE;
        }

        @Override
        String reasonCode() {
            return null;
        }
    }

    @Command(name = "decline", mixinStandardHelpOptions = true,
            description = {"Decline a request your authority received, with a reason code the sender's systems can count.", "",
                "Reasons (after UNTOC art. 18(9), 18(21) and art. 16):",
                "  insufficient-basis        the request does not show the facts or the legal basis it needs",
                "  not-in-conformity         not made as art. 18 asks (art. 18(21)(a))",
                "  outside-jurisdiction      your authority is not competent",
                "  dual-criminality          the conduct is not an offence under your law (art. 18(9), 16(1))",
                "  essential-interests       sovereignty, security, ordre public (art. 18(21)(b))",
                "  domestic-law-prohibits    (art. 18(21)(c))",
                "  contrary-to-legal-system  (art. 18(21)(d))",
                "  other                     say which with --note", "",
                "Your node signs a 'declined' notice and sends it to the sender's node (`liaison status` shows it there);",
                "both audit logs record the reason code (never the note)."},
            footer = {"", "Example:", "  liaison --profile federation/AL-PP/users/investigator decline 3f2a0c7e-… --reason dual-criminality"})
    public static final class Decline extends Answer {
        @Option(names = "--reason", required = true, paramLabel = "CODE", description = "The reason code (see above).")
        String reason;

        @Override
        String path() {
            return LocalApi.DECLINE;
        }

        @Override
        String reasonCode() throws UserException {
            String code = reason.toLowerCase(java.util.Locale.ROOT);
            if (!Notices.reasons().contains(code)) {
                throw new UserException("--reason: no reason code '" + reason + "'; one of: "
                        + String.join(", ", Notices.reasons()));
            }
            return code;
        }
    }
}
