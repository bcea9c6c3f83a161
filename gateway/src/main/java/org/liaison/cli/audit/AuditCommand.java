package org.liaison.cli.audit;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.Main;
import org.liaison.cli.UserException;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.witness.Submitter;
import org.liaison.protocol.UntrustedText;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.TlogProof;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Check a node's tamper-evident audit log (a Merkle tree log with signed checkpoints).",
            "Works offline on a copy of the node's audit folder (dataDir/audit); auditors get one with 'audit pull'."},
        subcommands = {AuditCommand.Verify.class, QueryCommand.class, StatsCommand.class, ReportCommand.class, AuditCommand.Prove.class,
            AuditCommand.Consistency.class, CheckProofCommand.class, ExportCommand.class, ExportCommand.Check.class, PullCommand.class},
        footer = {"", "Examples:",
            "  liaison --profile federation/IT-DNA/users/auditor audit pull --out it-audit   a copy over the node's local API",
            "  liaison audit verify it-audit --key \"$(cat it-dna-log.vkey)\"                  every hash and signature",
            "  liaison audit query it-audit --counterpart AL-PP --type send-attempt,receipt",
            "  liaison audit stats it-audit --period month                                 figures for reporting",
            "  liaison audit report it-audit --out it-report.html                           the same, verified, as a web page",
            "  liaison audit export it-audit --case OP-CORRIDOR-2026 --out bundle.json     proofs for a court"})
public final class AuditCommand {
    @picocli.CommandLine.ParentCommand
    LiaisonCommand root;

    /** What every audit command takes: the audit folder, the log's verifier key, and --json. */
    static final class Folder {
        @Parameters(paramLabel = "DIR", description = "The audit folder (entries, checkpoints), or a copy of it.")
        Path dir;

        @Option(names = "--key", paramLabel = "VKEY", description = "The log's verifier key (NAME+hash+key). Default: DIR/log.vkey.")
        String key;

        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        /** The verifier key given, or the folder's copy. */
        String key() throws java.io.IOException {
            if (!Files.exists(dir.resolve(FileAuditLog.ENTRIES))) {
                throw new UserException(dir + " is not an audit log folder (no " + FileAuditLog.ENTRIES + ")");
            }
            return key != null ? key : Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).trim();
        }
    }

    /**
     * Prints a proof as JSON, or as aligned "name value" lines; a value of several lines (a checkpoint's text) keeps
     * its lines, and everything else a terminal would act on in what the log holds is shown escaped.
     */
    static void print(PrintWriter o, Map<String, Object> m, boolean json) {
        if (json) {
            o.println(Json.write(m));
            return;
        }
        int width = m.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
        m.forEach((k, v) -> o.printf("%-" + width + "s%s%n", k, UntrustedText.printableLines(
                v instanceof String ? ((String) v).strip() : String.valueOf(v))));
    }

    static java.util.List<String> hex(java.util.List<byte[]> hashes) {
        return hashes.stream().map(java.util.HexFormat.of()::formatHex).toList();
    }

    @Command(name = "prove", mixinStandardHelpOptions = true,
            description = {"Prove that one entry is in the log (RFC 9162 inclusion proof).", "",
                "Prints the entry's exact bytes, its leaf hash and the RFC 9162 inclusion proof",
                "against a signed checkpoint (the latest by default). Anyone can check it with any RFC 9162 implementation."},
            footer = {"", "Example:", "  liaison audit prove federation/AL-PP/data/audit --index 3 --json"})
    static final class Prove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        Folder folder;

        @Option(names = "--index", required = true, paramLabel = "N", description = "The entry's index (from 0).")
        long index;

        @Option(names = "--checkpoint", defaultValue = "-1", paramLabel = "K", description = "Checkpoint number (default: the latest).")
        int checkpoint;

        @Option(names = "--tlog-proof", paramLabel = "FILE", description = {"Also write a self-contained C2SP tlog-proof (the entry, its",
            "inclusion proof and the cosigned checkpoint) that 'audit check-proof' verifies with the directory alone."})
        Path tlogProof;

        @Option(names = "--cosigned", paramLabel = "FILE", description = {"The cosigned checkpoint for --tlog-proof (default:",
            "audit-cosigned/quorum.note beside DIR)."})
        Path cosigned;

        @Override
        public Integer call() throws Exception {
            String vkey = folder.key();
            if (tlogProof != null) {
                Path c = cosigned != null ? cosigned : folder.dir.toAbsolutePath().resolveSibling("audit-cosigned")
                        .resolve(Submitter.QUORUM);
                if (!Files.exists(c)) {
                    throw new UserException("--tlog-proof: no cosigned checkpoint at " + c + "; give --cosigned FILE");
                }
                String note = Files.readString(c, java.nio.charset.StandardCharsets.UTF_8);
                try {
                    SignedNote.open(note, vkey);
                } catch (java.security.GeneralSecurityException e) {
                    throw new UserException(c + " is not a checkpoint signed by this log's key: " + e.getMessage());
                }
                TlogProof p = CheckProofCommand.prove(AuditLogVerifier.entries(folder.dir), index, note);
                SecureFiles.writeNew(tlogProof, p.bytes(), false);
                spec.commandLine().getOut().println("tlog-proof of entry " + index + " against the cosigned checkpoint of size "
                        + Checkpoint.ofNote(note).size() + " -> " + tlogProof);
            }
            java.util.List<byte[]> entries = AuditLogVerifier.entries(folder.dir);
            java.util.List<Checkpoint> cps = AuditLogVerifier.checkpoints(folder.dir, vkey);
            if (cps.isEmpty()) {
                throw new UserException("the log has no signed checkpoint yet");
            }
            int k = checkpoint < 0 ? cps.size() - 1 : checkpoint;
            if (k >= cps.size()) {
                throw new UserException("--checkpoint: " + k + " (the log has checkpoints 0 to " + (cps.size() - 1) + ")");
            }
            Checkpoint c = cps.get(k);
            if (index < 0 || index >= c.size()) {
                throw new UserException("--index: " + index + " (the checkpoint covers entries 0 to " + (c.size() - 1) + ")");
            }
            java.util.List<byte[]> leaves = entries.stream().map(Merkle::leafHash).toList();
            java.util.List<byte[]> proof = Merkle.inclusionProof(leaves, index, c.size());
            boolean ok = Merkle.verifyInclusion(leaves.get((int) index), index, c.size(), proof, c.rootHash());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", index);
            m.put("entry", new String(entries.get((int) index), java.nio.charset.StandardCharsets.UTF_8));
            m.put("leafHash", java.util.HexFormat.of().formatHex(leaves.get((int) index)));
            m.put("treeSize", c.size());
            m.put("rootHash", java.util.HexFormat.of().formatHex(c.rootHash()));
            m.put("checkpoint", c.text());
            if (folder.json) { // what lets a third party authenticate the proof on its own
                m.put("signedCheckpoint", AuditLogVerifier.notes(folder.dir).get(k));
                m.put("verifierKey", vkey);
            }
            m.put("inclusionProof", hex(proof));
            m.put("verified", ok);
            print(spec.commandLine().getOut(), m, folder.json);
            return ok ? Main.OK : Main.FAILED;
        }
    }

    @Command(name = "consistency", mixinStandardHelpOptions = true,
            description = {"Prove that a later checkpoint extends an earlier one (RFC 9162 consistency proof).", "",
                "Shows that the log was only appended to, nothing rewritten, between two signed checkpoints:",
                "the RFC 9162 consistency proof between the two tree sizes."},
            footer = {"", "Example:", "  liaison audit consistency federation/AL-PP/data/audit --from 0 --to 2"})
    static final class Consistency implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        Folder folder;

        @Option(names = "--from", required = true, paramLabel = "K", description = "The earlier checkpoint's number.")
        int from;

        @Option(names = "--to", defaultValue = "-1", paramLabel = "K", description = "The later checkpoint's number (default: the latest).")
        int to;

        @picocli.CommandLine.Mixin
        CosignedOption cosigned = new CosignedOption();

        @picocli.CommandLine.Mixin
        FederationOptions federation = new FederationOptions();

        @Override
        public Integer call() throws Exception {
            java.util.List<Checkpoint> cps = AuditLogVerifier.checkpoints(folder.dir, folder.key());
            int t = to < 0 ? cps.size() - 1 : to;
            if (from < 0 || from >= cps.size() || t >= cps.size() || from > t) {
                throw new UserException("--from/--to: " + from + ", " + t + " (the log has checkpoints 0 to " + (cps.size() - 1) + ")");
            }
            Checkpoint a = cps.get(from);
            Checkpoint b = cps.get(t);
            java.util.List<byte[]> leaves = AuditLogVerifier.entries(folder.dir).stream().map(Merkle::leafHash).toList();
            java.util.List<byte[]> proof = Merkle.consistencyProof(leaves, a.size(), b.size());
            boolean ok = Merkle.verifyConsistency(a.size(), b.size(), a.rootHash(), b.rootHash(), proof);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fromSize", a.size());
            m.put("fromRoot", java.util.HexFormat.of().formatHex(a.rootHash()));
            m.put("toSize", b.size());
            m.put("toRoot", java.util.HexFormat.of().formatHex(b.rootHash()));
            m.put("consistencyProof", hex(proof));
            cosigned.requireDirectory(federation);
            if (federation.canVerify()) { // the witnesses' quorum on both checkpoints
                Witnessed.Quorum q = Witnessed.quorum(federation.verifiedDirectory(java.time.Instant.now()), folder.key(),
                        AuditLogVerifier.entries(folder.dir), cosigned.files(folder.dir), a, b);
                m.put("fromWitnessed", q.from());
                m.put("toWitnessed", q.to());
                ok &= q.met();
            } else {
                m.put("witnesses", "not checked (give --federation DIR or --directory FILE to check the quorum on both checkpoints)");
            }
            if (folder.json) { // both signed checkpoints: a third party can authenticate the roots on its own
                java.util.List<String> notes = AuditLogVerifier.notes(folder.dir);
                m.put("fromSignedCheckpoint", notes.get(from));
                m.put("toSignedCheckpoint", notes.get(t));
                m.put("verifierKey", folder.key());
            }
            m.put("verified", ok);
            print(spec.commandLine().getOut(), m, folder.json);
            return ok ? Main.OK : Main.FAILED;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Re-hash every entry and check every signed checkpoint; name the first thing that is wrong.", "",
                "Checks every checkpoint's signature with the log's verifier key and its root",
                "against the entries, and that checkpoints never go back. Names what is wrong and where.",
                "Get the verifier key from the node's operator through another channel: the copy in the folder",
                "(log.vkey) is only a convenience and proves nothing if the folder itself was tampered with."},
            footer = {"", "Example:", "  liaison audit verify copy-of-audit --key IT-DNA+1a2b3c4d+AbCd…"})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        Folder folder;

        @Option(names = "--held", paramLabel = "FILE",
                description = {"A signed checkpoint of this log you hold from elsewhere (repeatable): a peer's",
                    "dataDir/audit-peers/ID.checkpoint, or latest.checkpoint of an earlier 'audit pull'. The log must extend",
                    "it; this is what catches a history rewritten and re-signed with the log's own key, or rolled back."})
        List<Path> held = new java.util.ArrayList<>();

        @picocli.CommandLine.Mixin
        CosignedOption cosigned = new CosignedOption();

        @picocli.CommandLine.Mixin
        FederationOptions federation = new FederationOptions();

        @Override
        public Integer call() throws Exception {
            PrintWriter o = spec.commandLine().getOut();
            String vkey = folder.key();
            Witnessed.Report w = null;
            cosigned.requireDirectory(federation);
            if (federation.canVerify()) {
                w = Witnessed.check(federation.verifiedDirectory(java.time.Instant.now()), vkey, AuditLogVerifier.entries(folder.dir),
                        cosigned.files(folder.dir));
            }
            List<String> notes = new java.util.ArrayList<>();
            for (Path h : held) {
                if (!Files.exists(h)) {
                    throw new UserException("--held: " + h + ": no such file");
                }
                notes.add(Files.readString(h, java.nio.charset.StandardCharsets.UTF_8));
            }
            if (folder.key == null && !folder.json) {
                o.println("note: using the verifier key found in the folder; pass --key to check against one you trust");
            }
            AuditLogVerifier.Report r0 = AuditLogVerifier.verify(folder.dir, vkey, notes);
            List<String> all = new java.util.ArrayList<>(r0.problems());
            if (w != null) {
                all.addAll(w.problems());
                if ((w.witnessed() || !cosigned.files(folder.dir).isEmpty()) && !w.quorumMet()) {
                    all.add("QUORUM NOT MET: no checkpoint of this copy carries the cosignatures the directory's witness policy demands"
                            + (cosigned.files(folder.dir).isEmpty() ? " (no cosigned checkpoint given: --cosigned FILE)" : ""));
                }
            }
            AuditLogVerifier.Report r = new AuditLogVerifier.Report(r0.entries(), r0.checkpoints(), r0.verifiedSize(), all);
            if (folder.json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("valid", r.valid());
                m.put("entries", r.entries());
                m.put("checkpoints", r.checkpoints());
                m.put("verifiedSize", r.verifiedSize());
                m.put("problems", r.problems());
                m.put("quorumMet", w == null ? null : w.quorumMet());
                o.println(Json.write(m));
            } else if (r.valid()) {
                o.println("VALID: " + r.entries() + " entries, " + r.checkpoints() + " signed checkpoints, the last covering "
                        + r.verifiedSize() + " entries" + (held.isEmpty() ? "" : "; it extends the " + held.size() + " held checkpoint(s)"));
                if (r.verifiedSize() < r.entries()) {
                    o.println("note: the last " + (r.entries() - r.verifiedSize()) + " entries are newer than the last checkpoint (normal "
                            + "for a copy of a running node; after a stop every entry is covered)");
                }
            } else {
                r.problems().forEach(p -> o.println("FAIL  " + printable(p)));
                o.println(r0.valid() ? "NOT WITNESSED: the log's hashes and signatures are intact, but its witnesses' cosignatures fail"
                        + " the directory's policy or show another history (see above)"
                        : "INVALID: the log was altered (" + r.entries() + " entries read, verified up to " + r.verifiedSize() + ")");
            }
            if (w != null && !folder.json) {
                w.lines().forEach(l -> o.println("witnesses: " + l));
            } else if (w == null && !folder.json) {
                o.println("note: witness cosignatures not checked (give --federation DIR or --directory FILE to check the quorum)");
            }
            return r.valid() ? Main.OK : Main.FAILED;
        }
    }
}
