package org.liaison.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;

/**
 * Offline verification of a copied audit log folder, for auditors: every entry re-hashed, every
 * checkpoint's signature checked with the log's verifier key (obtained separately, not from the
 * folder), every checkpoint's root recomputed, sizes never going back.
 */
public final class AuditLogVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditLogVerifier() {}

    /** The outcome: problems in the order found (empty when the log verifies). */
    public record Report(long entries, int checkpoints, long verifiedSize, List<String> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /** The entries of a log folder, exactly as hashed. */
    public static List<byte[]> entries(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.READ)) {
            return AuditLogReader.records(ch, false);
        }
    }

    /** The signed checkpoint notes of a log folder, in order, unchecked. */
    public static List<String> notes(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.CHECKPOINTS), StandardOpenOption.READ)) {
            for (byte[] note : AuditLogReader.records(ch, true)) {
                out.add(new String(note, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** The checkpoints of a log folder whose signature verifies with {@code verifierKey}, in order. */
    public static List<Checkpoint> checkpoints(Path dir, String verifierKey) throws IOException, GeneralSecurityException {
        List<Checkpoint> out = new ArrayList<>();
        for (String note : notes(dir)) {
            out.add(Checkpoint.parse(SignedNote.open(note, verifierKey)));
        }
        return out;
    }

    public static Report verify(Path dir, String verifierKey) throws IOException {
        return verify(dir, verifierKey, List.of());
    }

    /**
     * As {@link #verify(Path, String)}, and the log must also extend each of {@code held}: signed
     * checkpoints of this log kept elsewhere (by a peer from its receipts, by an auditor from an
     * earlier copy). Only these catch an operator who rewrote the history and re-signed it with
     * the log's own key, or who rolled the log back.
     */
    public static Report verify(Path dir, String verifierKey, List<String> held) throws IOException {
        List<String> problems = new ArrayList<>();
        List<byte[]> records;
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.READ)) {
            try {
                records = AuditLogReader.records(ch, false);
            } catch (IOException e) {
                problems.add("entries: " + e.getMessage());
                records = AuditLogReader.records(ch, true);
            }
        }
        org.liaison.protocol.tlog.MerkleTree leaves = new org.liaison.protocol.tlog.MerkleTree();
        for (int i = 0; i < records.size(); i++) {
            byte[] r = records.get(i);
            leaves.append(Merkle.leafHash(r));
            try {
                JsonNode n = JSON.readTree(r);
                if (n == null || !n.isObject() || n.path("index").asLong(-1) != i) {
                    problems.add("entry " + i + ": its index field says " + (n == null ? "nothing" : n.path("index").asText())
                            + " (an entry was inserted, removed or moved before it)");
                    break;
                }
            } catch (IOException e) {
                problems.add("entry " + i + ": not a JSON object (changed bytes)");
                break;
            }
        }
        List<byte[]> notes;
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.CHECKPOINTS), StandardOpenOption.READ)) {
            try {
                notes = AuditLogReader.records(ch, false);
            } catch (IOException e) {
                // A crash while writing a checkpoint leaves this too, until the node's next start; copy again after it.
                problems.add("checkpoints: " + e.getMessage() + ": a checkpoint was cut short or a record length changed");
                notes = AuditLogReader.records(ch, true);
            }
        }
        long previous = 0;
        long verified = 0;
        for (int k = 0; k < notes.size(); k++) {
            String note = new String(notes.get(k), StandardCharsets.UTF_8);
            Checkpoint c;
            try {
                c = Checkpoint.parse(SignedNote.open(note, verifierKey));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                problems.add("checkpoint #" + k + ": " + e.getMessage());
                continue;
            }
            if (c.size() < previous) {
                problems.add("checkpoint #" + k + " goes back from size " + previous + " to " + c.size());
            }
            if (c.size() > leaves.size()) {
                problems.add("checkpoint #" + k + " covers " + c.size() + " entries but the log holds " + leaves.size()
                        + ": entries were removed");
            } else if (!MessageDigest.isEqual(leaves.root(c.size()), c.rootHash())) {
                problems.add("checkpoint #" + k + " (size " + c.size() + ") does not match the entries: an entry at index " + verified
                        + " to " + (c.size() - 1) + " was changed");
            } else {
                verified = Math.max(verified, c.size());
            }
            previous = c.size();
        }
        if (notes.isEmpty() && !(leaves.size() == 0)) {
            problems.add("no signed checkpoint covers the " + leaves.size() + " entries");
        }
        for (int h = 0; h < held.size(); h++) {
            Checkpoint c;
            try {
                c = Checkpoint.parse(SignedNote.open(held.get(h), verifierKey));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                problems.add("held checkpoint #" + h + " is not a checkpoint of this log's key: " + e.getMessage());
                continue;
            }
            if (c.size() > leaves.size()) {
                problems.add("held checkpoint #" + h + " covers " + c.size() + " entries but the log holds " + leaves.size()
                        + ": the log was rolled back");
            } else if (!MessageDigest.isEqual(leaves.root(c.size()), c.rootHash())) {
                problems.add("held checkpoint #" + h + " (size " + c.size() + ") does not match the log's first " + c.size()
                        + " entries: the history was rewritten (a fork)");
            }
        }
        return new Report(leaves.size(), notes.size(), verified, problems);
    }
}
