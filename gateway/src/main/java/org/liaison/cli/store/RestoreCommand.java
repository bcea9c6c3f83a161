package org.liaison.cli.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.UserException;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Restore a backup made by 'liaison store backup' into an empty data folder, with the node stopped.",
            "Every file is checked against backup.json before anything is written, and the restored database against",
            "SQLite's integrity check. The node then starts on it as usual: its audit log is checked when it opens, and",
            "deliveries that were under way resume. Restore into another folder (--data) to inspect a backup, or to move",
            "a node: point dataDir in node.yaml at that folder.", "",
            "A backup holds the messages deleted after it was taken. The restore deletes them again (their envelopes held",
            "their content keys), as the later audit log records them: the log of node.yaml's dataDir when it still exists",
            "and is not the target, else the one given with --deletions-from (the audit folder of the data folder moved",
            "aside). Each deletion carried out again is audited in the restored log."},
        footer = {"", "Examples:",
            "  liaison store restore --from backups/it-2026-11-29 --config federation/IT-DNA/node.yaml",
            "  liaison store restore --from backups/it-2026-11-29 --config federation/IT-DNA/node.yaml --data /srv/liaison-restored",
            "  liaison store restore --from backups/it-2026-11-29 --config federation/IT-DNA/node.yaml --deletions-from data-old/audit"})
public final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "DIR", description = "The backup folder.")
    Path from;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node configuration (node.yaml).")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "Where to restore (default: the dataDir of node.yaml); must be empty.")
    Path data;

    @Option(names = "--deletions-from", paramLabel = "DIR",
            description = "The audit log folder that goes on past the backup (the old data folder's audit/): its deletions are"
                    + " carried out again. Default: node.yaml's dataDir/audit, when that is not the target.")
    Path deletionsFrom;

    @Option(names = "--without-later-deletions",
            description = "Restore although no later audit log exists (it was lost with the data folder): messages deleted after"
                    + " the backup come back until retention deletes them again; repeat the case deletions made since.")
    boolean withoutLaterDeletions;

    @Option(names = "--json", description = "Print what was restored as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        NodeConfig c = NodeConfig.load(config);
        Path configured = NodeConfig.resolve(config, c.dataDir());
        Path target = data != null ? data : configured;
        Path later = deletionsFrom;
        if (later == null && !withoutLaterDeletions && !inUse(target)) { // a folder in use is refused below, as it is
            Path current = configured.resolve("audit");
            if (!Files.isRegularFile(current.resolve(FileAuditLog.ENTRIES))
                    || target.toAbsolutePath().normalize().equals(configured.toAbsolutePath().normalize())) {
                throw new UserException("a backup still holds the messages deleted after it was taken; the restore deletes them"
                        + " again as the later audit log records them. Give that log with --deletions-from DIR (the audit folder of"
                        + " the data folder you moved aside), or, only if it is lost, --without-later-deletions. Nothing restored");
            }
            later = current;
        }
        Backup.Summary s;
        List<Backup.Reapplied> reapplied = List.of();
        try {
            if (later != null && !Files.isRegularFile(later.resolve(FileAuditLog.ENTRIES))) {
                throw new java.io.IOException(later + " is not an audit log folder (no " + FileAuditLog.ENTRIES + " in it): nothing restored");
            }
            s = Backup.restore(from, target);
        } catch (java.io.IOException e) {
            throw new UserException(e.getMessage());
        }
        if (later != null) {
            try {
                reapplied = Backup.reapplyDeletions(target, later);
                audit(c, target.resolve("audit"), reapplied);
            } catch (Exception e) {
                // Not left half done: a copy that still holds messages deleted since would bring them back.
                SecureFiles.deleteTree(target);
                throw new UserException("the deletions recorded in " + later + " could not be carried out again (" + e.getMessage()
                        + "); the restored copy was removed: nothing restored");
            }
        }
        BackupCommand.print(spec, json, "Restored " + from + " into " + target, s);
        if (!json) {
            spec.commandLine().getOut().println(later == null ? "No later audit log given: deletions made after the backup are not"
                    + " carried out again." : reapplied.size() + " message(s) deleted after the backup deleted again (from " + later + ")");
        }
        return 0;
    }

    private static boolean inUse(Path folder) throws java.io.IOException {
        if (!Files.isDirectory(folder)) {
            return Files.exists(folder);
        }
        try (var files = Files.list(folder)) {
            return files.findAny().isPresent();
        }
    }

    /** Records each deletion carried out again in the restored log, as the node opens it. */
    private void audit(NodeConfig c, Path auditDir, List<Backup.Reapplied> reapplied) throws Exception {
        if (reapplied.isEmpty()) {
            return;
        }
        String origin = FederationSetup.auditLogName(AuthorityId.of(c.authority()));
        try (FileAuditLog log = c.auditKey() == null ? FileAuditLog.open(auditDir, origin, Duration.ofSeconds(2))
                : FileAuditLog.open(auditDir, origin, Duration.ofSeconds(2), NodeConfig.resolve(config, c.auditKey()))) {
            for (Backup.Reapplied r : reapplied) {
                log.record(AuditEvent.of("delete", "system", r.messageId(), r.counterpart(), "deleted", "deleted again after a restore"
                        + " (entry " + r.index() + " of the later log, " + r.at() + ": " + r.reason() + ")")
                        .with("direction", r.received() ? "received" : "sent").with("envelopeSha256", r.envelopeSha256()));
            }
        }
    }
}
