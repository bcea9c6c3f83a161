package org.liaison.cli.audit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.cli.UserException;
import org.liaison.gateway.witness.Submitter;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.WitnessPolicy;

/**
 * The witness check of {@code audit verify}: cosigned checkpoints of the log (the node's
 * {@code dataDir/audit-cosigned/*.note}, or a witness's monitoring answer) checked against the
 * directory's witness policy for the log's authority, and against the copy (same root at the same size).
 */
final class Witnessed {
    /** What was found: lines to print, problems (a fork, a foreign key), and whether the quorum is met by a checkpoint of this copy. */
    record Report(List<String> lines, List<String> problems, boolean witnessed, boolean quorumMet, String best) {}

    private Witnessed() {}

    /** The cosigned checkpoints to check: those given, or the node's own beside its audit folder. */
    static List<Path> files(Path auditDir, List<Path> given) {
        if (!given.isEmpty()) {
            return given;
        }
        Path own = auditDir.toAbsolutePath().resolveSibling("audit-cosigned");
        List<Path> files = new ArrayList<>(java.util.stream.Stream.of(own.resolve(Submitter.LATEST), own.resolve(Submitter.QUORUM),
                auditDir.resolve(PullCommand.COSIGNED)).filter(Files::exists).toList()); // the last: what 'audit pull' kept
        try (var witnesses = Files.newDirectoryStream(auditDir, PullCommand.WITNESS_PREFIX + "*.note")) {
            witnesses.forEach(files::add); // each witness's latest, as 'audit pull' asked them
        } catch (java.io.IOException | java.nio.file.DirectoryIteratorException e) {
            throw new UserException("cannot read the witnesses' checkpoints in " + auditDir + ": " + e.getMessage());
        }
        files.sort(null);
        return files;
    }

    /** The authority whose log has {@code origin} ("liaison/ID"). */
    static AuthorityId authorityOf(String origin) {
        if (!origin.startsWith("liaison/")) {
            throw new UserException("the log's origin " + origin + " is not an authority's audit log (liaison/ID)");
        }
        return AuthorityId.of(origin.substring("liaison/".length()));
    }

    static Report check(FederationDirectory d, String vkey, List<byte[]> entries, List<Path> files) throws java.io.IOException {
        List<String> lines = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        MerkleTree tree = new MerkleTree();
        entries.forEach(e -> tree.append(Merkle.leafHash(e)));
        boolean met = false;
        boolean witnessed = d.witnessing().of(authorityOf(vkey.split("\\+", 2)[0])).isPresent();
        String best = null;
        long bestSize = -1;
        for (Path f : files) {
            if (!Files.exists(f)) {
                throw new UserException("--cosigned: " + f + ": no such file");
            }
            String note = Files.readString(f, StandardCharsets.UTF_8);
            Checkpoint c;
            try {
                c = Checkpoint.parse(SignedNote.open(note, vkey));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                problems.add(f + " is not a checkpoint signed by this log's key: " + e.getMessage());
                continue;
            }
            AuthorityId log = authorityOf(c.origin());
            WitnessPolicy.Result r = d.witnessing().policy(log).check(note);
            String name = f.getFileName().toString();
            String who = name.startsWith(PullCommand.WITNESS_PREFIX) && name.endsWith(".note")
                    ? "witness " + name.substring(PullCommand.WITNESS_PREFIX.length(), name.length() - ".note".length()) + "'s latest: " : "";
            if (c.size() > tree.size()) {
                lines.add(who + "cosigned checkpoint of size " + c.size() + " is newer than this copy (" + tree.size() + " entries): " + r);
                continue;
            }
            if (!MessageDigest.isEqual(tree.root(c.size()), c.rootHash())) {
                problems.add("the cosigned checkpoint of size " + c.size() + " in " + f + " does not match this copy's first " + c.size()
                        + " entries: the log showed its witnesses another history (a split view)" + (r.cosignedBy().isEmpty() ? ""
                                : "; cosigned by " + r.cosignedBy()));
                continue;
            }
            lines.add(who + "cosigned checkpoint of size " + c.size() + ": " + r);
            if (r.satisfied() && c.size() > bestSize) {
                met = true;
                bestSize = c.size();
                best = note;
            }
        }
        return new Report(lines, problems, witnessed, met, best);
    }

    /** Whether each of two checkpoints is witnessed: a line for each, and whether both meet the quorum (or none is demanded). */
    record Quorum(String from, String to, boolean met) {}

    /**
     * The quorum on checkpoints {@code a} and {@code b} of a copy: each is witnessed when a cosigned checkpoint in
     * {@code files} (signed by the log's key) meets the directory's quorum for the log and covers it — same size and
     * root, or larger, with this copy's entries showing that the cosigned one extends it (same root at both sizes).
     */
    static Quorum quorum(FederationDirectory d, String vkey, List<byte[]> entries, List<Path> files, Checkpoint a, Checkpoint b)
            throws java.io.IOException {
        AuthorityId log = authorityOf(vkey.split("\\+", 2)[0]);
        WitnessPolicy policy = d.witnessing().policy(log);
        if (d.witnessing().of(log).isEmpty() || policy.quorum() == 0) {
            return new Quorum("no quorum demanded for " + log, "no quorum demanded for " + log, true);
        }
        MerkleTree tree = new MerkleTree();
        entries.forEach(e -> tree.append(Merkle.leafHash(e)));
        List<Checkpoint> witnessed = new ArrayList<>();
        for (Path f : files) {
            if (!Files.exists(f)) {
                throw new UserException("--cosigned: " + f + ": no such file");
            }
            String note = Files.readString(f, StandardCharsets.UTF_8);
            try {
                Checkpoint c = Checkpoint.parse(SignedNote.open(note, vkey));
                if (policy.check(note).satisfied() && c.size() <= tree.size() && MessageDigest.isEqual(tree.root(c.size()), c.rootHash())) {
                    witnessed.add(c);
                }
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // not a checkpoint of this log: it witnesses nothing here
            }
        }
        String from = witnessedLine(a, witnessed, tree, policy);
        String to = witnessedLine(b, witnessed, tree, policy);
        return new Quorum(from, to, !from.startsWith("NOT") && !to.startsWith("NOT"));
    }

    private static String witnessedLine(Checkpoint c, List<Checkpoint> witnessed, MerkleTree tree, WitnessPolicy policy) {
        boolean inCopy = c.size() <= tree.size() && MessageDigest.isEqual(tree.root(c.size()), c.rootHash());
        for (Checkpoint w : witnessed) {
            if (inCopy && w.size() >= c.size()) {
                return "witnessed: cosigned at size " + w.size() + " by a quorum of " + policy.quorum();
            }
        }
        return "NOT witnessed: no cosigned checkpoint with the quorum of " + policy.quorum() + " covers size " + c.size();
    }
}
