package org.liaison.protocol.tlog;

import java.util.Base64;
import java.util.Objects;

/**
 * A log checkpoint (C2SP tlog-checkpoint): origin line, tree size, base64 root hash — the text of
 * a {@link SignedNote}. Receipts carry the receiver's, so each gateway holds signed evidence of its
 * peers' logs.
 */
public record Checkpoint(String origin, long size, byte[] rootHash) {
    public Checkpoint {
        Objects.requireNonNull(origin, "origin");
        if (origin.isEmpty() || origin.contains("\n")) {
            throw new IllegalArgumentException("checkpoint origin: " + origin + " (expected one non-empty line)");
        }
        if (size < 0 || rootHash.length != Merkle.HASH_SIZE) {
            throw new IllegalArgumentException("checkpoint: size " + size + " and a 32-byte root hash expected");
        }
        rootHash = rootHash.clone();
    }

    public String text() {
        return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n";
    }

    /**
     * The checkpoint in a signed note's text, without checking the signature (for a note this node
     * wrote or already verified; others go through {@link SignedNote#open} first).
     */
    public static Checkpoint ofNote(String note) {
        int end = note.indexOf("\n\n");
        if (end < 0) {
            throw new IllegalArgumentException("checkpoint: not a signed note (no blank line before the signatures)");
        }
        return parse(note.substring(0, end + 1));
    }

    /** Parses the first three lines of a checkpoint text (further lines are extensions and ignored). */
    public static Checkpoint parse(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length < 4) {
            throw new IllegalArgumentException("checkpoint: expected origin, size and root hash lines");
        }
        try {
            long size = Long.parseLong(lines[1]);
            if (!Long.toString(size).equals(lines[1])) {
                throw new IllegalArgumentException("size not in canonical form");
            }
            return new Checkpoint(lines[0], size, SignedNote.strictBase64(lines[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint: malformed size or root hash");
        }
    }
}
