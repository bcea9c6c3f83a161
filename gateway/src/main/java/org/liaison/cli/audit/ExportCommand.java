package org.liaison.cli.audit;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.Main;
import org.liaison.cli.NewFile;
import org.liaison.cli.UserException;
import org.liaison.gateway.audit.AuditEntries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write entries with their proofs and all checkpoints as one bundle for a court.", "",
            "The bundle holds the selected entries, each with its inclusion proof against the latest signed checkpoint, every signed",
            "checkpoint and the consistency proofs between them, as one JSON bundle for a court or an oversight body.",
            "Anyone can check it with 'liaison audit check-export' or any RFC 9162 implementation and the log's verifier key."},
        footer = {"", "Example:",
            "  liaison audit export federation/AL-PP/data/audit --case OP-CORRIDOR-2026 --out corridor-audit.json"})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AuditCommand.Folder folder;

    @Mixin
    Selection selection;

    @Mixin
    NewFile out;

    @Override
    public Integer call() throws Exception {
        out.refuseIfExists();
        List<AuditEntries.Entry> selected = selection.filter().apply(selection.read(folder));
        Map<String, Object> bundle = AuditExport.build(folder.dir, folder.key(), selected, selection.describe(), Instant.now());
        out.write(Json.write(bundle).getBytes(StandardCharsets.UTF_8));
        PrintWriter o = spec.commandLine().getOut();
        List<?> entries = (List<?>) bundle.get("entries");
        o.println("wrote " + out + ": " + entries.size() + " entries with inclusion proofs against the checkpoint of size "
                + bundle.get("treeSize") + ", " + ((List<?>) bundle.get("checkpoints")).size() + " signed checkpoints");
        long notCovered = (Long) bundle.get("notCovered");
        if (notCovered > 0) {
            o.println("note: " + notCovered + " selected entries are newer than the last checkpoint and were left out; export again "
                    + "after the node's next checkpoint (a few seconds while it runs, and at stop)");
        }
        return Main.OK;
    }

    @Command(name = "check-export", mixinStandardHelpOptions = true,
            description = {"Check a bundle from 'audit export' with the log's verifier key alone.", "",
                "Checks every checkpoint's signature, the consistency proofs",
                "chaining them, and each entry's bytes and inclusion proof against the last checkpoint. Exit 0 only if all hold."},
            footer = {"", "Example:", "  liaison audit check-export corridor-audit.json --key \"$(cat al-pp-log.vkey)\""})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The bundle.")
        Path bundle;

        @Option(names = "--key", paramLabel = "VKEY",
                description = "The log's verifier key from a channel you trust. Default: the key inside the bundle (proves only integrity).")
        String key;

        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (!Files.exists(bundle)) {
                throw new UserException(bundle + ": no such file");
            }
            String vkey = key;
            PrintWriter o = spec.commandLine().getOut();
            if (vkey == null) {
                vkey = new com.fasterxml.jackson.databind.ObjectMapper().readTree(bundle.toFile()).path("verifierKey").asText();
                if (!json) {
                    o.println("note: using the verifier key inside the bundle; pass --key to check against one you trust");
                }
            }
            AuditExport.Check c = AuditExport.check(bundle, vkey);
            if (json) {
                o.println(Json.write(c));
            } else if (c.valid()) {
                o.println("VALID: " + c.entries() + " entries proven in the log of size " + c.treeSize() + ", " + c.checkpoints()
                        + " signed checkpoints, each extending the one before");
            } else {
                c.problems().forEach(p -> o.println("FAIL  " + printable(p)));
                o.println("INVALID: the bundle does not prove what it claims");
            }
            return c.valid() ? Main.OK : Main.FAILED;
        }
    }
}
