package org.liaison.cli.store;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.liaison.cli.UserException;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.store.Backup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a backup made by 'liaison store backup' into an empty data folder, with the node stopped.",
            "Every file is checked against backup.json before anything is written, and the restored database against",
            "SQLite's integrity check. The node then starts on it as usual: its audit log is checked when it opens, and",
            "deliveries that were under way resume. Restore into another folder (--data) to inspect a backup, or to move",
            "a node: point dataDir in node.yaml at that folder."},
        footer = {"", "Examples:",
            "  liaison store restore --from backups/it-2026-11-29 --config federation/IT-DNA/node.yaml",
            "  liaison store restore --from backups/it-2026-11-29 --config federation/IT-DNA/node.yaml --data /srv/liaison-restored"})
public final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "DIR", description = "The backup folder.")
    Path from;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node configuration (node.yaml).")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "Where to restore (default: the dataDir of node.yaml); must be empty.")
    Path data;

    @Option(names = "--json", description = "Print what was restored as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        NodeConfig c = NodeConfig.load(config);
        Path target = data != null ? data : NodeConfig.resolve(config, c.dataDir());
        Backup.Summary s;
        try {
            s = Backup.restore(from, target);
        } catch (java.io.IOException e) {
            throw new UserException(e.getMessage());
        }
        BackupCommand.print(spec, json, "Restored " + from + " into " + target, s);
        return 0;
    }
}
