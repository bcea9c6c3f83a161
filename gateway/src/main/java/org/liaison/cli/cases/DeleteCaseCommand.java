package org.liaison.cli.cases;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.local.LocalApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "delete", mixinStandardHelpOptions = true,
        description = {"Delete every message of a case, received and sent, for good (operators).", "",
            "For each message the node destroys its envelope — the only copy of the keys that open its encrypted files, so",
            "no copy of those files left anywhere can be read again (crypto-shredding) — removes the files, keeps the",
            "digests that identify what was held, and records a 'delete' entry with your reason in the audit log",
            "(liaison audit query DIR --type delete lists them). Backups taken before still hold the message: apply the",
            "same deletion to them, or let them expire. Messages also go when their service's retention period ends",
            "(see README: Retention)."},
        footer = {"", "Example:",
            "  liaison --profile federation/IT-DNA/users/operator cases delete OP-CORRIDOR-2026 --reason \"court order 2026/114\""})
public final class DeleteCaseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    CasesCommand cases;

    @Parameters(paramLabel = "CASE", description = "The case reference.")
    String caseRef;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (1 to 500 characters); audited.")
    String reason;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        JsonNode answer = AssignCommands.client(spec).post(LocalApi.CASE_DELETE, LocalApi.CASE, AssignCommands.encoded(caseRef),
                LocalApi.REASON, LocalClient.reason(reason));
        if (json) {
            spec.commandLine().getOut().println(Json.write(answer));
            return 0;
        }
        spec.commandLine().getOut().printf("Deleted case %s: %d received and %d sent message(s)%n", caseRef, answer.path("received").size(),
                answer.path("sent").size());
        for (JsonNode id : answer.path("received")) {
            spec.commandLine().getOut().println("  received " + id.asText());
        }
        for (JsonNode id : answer.path("sent")) {
            spec.commandLine().getOut().println("  sent     " + id.asText());
        }
        return 0;
    }
}
