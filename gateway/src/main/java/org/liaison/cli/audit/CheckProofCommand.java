package org.liaison.cli.audit;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.Main;
import org.liaison.cli.UserException;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.TlogProof;
import org.liaison.protocol.tlog.WitnessPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code liaison audit check-proof}: a C2SP tlog-proof checked offline with the signed directory alone. */
@Command(name = "check-proof", mixinStandardHelpOptions = true,
        description = {"Check a self-contained proof (C2SP tlog-proof) that an entry is in an authority's audit log.", "",
            "Offline, with the signed directory alone: the checkpoint must be signed by a log key the directory lists",
            "for the authority, carry the cosignatures its witness policy demands, and include the entry",
            "(given in the proof's extra line) at the proof's index. Write proofs with 'audit prove --tlog-proof'."},
        footer = {"", "Example:", "  liaison audit check-proof entry-3.tlog-proof --federation federation"})
public final class CheckProofCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The proof (.tlog-proof).")
    Path file;

    @picocli.CommandLine.Mixin
    FederationOptions federation = new FederationOptions();

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(file)) {
            throw new UserException(file + ": no such file");
        }
        TlogProof p;
        try {
            p = TlogProof.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new UserException(file + " is not a tlog-proof: " + e.getMessage());
        }
        FederationDirectory d = federation.verifiedDirectory(java.time.Instant.now());
        Map<String, Object> m = new LinkedHashMap<>();
        List<String> problems = new java.util.ArrayList<>();
        Checkpoint c = Checkpoint.ofNote(p.checkpointNote());
        AuthorityId log = Witnessed.authorityOf(c.origin());
        m.put("log", log.value());
        m.put("index", p.index());
        m.put("treeSize", c.size());
        boolean signed = false;
        for (String k : d.authority(log).map(FederationDirectory.Entry::auditLogKeys).orElse(List.of())) {
            try {
                SignedNote.open(p.checkpointNote(), k);
                signed = true;
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // the next listed key
            }
        }
        if (!signed) {
            problems.add("the checkpoint is not signed by a log key directory #" + d.sequence() + " lists for " + log);
        }
        WitnessPolicy.Result q = d.witnessing().policy(log).check(p.checkpointNote());
        m.put("witnesses", q.toString());
        if (!q.satisfied()) {
            problems.add("QUORUM NOT MET: " + q);
        }
        if (p.extra() == null) {
            problems.add("the proof carries no entry (extra line): nothing to check the inclusion of");
        } else {
            boolean included = p.index() < c.size()
                    && Merkle.verifyInclusion(Merkle.leafHash(p.extra()), p.index(), c.size(), p.inclusion(), c.rootHash());
            m.put("entry", new String(p.extra(), StandardCharsets.UTF_8));
            if (!included) {
                problems.add("the inclusion proof does not verify: the entry is not at index " + p.index() + " of this checkpoint");
            }
        }
        m.put("problems", problems);
        m.put("verified", problems.isEmpty());
        PrintWriter o = spec.commandLine().getOut();
        AuditCommand.print(o, m, json);
        return problems.isEmpty() ? Main.OK : Main.FAILED;
    }

    /** A proof of entry {@code index} of {@code entries} against {@code note} (a checkpoint of them, ideally cosigned). */
    static TlogProof prove(List<byte[]> entries, long index, String note) {
        Checkpoint c = Checkpoint.ofNote(note);
        if (c.size() > entries.size() || index >= c.size()) {
            throw new UserException("the cosigned checkpoint (size " + c.size() + ") does not cover entry " + index + " of this copy");
        }
        MerkleTree t = new MerkleTree();
        for (int i = 0; i < c.size(); i++) {
            t.append(Merkle.leafHash(entries.get(i)));
        }
        if (!java.security.MessageDigest.isEqual(t.root(c.size()), c.rootHash())) {
            throw new UserException("the cosigned checkpoint does not match this copy's entries: a split view (see 'audit verify')");
        }
        return new TlogProof(entries.get((int) index), index, t.inclusionProof(index, c.size()), note);
    }
}
