package org.liaison.protocol.tlog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The body of a C2SP tlog-witness {@code add-checkpoint} request: an {@code old N} line, up to 63
 * consistency proof lines (base64 hashes), a blank line, then the signed checkpoint note.
 */
public record AddCheckpoint(long oldSize, List<byte[]> proof, String checkpointNote) {
    /** The most proof lines a request may carry (tlog-witness). */
    public static final int MAX_PROOF = 63;
    /** The most bytes a request body may have here: 63 hashes and a checkpoint with a few dozen signatures. */
    public static final int MAX_BYTES = 16 * 1024;
    /** The content type of a 409 answer's body: the witness's size, in decimal, and a newline. */
    public static final String SIZE_TYPE = "text/x.tlog.size";

    public AddCheckpoint {
        proof = List.copyOf(proof);
    }

    public byte[] encode() {
        StringBuilder b = new StringBuilder("old ").append(oldSize).append('\n');
        proof.forEach(h -> b.append(Base64.getEncoder().encodeToString(h)).append('\n'));
        return b.append('\n').append(checkpointNote).toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a request body; anything malformed is an IllegalArgumentException (400 Bad Request). */
    public static AddCheckpoint parse(byte[] body) {
        if (body.length > MAX_BYTES) {
            throw new IllegalArgumentException("request of " + body.length + " bytes (at most " + MAX_BYTES + ")");
        }
        String text = new String(body, StandardCharsets.UTF_8);
        int blank = text.indexOf("\n\n");
        if (blank < 0) {
            throw new IllegalArgumentException("no blank line before the checkpoint");
        }
        String[] head = text.substring(0, blank).split("\n", -1);
        if (!head[0].startsWith("old ")) {
            throw new IllegalArgumentException("the first line is not 'old SIZE'");
        }
        long old;
        try {
            old = Long.parseLong(head[0].substring(4));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("old size is not a number");
        }
        if (old < 0 || !Long.toString(old).equals(head[0].substring(4))) {
            throw new IllegalArgumentException("old size not in canonical decimal");
        }
        if (head.length - 1 > MAX_PROOF) {
            throw new IllegalArgumentException("more than " + MAX_PROOF + " consistency proof lines");
        }
        List<byte[]> proof = new ArrayList<>();
        for (int i = 1; i < head.length; i++) {
            byte[] h;
            try {
                h = SignedNote.strictBase64(head[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("proof line " + i + " is not canonical base64");
            }
            if (h.length != Merkle.HASH_SIZE) {
                throw new IllegalArgumentException("proof line " + i + " is not a SHA-256 hash");
            }
            proof.add(h);
        }
        return new AddCheckpoint(old, proof, text.substring(blank + 2));
    }
}
