package org.liaison.cli.cases;

import picocli.CommandLine.Command;

@Command(name = "cases", mixinStandardHelpOptions = true,
        description = {"Manage an authority's cases on its node (operators): who works on which case, and deleting a case.", "",
            "A case is the reference investigators give with `submit --case`; the node records it for every message it",
            "sends or receives."},
        subcommands = {AssignCommands.Assign.class, AssignCommands.Unassign.class, AssignCommands.ListCases.class, DeleteCaseCommand.class},
        footer = {"", "Examples:",
            "  liaison --profile ops cases assign OP-CORRIDOR-2026 \"CN=Maria Rossi,OU=IT-DNA,O=DNA,C=IT\"",
            "  liaison --profile ops cases list",
            "  liaison --profile federation/IT-DNA/users/operator cases delete OP-CORRIDOR-2026 --reason \"court order 2026/114\""})
public final class CasesCommand {
}
