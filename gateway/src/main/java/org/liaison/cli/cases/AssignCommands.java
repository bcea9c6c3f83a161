package org.liaison.cli.cases;

import static org.liaison.protocol.UntrustedText.printable;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.local.LocalApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code liaison cases assign|unassign|list}: who works on which case (need to know). */
public final class AssignCommands {
    private AssignCommands() {}

    static LocalClient client(CommandSpec spec) throws Exception {
        return new LocalClient(((LiaisonCommand) spec.parent().parent().userObject()).profile());
    }

    static String encoded(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    abstract static class Change implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "CASE", description = "The case reference (as in `submit --case`).")
        String caseRef;

        @Parameters(index = "1", paramLabel = "PERSON", description = "The person's certificate subject, e.g. \"CN=Maria Rossi,OU=IT-DNA,"
                + "O=DNA,C=IT\", or its SHA256 fingerprint (SHA256:…); `liaison certs inspect FILE` shows both.")
        String person;

        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        abstract String path();

        @Override
        public Integer call() throws Exception {
            JsonNode answer = client(spec).post(path(), LocalApi.CASE, encoded(caseRef), LocalApi.PERSON, encoded(person));
            if (json) {
                spec.commandLine().getOut().println(Json.write(answer));
            } else if (answer.has("assigned")) {
                spec.commandLine().getOut().printf("%s %s case %s%n", printable(answer.path("person").asText()),
                        answer.path("assigned").asBoolean() ? "is now on" : "was already on", caseRef);
            } else {
                spec.commandLine().getOut().printf("%s %s case %s%n", printable(answer.path("person").asText()),
                        answer.path("unassigned").asBoolean() ? "is no longer on" : "was not on", caseRef);
            }
            return 0;
        }
    }

    @Command(name = "assign", mixinStandardHelpOptions = true,
            description = {"Put a person on a case (operators): they see and fetch its messages, sent and received; audited.", "",
                "Investigators see the messages they submitted, the replies to them and the messages of their cases. With",
                "caseAccess: assigned in node.yaml, a received message of a case nobody is on is seen by no investigator",
                "until an operator assigns the case; with open (the default), by all until then."},
            footer = {"", "Example:", "  liaison --profile ops cases assign OP-CORRIDOR-2026 \"CN=Maria Rossi,OU=IT-DNA,O=DNA,C=IT\""})
    public static final class Assign extends Change {
        @Override
        String path() {
            return LocalApi.CASE_ASSIGN;
        }
    }

    @Command(name = "unassign", mixinStandardHelpOptions = true,
            description = {"Take a person off a case (operators); audited. Messages they submitted stay theirs."},
            footer = {"", "Example:", "  liaison --profile ops cases unassign OP-CORRIDOR-2026 \"CN=Maria Rossi,OU=IT-DNA,O=DNA,C=IT\""})
    public static final class Unassign extends Change {
        @Override
        String path() {
            return LocalApi.CASE_UNASSIGN;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List who is on which case (operators: everyone; investigators: their own cases)."},
            footer = {"", "Example:", "  liaison --profile ops cases list"})
    public static final class ListCases implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode answer = client(spec).get(LocalApi.CASES);
            if (json) {
                spec.commandLine().getOut().println(Json.write(answer));
                return 0;
            }
            if (answer.isEmpty()) {
                spec.commandLine().getOut().println("No one is assigned to a case.");
            }
            for (JsonNode a : answer) {
                spec.commandLine().getOut().printf("%-24s %s  (since %s)%n", printable(a.path("case").asText()),
                        printable(a.path("person").asText()), printable(a.path("assignedAt").asText()));
            }
            return 0;
        }
    }
}
