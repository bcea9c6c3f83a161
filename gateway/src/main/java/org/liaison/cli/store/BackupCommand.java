package org.liaison.cli.store;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.UserException;
import org.liaison.gateway.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Copy a node's data folder into a new folder, while the node runs (or not).",
            "The database is copied with SQLite's online backup (one consistent snapshot), then the payloads, then the",
            "audit log (whole checkpoints first, then the entries they cover). backup.json lists every file with its",
            "SHA-256; restore checks them. Run it as the user the node runs as."},
        footer = {"", "Example:", "  liaison store backup --config federation/IT-DNA/node.yaml --out backups/it-$(date +%F)"})
public final class BackupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node configuration (node.yaml).")
    Path config;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New (or empty) folder for the backup.")
    Path out;

    @Option(names = "--json", description = "Print what was copied as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        NodeConfig c = NodeConfig.load(config);
        if (c.store() != null && c.store().isPostgresql()) {
            throw new UserException(config + " keeps its messages and audit log in PostgreSQL: back up the database with its own"
                    + " tools (pg_dump, or continuous archiving) and the shared data folder " + c.dataDir() + " with a file-level copy;"
                    + " see deploy/README.md");
        }
        Path data = NodeConfig.resolve(config, c.dataDir());
        Backup.Summary s;
        try {
            s = Backup.take(data, out);
        } catch (java.io.IOException e) {
            throw new UserException(e.getMessage());
        }
        print(spec, json, "Backed up " + data + " to " + s.folder(), s);
        return 0;
    }

    static void print(CommandSpec spec, boolean json, String what, Backup.Summary s) {
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("folder", s.folder().toString());
            m.put("files", s.files());
            m.put("bytes", s.bytes());
            m.put("received", s.inbox());
            m.put("sent", s.outbox());
            m.put("auditLogBytes", s.auditBytes());
            spec.commandLine().getOut().println(Json.write(m));
        } else {
            spec.commandLine().getOut().println(what + ": " + s.files() + " files, " + (s.bytes() >> 10) + " KiB; " + s.inbox()
                    + " messages received, " + s.outbox() + " sent; audit log " + (s.auditBytes() >> 10) + " KiB.");
        }
    }
}
