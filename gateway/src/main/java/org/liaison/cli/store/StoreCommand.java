package org.liaison.cli.store;

import picocli.CommandLine.Command;

@Command(name = "store", mixinStandardHelpOptions = true,
        header = "Back up, restore and migrate a node's data folder.",
        description = {"Back up, restore and migrate a node's data folder: the message database, the encrypted payloads, the audit",
            "log and the peers' pinned audit checkpoints. Keystores and node.yaml are not in it: back up /etc/liaison",
            "(or wherever they are) separately, and keep both as securely as the node itself."},
        subcommands = {BackupCommand.class, RestoreCommand.class, MigrateCommand.class},
        footer = {"", "Examples:",
            "  liaison store backup --config federation/IT-DNA/node.yaml --out backups/it-2026-11-29",
            "  liaison store restore --from backups/it-2026-11-29 --config federation/IT-DNA/node.yaml --data /srv/liaison-restored",
            "  liaison store migrate --config federation/IT-DNA/node.yaml --to jdbc:postgresql://db:5432/liaison --user liaison \\",
            "      --password-file federation/IT-DNA/postgres.password"})
public final class StoreCommand {
}
