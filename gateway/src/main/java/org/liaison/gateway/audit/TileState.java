package org.liaison.gateway.audit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.liaison.certs.SecureFiles;
import org.liaison.protocol.tlog.Merkle;

/**
 * The durable state of a tiled audit log ({@code tiles.state}), replaced atomically after every
 * tile it relies on is synced: the size {@code size} it describes, where entry {@code size} starts in
 * the entries file, where the checkpoint signed at that size lies in the checkpoints file, the right
 * edge of the tree at that size, and that signed checkpoint. Opening the log reads this, not the
 * whole log.
 *
 * <pre>
 *   "liaison-tiles 1\n" ‖ size ‖ entriesOffset ‖ noteStart ‖ noteEnd (8 bytes each, big-endian)
 *   ‖ levels (4) ‖ per level: length (4) ‖ hashes ‖ note length (4) ‖ note (UTF-8) ‖ SHA-256 of all before
 * </pre>
 */
record TileState(long size, long entriesOffset, long noteStart, long noteEnd, List<byte[]> edge, String note) {
    static final String FILE = "tiles.state";
    private static final byte[] MAGIC = "liaison-tiles 1\n".getBytes(StandardCharsets.US_ASCII);

    byte[] encode() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeLong(size);
        out.writeLong(entriesOffset);
        out.writeLong(noteStart);
        out.writeLong(noteEnd);
        out.writeInt(edge.size());
        for (byte[] e : edge) {
            out.writeInt(e.length);
            out.write(e);
        }
        byte[] n = note == null ? new byte[0] : note.getBytes(StandardCharsets.UTF_8);
        out.writeInt(n.length);
        out.write(n);
        out.flush();
        out.write(sha256(bytes.toByteArray()));
        return bytes.toByteArray();
    }

    void write(Path dir) throws IOException {
        SecureFiles.writeAtomically(dir.resolve(FILE), encode(), false);
    }

    /** The state in {@code dir}; {@code null} when there is none (a log of the old format, or a new one). */
    static TileState read(Path dir) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(dir.resolve(FILE));
        } catch (NoSuchFileException e) {
            return null;
        }
        if (all.length < MAGIC.length + 32 || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || !MessageDigest.isEqual(sha256(Arrays.copyOf(all, all.length - 32)), Arrays.copyOfRange(all, all.length - 32, all.length))) {
            throw new IOException(FILE + " is damaged (its checksum does not match)");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, MAGIC.length, all.length - 32 - MAGIC.length));
        long size = in.readLong();
        long offset = in.readLong();
        long noteStart = in.readLong();
        long noteEnd = in.readLong();
        int levels = in.readInt();
        if (levels < 0 || levels > 8) {
            throw new IOException(FILE + ": " + levels + " edge levels");
        }
        List<byte[]> edge = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            int n = in.readInt();
            if (n < 0 || n > 255 * Merkle.HASH_SIZE) {
                throw new IOException(FILE + ": an edge tile of " + n + " bytes");
            }
            edge.add(in.readNBytes(n));
        }
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException(FILE + ": a note of " + n + " bytes");
        }
        String note = n == 0 ? null : new String(in.readNBytes(n), StandardCharsets.UTF_8);
        if (size < 0 || offset < 0 || noteStart < 0 || noteEnd < noteStart || (note == null && (size != 0 || noteEnd != 0))) {
            throw new IOException(FILE + ": inconsistent fields");
        }
        return new TileState(size, offset, noteStart, noteEnd, List.copyOf(edge), note);
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
