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
import org.liaison.protocol.tlog.TileFiles;
import org.liaison.protocol.tlog.TilePath;
import org.liaison.protocol.tlog.TileStore;
import org.liaison.protocol.tlog.TiledTree;

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
        List<byte[]> notes;
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.CHECKPOINTS), StandardOpenOption.READ)) {
            try {
                notes = AuditLogReader.records(ch, false);
            } catch (IOException e) {
                // A crash while writing a checkpoint leaves this too, until the node's next start; copy again after it.
                notes = null;
                problems.add("checkpoints: " + e.getMessage() + ": a checkpoint was cut short or a record length changed");
            }
            if (notes == null) {
                notes = AuditLogReader.records(ch, true);
            }
        }
        // The sizes whose roots are needed, taken as the entries stream past them: memory stays small at any size.
        List<Object> cps = new ArrayList<>();
        java.util.Set<Long> sizes = new java.util.HashSet<>();
        for (byte[] n : notes) {
            cps.add(parse(new String(n, StandardCharsets.UTF_8), verifierKey));
        }
        List<Object> helds = new ArrayList<>();
        for (String h : held) {
            helds.add(parse(h, verifierKey));
        }
        for (Object c : concat(cps, helds)) {
            if (c instanceof Checkpoint cp) {
                sizes.add(cp.size());
            }
        }
        TileState state = null;
        if (java.nio.file.Files.exists(dir.resolve(TileState.FILE))) {
            try {
                state = TileState.read(dir);
                sizes.add(state.size());
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        Tiles tiles = new Tiles(dir, state, problems);
        java.util.Map<Long, byte[]> roots = new java.util.HashMap<>();
        TiledTree leaves = new TiledTree(TileStore.NONE, 1);
        boolean[] stopped = {false};
        long end;
        long fileSize;
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.READ)) {
            fileSize = ch.size();
            end = AuditLogReader.forEach(ch, 0, (pos, r) -> {
                long i = leaves.size();
                if (sizes.contains(i)) {
                    roots.put(i, leaves.root(i));
                }
                tiles.at(leaves, pos, true);
                leaves.append(Merkle.leafHash(r));
                tiles.compare(leaves);
                try {
                    JsonNode n = JSON.readTree(r);
                    if (n == null || !n.isObject() || n.path("index").asLong(-1) != i) {
                        problems.add("entry " + i + ": its index field says " + (n == null ? "nothing" : n.path("index").asText())
                                + " (an entry was inserted, removed or moved before it)");
                        stopped[0] = true;
                    }
                } catch (IOException e) {
                    problems.add("entry " + i + ": not a JSON object (changed bytes)");
                    stopped[0] = true;
                }
                return !stopped[0];
            });
        }
        if (!stopped[0] && end < fileSize) {
            problems.add(0, "entries: incomplete record at byte " + end + " (after entry " + (leaves.size() - 1) + ")");
        }
        if (sizes.contains(leaves.size())) {
            roots.put(leaves.size(), leaves.root(leaves.size()));
        }
        if (!stopped[0]) {
            tiles.at(leaves, end, false);
        }
        long previous = 0;
        long verified = 0;
        for (int k = 0; k < cps.size(); k++) {
            if (!(cps.get(k) instanceof Checkpoint c)) {
                problems.add("checkpoint #" + k + ": " + cps.get(k));
                continue;
            }
            if (c.size() < previous) {
                problems.add("checkpoint #" + k + " goes back from size " + previous + " to " + c.size());
            }
            if (c.size() > leaves.size()) {
                problems.add("checkpoint #" + k + " covers " + c.size() + " entries but the log holds " + leaves.size()
                        + ": entries were removed");
            } else if (!MessageDigest.isEqual(roots.get(c.size()), c.rootHash())) {
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
        for (int h = 0; h < helds.size(); h++) {
            if (!(helds.get(h) instanceof Checkpoint c)) {
                problems.add("held checkpoint #" + h + " is not a checkpoint of this log's key: " + helds.get(h));
                continue;
            }
            if (c.size() > leaves.size()) {
                problems.add("held checkpoint #" + h + " covers " + c.size() + " entries but the log holds " + leaves.size()
                        + ": the log was rolled back");
            } else if (!MessageDigest.isEqual(roots.get(c.size()), c.rootHash())) {
                problems.add("held checkpoint #" + h + " (size " + c.size() + ") does not match the log's first " + c.size()
                        + " entries: the history was rewritten (a fork)");
            }
        }
        tiles.finish(leaves, roots, verifierKey, notes);
        return new Report(leaves.size(), notes.size(), verified, problems);
    }

    /** The checkpoint of a signed note under the key, or the reason it is not one (a String). */
    private static Object parse(String note, String verifierKey) {
        try {
            return Checkpoint.parse(SignedNote.open(note, verifierKey));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static List<Object> concat(List<Object> a, List<Object> b) {
        List<Object> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * The tiles, index and state a node keeps beside the entries (none in a pulled copy or a log of the
     * earlier format), compared with what the entries give as they stream past: each full tile, where
     * each run of 256 entries starts, the state's right edge and checkpoint.
     */
    private static final class Tiles {
        private static final int MAX_REPORTED = 20;
        private final TileFiles files;
        private final TileState state;
        private final List<String> problems;
        private final FileChannel index;
        private int reported;

        Tiles(Path dir, TileState state, List<String> problems) throws IOException {
            this.files = new TileFiles(dir);
            this.state = state;
            this.problems = problems;
            this.index = state != null && java.nio.file.Files.exists(dir.resolve(FileAuditLog.INDEX))
                    ? FileChannel.open(dir.resolve(FileAuditLog.INDEX), StandardOpenOption.READ) : null;
        }

        private void report(String p) {
            if (reported++ < MAX_REPORTED) {
                problems.add(p);
            } else if (reported == MAX_REPORTED + 1) {
                problems.add("(more tile problems not listed)");
            }
        }

        /** Entry {@code leaves.size()} starts (or, not {@code entry}, the entries end) at {@code pos}: as the index and the state say? */
        void at(TiledTree leaves, long pos, boolean entry) throws IOException {
            if (state == null) {
                return;
            }
            long i = leaves.size();
            if (i == state.size()) {
                if (pos != state.entriesOffset()) {
                    report(TileState.FILE + ": says entry " + i + " starts at byte " + state.entriesOffset() + ", not " + pos);
                }
                List<byte[]> edge = leaves.edgeAt(i);
                boolean same = edge.size() == state.edge().size();
                for (int l = 0; same && l < edge.size(); l++) {
                    same = java.util.Arrays.equals(edge.get(l), state.edge().get(l));
                }
                if (!same) {
                    report(TileState.FILE + ": its right edge (size " + i + ") does not match the entries");
                }
            }
            if (entry && index != null && i > 0 && i % 256 == 0 && i <= state.size()) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
                index.read(b, (i / 256) * 8);
                if (b.position() < 8 || b.getLong(0) != pos) {
                    report(FileAuditLog.INDEX + ": the run from entry " + i + " starts at byte " + pos + ", not where the index says");
                }
            }
        }

        /** Each tile the entries complete: the same as the file (which must exist up to the state's size). */
        void compare(TiledTree leaves) throws IOException {
            if (leaves.pendingCount() == 0) {
                return;
            }
            java.util.Map<TilePath.Tile, byte[]> done = leaves.pending();
            leaves.taken(done.keySet());
            if (state == null) {
                return;
            }
            for (var t : done.entrySet()) {
                byte[] file = files.read(t.getKey().level(), t.getKey().index());
                if (file == null) {
                    long endIndex = (t.getKey().index() + 1) << (8 * (t.getKey().level() + 1));
                    if (endIndex <= state.size()) {
                        report(t.getKey().path() + " is missing (the tile state covers it)");
                    }
                } else if (!java.util.Arrays.equals(file, t.getValue())) {
                    report(t.getKey().path() + " does not match the entries");
                }
            }
        }

        void finish(TiledTree leaves, java.util.Map<Long, byte[]> roots, String verifierKey, List<byte[]> notes)
                throws IOException {
            if (index != null) {
                index.close();
            }
            if (state == null) {
                return;
            }
            if (state.size() > leaves.size()) {
                report(TileState.FILE + ": covers " + state.size() + " entries but the log holds " + leaves.size());
                return;
            }
            if (state.note() != null) {
                Object c = parse(state.note(), verifierKey);
                if (!(c instanceof Checkpoint cp) || cp.size() != state.size() || !MessageDigest.isEqual(cp.rootHash(),
                        roots.get(state.size()))) {
                    report(TileState.FILE + ": its checkpoint is not a checkpoint of the entries' first " + state.size() + " under the key");
                }
                boolean held = notes.stream().anyMatch(n -> new String(n, StandardCharsets.UTF_8).equals(state.note()));
                if (!held) {
                    report(TileState.FILE + ": its checkpoint is not in the checkpoints file");
                }
            }
        }
    }
}
