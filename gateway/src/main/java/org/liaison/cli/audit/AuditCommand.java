package org.liaison.cli.audit;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.Main;
import org.liaison.cli.UserException;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.FileAuditLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Check a node's tamper-evident audit log (a Merkle tree log with signed checkpoints).",
            "Works offline on a copy of the node's audit folder (dataDir/audit)."},
        subcommands = {AuditCommand.Verify.class},
        footer = {"", "Example:", "  liaison audit verify federation/IT-DNA/data/audit --key \"$(cat it-dna-log.vkey)\""})
public final class AuditCommand {

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Re-hash every entry, check every checkpoint's signature with the log's verifier key and its root",
                "against the entries, and that checkpoints never go back. Names what is wrong and where.",
                "Get the verifier key from the node's operator through another channel: the copy in the folder",
                "(log.vkey) is only a convenience and proves nothing if the folder itself was tampered with."},
            footer = {"", "Example:", "  liaison audit verify copy-of-audit --key IT-DNA+1a2b3c4d+AbCd…"})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DIR", description = "The audit folder (entries, checkpoints).")
        Path dir;

        @Option(names = "--key", paramLabel = "VKEY", description = "The log's verifier key (NAME+hash+key). Default: DIR/log.vkey.")
        String key;

        @Option(names = "--json", description = "Print the result as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (!Files.exists(dir.resolve(FileAuditLog.ENTRIES))) {
                throw new UserException(dir + " is not an audit log folder (no " + FileAuditLog.ENTRIES + ")");
            }
            PrintWriter o = spec.commandLine().getOut();
            String vkey = key;
            if (vkey == null) {
                vkey = Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).trim();
                if (!json) {
                    o.println("note: using the verifier key found in the folder; pass --key to check against one you trust");
                }
            }
            AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("valid", r.valid());
                m.put("entries", r.entries());
                m.put("checkpoints", r.checkpoints());
                m.put("verifiedSize", r.verifiedSize());
                m.put("problems", r.problems());
                o.println(Json.write(m));
            } else if (r.valid()) {
                o.println("VALID: " + r.entries() + " entries, " + r.checkpoints() + " signed checkpoints, the last covering "
                        + r.verifiedSize() + " entries");
            } else {
                r.problems().forEach(p -> o.println("FAIL  " + p));
                o.println("INVALID: the log was altered (" + r.entries() + " entries read, verified up to " + r.verifiedSize() + ")");
            }
            return r.valid() ? Main.OK : Main.FAILED;
        }
    }
}
