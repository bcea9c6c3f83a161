package org.liaison.cli.store;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Passwords;
import org.liaison.cli.UserException;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "migrate", mixinStandardHelpOptions = true,
        header = "Move a stopped node's SQLite store and audit log into PostgreSQL, for a cluster.",
        description = {"Move a stopped node's SQLite store and audit log into an empty PostgreSQL database, so that several",
            "nodes of the authority can share them. All in one transaction; audit entries keep their bytes and indices",
            "and checkpoints their signatures, so what peers and auditors hold stays valid. Payload files stay in the data",
            "folder (share it between the nodes). Take a backup first ('liaison store backup'). Then add the printed",
            "store: section to node.yaml and start the node."},
        footer = {"", "Example:",
            "  liaison store migrate --config federation/IT-DNA/node.yaml --to jdbc:postgresql://127.0.0.1:5432/liaison \\",
            "      --user liaison --password-file federation/IT-DNA/postgres.password"})
public final class MigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node configuration (node.yaml, store sqlite).")
    Path config;

    @Option(names = "--to", required = true, paramLabel = "URL", description = "The PostgreSQL database: jdbc:postgresql://HOST:PORT/DB.")
    String url;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "The database user.")
    String user;

    @Option(names = "--password-file", required = true, paramLabel = "FILE", description = "File holding the user's password.")
    Path passwordFile;

    @Override
    public Integer call() throws Exception {
        NodeConfig c = NodeConfig.load(config);
        if (c.store() != null && c.store().isPostgresql()) {
            throw new UserException(config + " already uses a PostgreSQL store");
        }
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new UserException("--to: " + url + " (expected: jdbc:postgresql://HOST:PORT/DATABASE)");
        }
        Path data = NodeConfig.resolve(config, c.dataDir());
        String auditKey = c.auditKey() != null ? c.auditKey() : c.dataDir() + "/audit/" + FileAuditLog.KEY;
        AuthorityId me = AuthorityId.of(c.authority());
        StoreMigration.Summary s;
        try {
            s = StoreMigration.sqliteToPostgres(data, url, user, Passwords.fromFile(passwordFile), NodeConfig.resolve(config, auditKey),
                    FederationSetup.auditLogName(me));
        } catch (java.io.IOException e) {
            throw new UserException(e.getMessage());
        }
        PrintWriter o = spec.commandLine().getOut();
        o.println("Moved " + s.inbox() + " received and " + s.outbox() + " sent messages (" + s.deliveries() + " deliveries), "
                + s.auditEntries() + " audit entries and " + s.auditCheckpoints() + " checkpoints into " + url + ".");
        o.println("Add to " + config + " (the SQLite file stays as it was; remove it once the node runs on PostgreSQL):");
        o.println("store:\n  type: postgresql\n  url: " + url + "\n  user: " + user + "\n  passwordFile: " + passwordFile.toAbsolutePath());
        if (c.auditKey() == null) {
            o.println("auditKey: " + auditKey);
        }
        o.println("nodeId: " + c.effectiveNodeId());
        return 0;
    }
}
