package org.liaison.cli.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.liaison.gateway.audit.AuditEntries;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;

/**
 * An audit bundle for a court or an oversight body: selected entries (their exact bytes), each
 * with its RFC 9162 inclusion proof against the latest signed checkpoint, every signed checkpoint,
 * and the consistency proofs that chain each checkpoint to the next. One JSON document, checkable
 * with the log's verifier key and nothing else:
 *
 * <pre>
 * {"format": "liaison-audit-export/1", "origin", "verifierKey", "exportedAt", "selection",
 *  "treeSize", "rootHash", "checkpoint",                         -- the latest signed checkpoint
 *  "entries": [{"index", "entry", "leafHash", "inclusionProof": [hex]}],
 *  "notCovered": n,                                               -- selected entries after it
 *  "checkpoints": [note], "consistencyProofs": [{"fromSize", "toSize", "proof": [hex]}]}
 * </pre>
 */
public final class AuditExport {
    public static final String FORMAT = "liaison-audit-export/1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private AuditExport() {}

    /** Builds the bundle from a log folder that verified with {@code verifierKey}. */
    public static Map<String, Object> build(Path dir, String verifierKey, List<AuditEntries.Entry> selected, Map<String, Object> selection,
            Instant now) throws IOException, GeneralSecurityException {
        List<byte[]> raw = AuditLogVerifier.entries(dir);
        MerkleTree tree = MerkleTree.of(raw.stream().map(Merkle::leafHash).toList());
        List<String> notes = AuditLogVerifier.notes(dir);
        if (notes.isEmpty()) {
            throw new IOException("the log has no signed checkpoint yet: nothing can be proven");
        }
        List<Checkpoint> cps = new ArrayList<>();
        for (String n : notes) {
            cps.add(Checkpoint.parse(SignedNote.open(n, verifierKey)));
        }
        Checkpoint last = cps.get(cps.size() - 1);
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("format", FORMAT);
        b.put("origin", last.origin());
        b.put("verifierKey", verifierKey);
        b.put("exportedAt", now.toString());
        b.put("selection", selection);
        b.put("treeSize", last.size());
        b.put("rootHash", HEX.formatHex(last.rootHash()));
        b.put("checkpoint", notes.get(notes.size() - 1));
        List<Map<String, Object>> entries = new ArrayList<>();
        long notCovered = 0;
        for (AuditEntries.Entry e : selected) {
            if (e.index() >= last.size()) {
                notCovered++;
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", e.index());
            m.put("entry", new String(e.raw(), StandardCharsets.UTF_8));
            m.put("leafHash", HEX.formatHex(tree.leaf(e.index())));
            m.put("inclusionProof", tree.inclusionProof(e.index(), last.size()).stream().map(HEX::formatHex).toList());
            entries.add(m);
        }
        b.put("entries", entries);
        b.put("notCovered", notCovered);
        b.put("checkpoints", notes);
        List<Map<String, Object>> chain = new ArrayList<>();
        for (int k = 1; k < cps.size(); k++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fromSize", cps.get(k - 1).size());
            m.put("toSize", cps.get(k).size());
            m.put("proof", tree.consistencyProof(cps.get(k - 1).size(), cps.get(k).size()).stream().map(HEX::formatHex).toList());
            chain.add(m);
        }
        b.put("consistencyProofs", chain);
        return b;
    }

    /** What checking a bundle found: problems in order (empty when it holds). */
    public record Check(int entries, int checkpoints, long treeSize, List<String> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /** Checks a bundle with {@code verifierKey} using only the published algorithms (RFC 9162, C2SP signed notes). */
    public static Check check(Path bundle, String verifierKey) throws IOException {
        JsonNode b = JSON.readTree(Files.readAllBytes(bundle));
        List<String> problems = new ArrayList<>();
        if (b == null || !FORMAT.equals(b.path("format").asText())) {
            throw new IOException(bundle + " is not a Liaison audit export (format " + FORMAT + ")");
        }
        List<Checkpoint> cps = new ArrayList<>();
        JsonNode notes = b.path("checkpoints");
        for (int k = 0; k < notes.size(); k++) {
            try {
                cps.add(Checkpoint.parse(SignedNote.open(notes.get(k).asText(), verifierKey)));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                problems.add("checkpoint #" + k + ": " + e.getMessage());
                cps.add(null);
            }
        }
        JsonNode chain = b.path("consistencyProofs");
        for (int k = 1; k < cps.size(); k++) {
            Checkpoint a = cps.get(k - 1);
            Checkpoint c = cps.get(k);
            JsonNode p = chain.path(k - 1);
            if (a == null || c == null) {
                continue;
            }
            if (p.path("fromSize").asLong(-1) != a.size() || p.path("toSize").asLong(-1) != c.size()
                    || !Merkle.verifyConsistency(a.size(), c.size(), a.rootHash(), c.rootHash(), hashes(p.path("proof")))) {
                problems.add("checkpoint #" + k + " (size " + c.size() + ") is not shown to extend checkpoint #" + (k - 1) + " (size "
                        + a.size() + ")");
            }
        }
        Checkpoint last = cps.isEmpty() ? null : cps.get(cps.size() - 1);
        if (last == null) {
            problems.add("no valid final checkpoint");
            return new Check(b.path("entries").size(), cps.size(), -1, problems);
        }
        if (!b.path("checkpoint").asText().equals(notes.get(notes.size() - 1).asText()) || b.path("treeSize").asLong(-1) != last.size()) {
            problems.add("treeSize/checkpoint do not name the last checkpoint");
        }
        for (JsonNode e : b.path("entries")) {
            long index = e.path("index").asLong(-1);
            byte[] leaf = Merkle.leafHash(e.path("entry").asText().getBytes(StandardCharsets.UTF_8));
            if (!MessageDigest.isEqual(leaf, parseHex(e.path("leafHash").asText()))) {
                problems.add("entry " + index + ": its bytes do not hash to its leafHash (changed)");
            } else if (!Merkle.verifyInclusion(leaf, index, last.size(), hashes(e.path("inclusionProof")), last.rootHash())) {
                problems.add("entry " + index + ": not in the log at that index (the inclusion proof fails)");
            } else if (JSON.readTree(e.path("entry").asText()).path("index").asLong(-1) != index) {
                problems.add("entry " + index + ": its index field says otherwise");
            }
        }
        return new Check(b.path("entries").size(), cps.size(), last.size(), problems);
    }

    private static byte[] parseHex(String h) {
        try {
            return HEX.parseHex(h);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private static List<byte[]> hashes(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        array.forEach(h -> out.add(parseHex(h.asText())));
        return out;
    }
}
