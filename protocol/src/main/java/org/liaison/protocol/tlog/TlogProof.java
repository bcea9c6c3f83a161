package org.liaison.protocol.tlog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A self-contained proof that an entry is in a log (C2SP tlog-proof@v1): the header line, an
 * optional {@code extra} line, {@code index N}, the RFC 6962 inclusion proof (base64, one hash a
 * line), a blank line, then the checkpoint note verbatim with the log's signature and witnesses'
 * cosignatures. Verified offline against the log's key and a witness policy.
 */
public record TlogProof(byte[] extra, long index, List<byte[]> inclusion, String checkpointNote) {
    public static final String HEADER = "c2sp.org/tlog-proof@v1";

    public TlogProof {
        extra = extra == null ? null : extra.clone();
        inclusion = List.copyOf(inclusion);
        if (index < 0) {
            throw new IllegalArgumentException("index " + index);
        }
    }

    @Override
    public byte[] extra() {
        return extra == null ? null : extra.clone();
    }

    public String text() {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        if (extra != null) {
            b.append("extra ").append(Base64.getEncoder().encodeToString(extra)).append('\n');
        }
        b.append("index ").append(index).append('\n');
        inclusion.forEach(h -> b.append(Base64.getEncoder().encodeToString(h)).append('\n'));
        return b.append('\n').append(checkpointNote).toString();
    }

    public static TlogProof parse(String text) {
        int blank = text.indexOf("\n\n");
        if (blank < 0) {
            throw new IllegalArgumentException("tlog-proof: no blank line before the checkpoint");
        }
        String[] lines = text.substring(0, blank).split("\n", -1);
        int i = 0;
        if (!HEADER.equals(lines[i++])) {
            throw new IllegalArgumentException("tlog-proof: the first line is not " + HEADER);
        }
        byte[] extra = null;
        if (i < lines.length && lines[i].startsWith("extra ")) {
            try {
                extra = SignedNote.strictBase64(lines[i++].substring(6));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tlog-proof: extra is not canonical base64");
            }
        }
        if (i >= lines.length || !lines[i].startsWith("index ")) {
            throw new IllegalArgumentException("tlog-proof: no index line");
        }
        long index;
        String n = lines[i++].substring(6);
        try {
            index = Long.parseLong(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tlog-proof: index is not a number");
        }
        if (index < 0 || !Long.toString(index).equals(n)) {
            throw new IllegalArgumentException("tlog-proof: index not in canonical decimal");
        }
        List<byte[]> hashes = new ArrayList<>();
        for (; i < lines.length; i++) {
            byte[] h;
            try {
                h = SignedNote.strictBase64(lines[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tlog-proof: proof line is not canonical base64");
            }
            if (h.length != Merkle.HASH_SIZE) {
                throw new IllegalArgumentException("tlog-proof: proof line is not a SHA-256 hash");
            }
            hashes.add(h);
        }
        return new TlogProof(extra, index, hashes, text.substring(blank + 2));
    }

    /** The proof's bytes as a file holds them. */
    public byte[] bytes() {
        return text().getBytes(StandardCharsets.UTF_8);
    }
}
