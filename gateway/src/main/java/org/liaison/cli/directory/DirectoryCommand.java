package org.liaison.cli.directory;

import picocli.CommandLine.Command;

@Command(name = "directory", mixinStandardHelpOptions = true,
        description = {"Sign, verify and show the federation directory.",
            "The directory lists every authority (gateways, certificates, national CA, services, suites) and every JIT.",
            "The federation operator signs it; gateways pin the operator CA and refuse a directory that is unsigned,",
            "signed by another key, expired, or older than the one they have."},
        subcommands = {DirectoryEditCommand.class, DirectorySignCommand.class, DirectoryVerifyCommand.class, DirectoryShowCommand.class},
        footer = {"", "Examples:",
            "  liaison directory verify federation/directory.xml --federation federation",
            "  liaison directory edit federation/directory.xml --authority IT-DNA --add tls=new-tls.pem --out draft.xml",
            "  liaison directory show federation/directory.xml --federation federation --json"})
public final class DirectoryCommand {
}
