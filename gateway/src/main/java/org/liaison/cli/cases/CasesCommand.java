package org.liaison.cli.cases;

import picocli.CommandLine.Command;

@Command(name = "cases", mixinStandardHelpOptions = true,
        description = {"Manage an authority's cases on its node (operators): delete a case's messages.", "",
            "A case is the reference investigators give with `submit --case`; the node records it for every message it",
            "sends or receives."},
        subcommands = {DeleteCaseCommand.class},
        footer = {"", "Example:",
            "  liaison --profile federation/IT-DNA/users/operator cases delete OP-CORRIDOR-2026 --reason \"court order 2026/114\""})
public final class CasesCommand {
}
