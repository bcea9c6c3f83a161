package org.liaison.gateway.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.net.EventLoops;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.TileFiles;
import org.liaison.protocol.tlog.TilePath;
import org.liaison.protocol.tlog.TiledTree;

/**
 * The tamper-evident audit log: an append-only file of entries (each the exact JSON bytes that
 * were hashed, RFC 9162 leaves), and signed checkpoints (C2SP signed notes, Ed25519) over the
 * Merkle root, written every few seconds while events flow and at close.
 *
 * <pre>
 *   entries       records: 4-byte big-endian length ‖ JSON entry, contiguous indices from 0
 *   checkpoints   records: 4-byte big-endian length ‖ signed note
 *   log.key       the log's Ed25519 seed (owner-only)
 *   log.vkey      the verifier key to give auditors (NAME+hash+key)
 *   tile/L/N      the Merkle tree as C2SP tlog-tiles hash tiles (full tiles only, written once, synced)
 *   entries.index 8 bytes per 256 entries: where entry 256·t starts in the entries file
 *   tiles.state   the size the tiles were last made durable at: its right edge, its signed
 *                 checkpoint, where that entry and checkpoint lie in the files (see TileState)
 *   tiles.migrated what each conversion of the entries into tiles checked (appended to)
 * </pre>
 *
 * <p><b>Tiles.</b> The tree is a {@link TiledTree}: the right edge in memory, full tiles read on demand
 * through a small cache, so memory does not grow with the log. The entries file stays the entry store
 * (backups, pulls and exports read it; entry bundles would write every entry twice). Tiles, the index
 * and the state are derived from the entries and made durable in the background (every checkpoint
 * period, when enough tiles wait, and at close), never on the path of an append.
 *
 * <p><b>Opening</b> costs the same at any size: the state's edge must reproduce its signed checkpoint;
 * the last {@value #RECENT}+ entries before it must hash to the tiles, the entries written after it are
 * added, and the result must reproduce the latest signed checkpoint. A log without a state (the old
 * format, a restored backup) is converted once: every entry re-hashed into tiles, and every checkpoint
 * it holds must come out with the same root. Full verification of every entry stays an explicit
 * operation ({@code liaison audit verify}, {@link AuditLogVerifier}).
 *
 * <p><b>Durability.</b> {@link #record} returns only after its entry is fsynced; concurrent callers
 * share one fsync (group commit). {@link #append} does not wait: the next record's fsync covers it.
 * A checkpoint is signed only after the entries it covers are synced; the checkpoints file itself
 * is synced by the periodic checkpoint and at close (one lost in a crash is re-made identical).
 *
 * <p><b>Failures.</b> An append that fails (a full disk) is cut back, so the file is exactly as
 * before it, and is not acknowledged; the log takes entries again as soon as writing works, and
 * reports {@link #healthy()} false meanwhile. At open, the entries must reproduce the last signed
 * checkpoint (size and root, under the log's key) before anything is changed; only then is an
 * incomplete final record (a crash mid-append) dropped. A log that does not pass is refused and
 * left untouched ({@link AuditLogDamagedException}, saying what to do).
 */
public final class FileAuditLog implements AuditLog, AuditLog.Tree {
    private static final Logger AUDIT = LogManager.getLogger("liaison.audit");
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String ENTRIES = "entries";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String KEY = "log.key";
    public static final String VERIFIER_KEY = "log.vkey";

    private final Path dir;
    private final String origin;
    private final SignedNote.Signer signer;
    private final FileChannel entries;
    private final FileChannel checkpoints;
    private final FileChannel index;
    private final TileFiles tileFiles;
    private TiledTree tree;
    /** (tile t, offset of entry 256·t) not yet written to the index. */
    private final List<long[]> pendingIndex = new java.util.ArrayList<>();
    private final Object checkpointLock = new Object();
    private final Object persistLock = new Object();
    private final java.util.concurrent.atomic.AtomicBoolean persistQueued = new java.util.concurrent.atomic.AtomicBoolean();
    /** Whether the open converted the log (no usable tile state): the state is written before the open returns. */
    private boolean rebuilt;
    /** The size of the tile state last written (-1: none yet by this process). */
    private long persistedSize = -1;
    private final Object flushLock = new Object();
    /** The group commit's fsync in flight (ended when counted down); null when none (guarded by flushLock). */
    private java.util.concurrent.CountDownLatch syncing;
    private final ScheduledExecutorService checkpointer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "liaison-audit-checkpoint");
        t.setDaemon(true);
        return t;
    });
    private long written;
    private volatile long flushed;
    /** Fsyncs of the entries file by group commits (the benchmark prints entries per fsync). */
    final java.util.concurrent.atomic.AtomicLong syncs = new java.util.concurrent.atomic.AtomicLong();
    /** The last write or fsync failed. */
    private volatile boolean failing;
    /** A failed append left bytes that could not be removed yet. */
    private volatile boolean tailDamaged;
    private long checkpointedSize = -1;
    /** Where entry {@code checkpointedSize} starts, and where the latest checkpoint lies in its file. */
    private long checkpointedOffset;
    private long noteStart;
    private long noteEnd;
    private volatile String latestCheckpoint;
    public static final String INDEX = "entries.index";
    public static final String MIGRATED = "tiles.migrated";
    /** Full tiles kept in memory for reading (about 16 KiB each with the levels above their hashes: 16 MiB at most). */
    static final int CACHE_TILES = 1024;
    /** Completed tiles that make the background write them at once rather than at the next checkpoint period. */
    static final int PERSIST_TILES = 64;

    /** How many of the last entries are kept from the open (see {@link #recentAtOpen}). */
    static final int RECENT = 4096;
    private List<byte[]> recent = List.of();

    @Override
    public List<byte[]> recentAtOpen() {
        return recent;
    }

    /** The most an incomplete final record can be: anything longer after the last complete record is damage, not a crash. */
    static final int MAX_TAIL = 4 + (1 << 16);

    private FileAuditLog(Path dir, String origin, SignedNote.Signer signer, java.util.function.UnaryOperator<FileChannel> wrap)
            throws IOException {
        this.dir = dir;
        this.origin = origin;
        this.signer = signer;
        this.tileFiles = new TileFiles(dir);
        FileChannel e = null;
        FileChannel c = null;
        FileChannel i = null;
        try {
            e = wrap.apply(FileChannel.open(dir.resolve(ENTRIES), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE));
            c = FileChannel.open(dir.resolve(CHECKPOINTS), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            i = FileChannel.open(dir.resolve(INDEX), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            this.entries = e;
            this.checkpoints = c;
            this.index = i;
            recover();
        } catch (IOException | RuntimeException x) {
            for (FileChannel ch : new FileChannel[] {e, c, i}) {
                if (ch != null) {
                    ch.close();
                }
            }
            throw x;
        }
    }

    /** A derived file (a tile, the index, the state) that cannot be used: the log is converted again from its entries. */
    private static final class Rebuild extends Exception {
        Rebuild(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * Checks the files as found and recovers from a crash. Everything is checked before anything is
     * changed: the entries must reproduce the last signed checkpoint (its size and its root, under
     * this log's key), and what follows the last complete record must be small enough to be one
     * record cut short by a crash. Only then is such a tail dropped; otherwise the log refuses to
     * open and the entries and checkpoints stay exactly as they were. With a tile state this reads
     * the state, the last few thousand entries and what was written after the state, whatever the
     * log's size; without one (or with derived files that cannot be used) it converts the log.
     */
    private void recover() throws IOException {
        TileState st = null;
        String unusable = null;
        try {
            st = TileState.read(dir);
        } catch (IOException x) {
            unusable = x.getMessage();
            LogManager.getLogger(FileAuditLog.class).warn("audit log: {}; converting the entries into tiles again", unusable);
        }
        long[] ends;
        try {
            if (st == null) {
                throw new Rebuild(Files.size(dir.resolve(ENTRIES)) == 0 && Files.size(dir.resolve(CHECKPOINTS)) == 0 ? null
                        : unusable != null ? unusable : "no tile state (a log of the earlier format, or a restored copy)");
            }
            try {
                ends = open(st);
            } catch (java.io.UncheckedIOException x) {
                throw new Rebuild("a tile cannot be used (" + x.getCause().getMessage() + ")");
            }
        } catch (Rebuild r) {
            if (r.getMessage() != null && st != null) {
                LogManager.getLogger(FileAuditLog.class).warn("audit log: {}; converting the entries into tiles again", r.getMessage());
            }
            ends = rebuild(r.getMessage());
        }
        long end = ends[0];
        long cend = ends[1];
        long tail = entries.size() - end;
        if (tail > MAX_TAIL) {
            throw damaged(tail + " bytes after entry " + (tree.size() - 1) + " are not a record");
        }
        if (checkpoints.size() - cend > MAX_TAIL) {
            throw damaged("the checkpoints file has " + (checkpoints.size() - cend) + " bytes after its last checkpoint that are not one");
        }
        if (tail > 0) {
            LogManager.getLogger(FileAuditLog.class).warn("audit log: dropped an incomplete final record ({} bytes) left by a crash", tail);
            entries.truncate(end); // never acknowledged: a record is acknowledged only once complete and synced
            entries.force(true);
        }
        entries.position(end);
        written = end;
        flushed = end;
        if (checkpoints.size() > cend) {
            checkpoints.truncate(cend); // an unsynced checkpoint cut short: re-made identical when needed
        }
        checkpoints.position(cend);
    }

    /** A checkpoint record: the note and where it lies in the checkpoints file. */
    private record Note(String text, long start, long end) {}

    /** The checkpoint records from byte {@code from} of the checkpoints file. */
    private List<Note> notes(long from) throws IOException {
        List<Note> out = new java.util.ArrayList<>();
        AuditLogReader.forEach(checkpoints, from, (at, r) -> out.add(new Note(new String(r, java.nio.charset.StandardCharsets.UTF_8), at,
                at + 4 + r.length)));
        return out;
    }

    private Checkpoint verified(String note, String which) throws IOException {
        try {
            return Checkpoint.parse(SignedNote.open(note, signer.verifierKey()));
        } catch (GeneralSecurityException | IllegalArgumentException x) {
            throw damaged(which + " does not verify under the log's key (" + x.getMessage() + ")");
        }
    }

    /** The open from a tile state; returns the ends of the last complete entry and checkpoint records. */
    private long[] open(TileState st) throws IOException, Rebuild {
        if (st.note() != null) {
            Checkpoint sc = verified(st.note(), "the checkpoint in its tile state");
            if (sc.size() != st.size()) {
                throw damaged("its tile state is for size " + st.size() + " but holds a checkpoint of size " + sc.size());
            }
            try {
                tree = TiledTree.fromEdge(st.size(), st.edge(), tileFiles, CACHE_TILES);
            } catch (IllegalArgumentException x) {
                throw damaged("its tile state is not the right edge of a tree of " + st.size() + " entries (" + x.getMessage() + ")");
            }
            if (!java.security.MessageDigest.isEqual(tree.root(st.size()), sc.rootHash())) {
                throw damaged("its tiles do not reproduce its checkpoint of size " + st.size() + ": the log was altered");
            }
        } else {
            tree = new TiledTree(tileFiles, CACHE_TILES);
        }
        if (entries.size() < st.entriesOffset()) {
            throw damaged("it has fewer entries than its last signed checkpoint (" + st.size() + "): entries were removed or damaged");
        }
        if (checkpoints.size() < st.noteEnd()) {
            throw damaged("its checkpoints file ends before the checkpoint of size " + st.size() + " it held: checkpoints were removed");
        }
        // The latest checkpoint: read from the one the state holds on (later ones were written after it).
        List<Note> notes = notes(st.noteStart());
        if (st.note() != null && (notes.isEmpty() || !notes.get(0).text().equals(st.note()) || notes.get(0).end() != st.noteEnd())) {
            throw damaged("its checkpoints file does not hold the checkpoint of size " + st.size() + " where it was written:"
                    + " checkpoints were changed");
        }
        long cend = notes.isEmpty() ? st.noteStart() : notes.get(notes.size() - 1).end();
        Note latest = notes.isEmpty() ? null : notes.get(notes.size() - 1);
        Checkpoint last = latest == null ? null : verified(latest.text(), "its last checkpoint");
        if (last != null && last.size() < st.size()) {
            throw damaged("its last checkpoint (size " + last.size() + ") goes back from the one of size " + st.size() + " before it");
        }
        // The last entries before the state must be the ones the tiles hold; the ones after it are added.
        long first = (Math.max(0, st.size() - RECENT) / TilePath.WIDTH) * TilePath.WIDTH;
        long from;
        try {
            from = first == 0 ? 0 : indexAt(first / TilePath.WIDTH);
        } catch (IOException x) {
            throw new Rebuild("the entries index cannot be read (" + x.getMessage() + ")");
        }
        java.util.ArrayDeque<byte[]> ring = new java.util.ArrayDeque<>();
        long[] at = {first, -1};
        long end;
        try {
            end = AuditLogReader.forEach(entries, from, (pos, r) -> {
                long i = at[0];
                if (i < st.size()) {
                    if (!java.security.MessageDigest.isEqual(Merkle.leafHash(r), tree.leafHash(i))) {
                        if (i == first) {
                            throw new IOException(new Rebuild("the entries index does not point at entry " + first));
                        }
                        throw damaged("entry " + i + " is not the one its tiles hold: the log was altered");
                    }
                } else {
                    if (i == st.size() && pos != st.entriesOffset()) {
                        throw damaged("entry " + i + " is not where its tile state says: entries were removed, added or changed");
                    }
                    appendLeaf(i, pos, r);
                }
                if (last != null && i == last.size()) {
                    at[1] = pos;
                }
                ring.addLast(r);
                if (ring.size() > RECENT) {
                    ring.removeFirst();
                }
                at[0] = i + 1;
                return true;
            });
        } catch (java.io.UncheckedIOException x) {
            throw new Rebuild("a tile cannot be used (" + x.getCause().getMessage() + ")");
        } catch (IOException x) {
            if (x.getCause() instanceof Rebuild r) {
                throw r;
            }
            throw x;
        }
        if (at[0] < st.size() || (at[0] == st.size() && end != st.entriesOffset())) {
            throw damaged("it has fewer entries (" + at[0] + ") than its last signed checkpoint (" + st.size()
                    + "): entries were removed or damaged");
        }
        recent = List.copyOf(ring);
        if (last != null) {
            if (last.size() > tree.size()) {
                throw damaged("it has fewer entries (" + tree.size() + ") than its last signed checkpoint (" + last.size()
                        + "): entries were removed or damaged");
            }
            if (!java.security.MessageDigest.isEqual(tree.root(last.size()), last.rootHash())) {
                throw damaged("its first " + last.size() + " entries do not match its last signed checkpoint: the log was altered");
            }
            latestCheckpoint = latest.text();
            checkpointedSize = last.size();
            checkpointedOffset = last.size() == tree.size() ? end : at[1];
            noteStart = latest.start();
            noteEnd = latest.end();
        }
        return new long[] {end, cend};
    }

    /**
     * Converts the entries into tiles (a log of the earlier format, or one whose derived files are
     * lost): every entry re-hashed, and every checkpoint held must come out with the same root.
     */
    private long[] rebuild(String why) throws IOException {
        pendingIndex.clear();
        recent = List.of();
        List<Note> notes = notes(0);
        java.util.TreeMap<Long, List<Integer>> at = new java.util.TreeMap<>();
        List<Checkpoint> cps = new java.util.ArrayList<>();
        for (int k = 0; k < notes.size(); k++) {
            Checkpoint c = verified(notes.get(k).text(), k == notes.size() - 1 ? "its last checkpoint" : "its checkpoint #" + k);
            cps.add(c);
            at.computeIfAbsent(c.size(), x -> new java.util.ArrayList<>()).add(k);
        }
        tree = new TiledTree(tileFiles, CACHE_TILES);
        java.util.ArrayDeque<byte[]> ring = new java.util.ArrayDeque<>();
        long[] offsetAtLast = {0};
        long lastSize = cps.isEmpty() ? -1 : cps.get(cps.size() - 1).size();
        long end = AuditLogReader.forEach(entries, 0, (pos, r) -> {
            checkRoots(at, cps);
            if (tree.size() == lastSize) {
                offsetAtLast[0] = pos;
            }
            appendLeaf(tree.size(), pos, r);
            ring.addLast(r);
            if (ring.size() > RECENT) {
                ring.removeFirst();
            }
            if (tree.pendingCount() >= 16 * PERSIST_TILES) {
                writeTiles(); // keeps the memory bounded; nothing relies on them until the state is written
            }
            return true;
        });
        checkRoots(at, cps);
        if (!at.isEmpty()) {
            long beyond = at.lastKey();
            throw damaged("it has fewer entries (" + tree.size() + ") than its " + (at.get(beyond).contains(cps.size() - 1) ? "last " : "")
                    + "signed checkpoint (" + beyond + "): entries were removed or damaged");
        }
        if (tree.size() == lastSize) {
            offsetAtLast[0] = end;
        }
        recent = List.copyOf(ring);
        if (!notes.isEmpty()) {
            Note latest = notes.get(notes.size() - 1);
            latestCheckpoint = latest.text();
            checkpointedSize = lastSize;
            checkpointedOffset = offsetAtLast[0];
            noteStart = latest.start();
            noteEnd = latest.end();
        }
        rebuilt = true;
        if (why != null) {
            String record = java.time.Instant.now() + " converted into tiles (" + why + "): " + tree.size() + " entries re-hashed; "
                    + cps.size() + " signed checkpoint(s) held, every one reproduced by the tiles" + (cps.isEmpty() ? "" : " (sizes "
                    + cps.get(0).size() + " to " + lastSize + ", latest root " + java.util.HexFormat.of().formatHex(
                            cps.get(cps.size() - 1).rootHash()) + ")") + "\n";
            Files.writeString(dir.resolve(MIGRATED), record, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            LogManager.getLogger(FileAuditLog.class).warn("audit log: {}", record.strip());
        }
        return new long[] {end, notes.isEmpty() ? 0 : notes.get(notes.size() - 1).end()};
    }

    /** During a conversion: the checkpoints of the tree's current size must have its root (found, they are done). */
    private void checkRoots(java.util.TreeMap<Long, List<Integer>> at, List<Checkpoint> cps) throws IOException {
        List<Integer> due = at.remove(tree.size());
        if (due == null) {
            return;
        }
        byte[] root = tree.root(tree.size());
        for (int k : due) {
            if (!java.security.MessageDigest.isEqual(root, cps.get(k).rootHash())) {
                throw damaged(k == cps.size() - 1 ? "its first " + tree.size() + " entries do not match its last signed checkpoint: the"
                        + " log was altered" : "its first " + tree.size() + " entries do not match its signed checkpoint #" + k
                        + ": the log was altered");
            }
        }
    }

    /** Adds entry {@code i} (at {@code pos} in the entries file) to the tree; notes where each run of 256 starts. */
    private void appendLeaf(long i, long pos, byte[] bytes) {
        tree.append(Merkle.leafHash(bytes));
        if (i % TilePath.WIDTH == 0) {
            pendingIndex.add(new long[] {i / TilePath.WIDTH, pos});
        }
    }

    /** Where entry 256·{@code t} starts in the entries file, from the index. */
    private long indexAt(long t) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        while (b.hasRemaining()) {
            if (index.read(b, t * 8 + b.position()) < 0) {
                throw new IOException("the index ends before run " + t);
            }
        }
        long offset = b.flip().getLong();
        if (offset <= 0 || offset > entries.size()) {
            throw new IOException("the index says run " + t + " starts at byte " + offset);
        }
        return offset;
    }

    /**
     * Writes the completed tiles and the index entries that wait, durably, and lets the tree read them
     * from the files from then on. Not on an append's path.
     */
    private void writeTiles() throws IOException {
        java.util.Map<TilePath.Tile, byte[]> tiles;
        List<long[]> idx;
        synchronized (this) {
            tiles = tree.pending();
            idx = new java.util.ArrayList<>(pendingIndex);
        }
        tileFiles.write(tiles);
        for (long[] e : idx) {
            ByteBuffer b = ByteBuffer.allocate(8).putLong(0, e[1]);
            while (b.hasRemaining()) {
                index.write(b, e[0] * 8 + b.position());
            }
        }
        index.force(false);
        synchronized (this) {
            tree.taken(tiles.keySet());
            pendingIndex.removeAll(idx);
        }
    }

    /**
     * Makes the tiles durable up to the latest checkpoint and writes the state that lets the next open
     * start there ({@code sign}: first signs a checkpoint of the current size, as the periodic
     * checkpoint does).
     */
    void persist(boolean sign) throws IOException, GeneralSecurityException {
        synchronized (persistLock) {
            if (sign || (latestCheckpoint == null && size() > 0)) {
                checkpointNow();
            }
            TileState st;
            synchronized (this) {
                st = latestCheckpoint == null ? new TileState(0, 0, 0, 0, List.of(), null)
                        : new TileState(checkpointedSize, checkpointedOffset, noteStart, noteEnd, tree.edgeAt(checkpointedSize),
                                latestCheckpoint);
            }
            boolean unchanged;
            synchronized (this) {
                unchanged = st.size() == persistedSize && tree.pendingCount() == 0 && pendingIndex.isEmpty();
            }
            if (unchanged) {
                return;
            }
            checkpoints.force(false);
            writeTiles();
            st.write(dir);
            persistedSize = st.size();
        }
    }

    private IOException damaged(String what) {
        return new AuditLogDamagedException("the audit log in " + dir + " cannot be opened: " + what + ". Nothing was changed."
                + " Keep the folder as evidence: check it with 'liaison audit verify " + dir + " --key \"$(cat " + dir.resolve(VERIFIER_KEY)
                + ")\"', then restore it from a backup, or move it aside to start a new log (the README's audit section says how)");
    }

    /** An audit log that does not open as it was left: refused, untouched. */
    public static final class AuditLogDamagedException extends IOException {
        AuditLogDamagedException(String message) {
            super(message);
        }
    }

    /**
     * An append or fsync that failed (a full disk, an I/O error). The entry was not recorded and the
     * file is as it was before the attempt; the log takes entries again once writing works.
     */
    public static final class AuditWriteException extends IllegalStateException {
        AuditWriteException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Opens (or creates) the log in {@code dir}, checkpointing every {@code every} while events flow. */
    public static FileAuditLog open(Path dir, String origin, Duration every) throws IOException, GeneralSecurityException {
        return open(dir, origin, every, ch -> ch);
    }

    /**
     * As {@link #open(Path, String, Duration)}, with the log's signing key in {@code keyFile} (made by
     * {@link #createKey}) rather than {@code dir/log.key}: kept with the node's other keys, and listed
     * in the directory.
     */
    public static FileAuditLog open(Path dir, String origin, Duration every, Path keyFile) throws IOException, GeneralSecurityException {
        if (!Files.exists(keyFile)) {
            throw new AuditLogDamagedException("the audit log key " + keyFile + " does not exist. Nothing was changed. Restore it"
                    + " from the backup of the node's keys; a new key would start a log nobody can link to this one");
        }
        return open(dir, origin, every, ch -> ch, keyFile);
    }

    /** The verifier key of the signing key in {@code keyFile} (as {@link #createKey} wrote it), without opening a log. */
    public static String verifierKeyOf(Path keyFile, String origin) throws IOException {
        return signer(keyFile, origin).verifierKey();
    }

    /** The signer of the key in {@code keyFile} (seed ‖ public key, as {@link #createKey} wrote it). */
    static SignedNote.Signer signer(Path keyFile, String origin) throws IOException {
        String name = origin.replaceAll("[^A-Za-z0-9._/-]", "-");
        byte[] k = Files.readAllBytes(keyFile);
        try {
            // The file holds seed ‖ public key; the key is derived from the seed and must agree.
            if (k.length != 64) {
                throw new IllegalArgumentException(k.length + " bytes (expected 64: the seed and the public key)");
            }
            return new SignedNote.Signer(name, Arrays.copyOfRange(k, 0, 32), Arrays.copyOfRange(k, 32, 64));
        } catch (IllegalArgumentException x) {
            throw new AuditLogDamagedException("the audit log key " + keyFile + " is not a valid log key: " + x.getMessage()
                    + ". Nothing was changed. Restore it from a backup; a new key would start a log nobody can link to this one");
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** Makes a new log signing key in {@code keyFile} (owner-only, not overwritten); returns its verifier key. */
    public static String createKey(Path keyFile, String origin) throws IOException {
        String name = origin.replaceAll("[^A-Za-z0-9._/-]", "-");
        byte[] seed = new byte[32];
        new java.security.SecureRandom().nextBytes(seed);
        SignedNote.Signer signer = SignedNote.Signer.of(name, seed);
        byte[] both = Arrays.copyOf(seed, 64);
        System.arraycopy(signer.publicKey(), 0, both, 32, 32);
        try {
            SecureFiles.writeNew(keyFile, both, true);
        } finally {
            Arrays.fill(both, (byte) 0);
            Arrays.fill(seed, (byte) 0);
        }
        return signer.verifierKey();
    }

    /** As {@link #open(Path, String, Duration)}, with the entries channel wrapped (tests inject I/O failures). */
    static FileAuditLog open(Path dir, String origin, Duration every, java.util.function.UnaryOperator<FileChannel> wrap)
            throws IOException, GeneralSecurityException {
        return open(dir, origin, every, wrap, dir.resolve(KEY));
    }

    private static FileAuditLog open(Path dir, String origin, Duration every, java.util.function.UnaryOperator<FileChannel> wrap,
            Path keyFile) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        if (!Files.exists(keyFile)) {
            createKey(keyFile, origin);
        }
        SignedNote.Signer signer = signer(keyFile, origin);
        FileAuditLog log = new FileAuditLog(dir, origin, signer, wrap);
        if (log.rebuilt) {
            try {
                log.persist(false);
            } catch (IOException | GeneralSecurityException | RuntimeException x) {
                log.close();
                throw x;
            }
        }
        SecureFiles.writeAtomically(dir.resolve(VERIFIER_KEY), (signer.verifierKey() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII), false);
        log.checkpointer.scheduleWithFixedDelay(log::checkpointQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return log;
    }

    @Override
    public java.util.Optional<AuditLog.Tree> tree() {
        return java.util.Optional.of(this);
    }

    @Override
    public String verifierKey() {
        return signer.verifierKey();
    }

    public synchronized long size() {
        return tree.size();
    }

    @Override
    public long record(AuditEvent e) {
        long[] at = write(e);
        flushTo(at[1]);
        return at[0];
    }

    @Override
    public long append(AuditEvent e) {
        return write(e)[0];
    }

    /** The exact bytes of entry {@code index} (the JSON object that is hashed as a Merkle leaf). */
    static byte[] entryBytes(long index, AuditEvent e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("index", index);
        o.put("time", e.time().toString());
        o.put("type", e.type());
        o.put("actor", e.actor());
        o.put("messageId", e.messageId());
        o.put("counterpart", e.counterpart());
        o.put("outcome", e.outcome());
        o.put("reason", e.reason());
        e.details().forEach(o::put);
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException x) {
            throw new IllegalStateException("cannot write an audit entry: " + x.getMessage(), x);
        }
    }

    /** Writes the entry (not yet synced); returns its index and the file offset after it. */
    private long[] write(AuditEvent e) {
        EventLoops.assertOffLoop("an audit append");
        synchronized (this) {
            long index = tree.size();
            byte[] bytes = entryBytes(index, e);
            repairTail();
            try {
                ByteBuffer b = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip();
                while (b.hasRemaining()) {
                    entries.write(b);
                }
            } catch (IOException x) {
                failing = true;
                cutBack();
                throw new AuditWriteException("cannot append to the audit log: " + x.getMessage(), x);
            }
            appendLeaf(index, written, bytes);
            written += 4 + bytes.length;
            AUDIT.info("{}", new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
            if (tree.pendingCount() >= PERSIST_TILES && persistQueued.compareAndSet(false, true)) {
                try {
                    checkpointer.execute(() -> {
                        persistQueued.set(false);
                        checkpointQuietly();
                    });
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    persistQueued.set(false); // close writes them
                }
            }
            return new long[] {index, written};
        }
    }

    /**
     * Removes the bytes of a failed append, so that the file ends with the last complete record. If
     * that fails too, the log takes no entry until it succeeds (see {@link #repairTail}).
     */
    private void cutBack() {
        try {
            entries.truncate(written);
            entries.position(written);
            tailDamaged = false;
        } catch (IOException | RuntimeException y) {
            tailDamaged = true;
            LogManager.getLogger(FileAuditLog.class).error("audit log: cannot remove a failed append ({}); no entry is taken until"
                    + " it can", y.toString());
        }
    }

    /** Before an append: a failed append whose bytes could not be removed is removed now, or the append is refused. */
    private void repairTail() {
        if (tailDamaged) {
            cutBack();
            if (tailDamaged) {
                throw new AuditWriteException("cannot append to the audit log: a failed append could not be removed yet", null);
            }
        }
    }

    /** Whether the last attempt to write worked: false while the disk is full or failing. */
    @Override
    public boolean healthy() {
        return !failing && !tailDamaged;
    }

    /**
     * Group commit: one fsync covers every entry written before it started. One caller at a time
     * syncs (the leader); the others wait for the sync in flight to end (released all at once, without
     * taking a lock one by one: a convoy on a lock let fresh appends barge in and sync 2 entries each),
     * and return if it covered them, or lead the next one.
     */
    private void flushTo(long end) {
        boolean interrupted = false;
        try {
            while (flushed < end) {
                java.util.concurrent.CountDownLatch inFlight;
                synchronized (flushLock) {
                    if (flushed >= end) {
                        return;
                    }
                    inFlight = syncing;
                    if (inFlight == null) {
                        syncing = new java.util.concurrent.CountDownLatch(1);
                    }
                }
                if (inFlight == null) {
                    sync();
                    return;
                }
                try {
                    inFlight.await();
                } catch (InterruptedException x) {
                    interrupted = true; // an acknowledged append must be durable: keep waiting
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The leader's sync of everything written so far; then wakes every caller waiting for it. */
    private void sync() {
        try {
            long upTo;
            synchronized (this) {
                upTo = written;
            }
            try {
                entries.force(false);
            } catch (IOException x) {
                failing = true;
                throw new AuditWriteException("cannot fsync the audit log: " + x.getMessage(), x);
            }
            flushed = upTo;
            syncs.incrementAndGet();
            failing = false;
        } finally {
            java.util.concurrent.CountDownLatch done;
            synchronized (flushLock) {
                done = syncing;
                syncing = null;
            }
            done.countDown();
        }
    }

    /** Signs and stores a checkpoint of the current tree if it grew since the last one; returns the latest. */
    public String checkpointNow() throws IOException, GeneralSecurityException {
        synchronized (checkpointLock) {
            Checkpoint c;
            long offset;
            synchronized (this) {
                if (tree.size() == checkpointedSize) {
                    return latestCheckpoint;
                }
                c = new Checkpoint(origin, tree.size(), tree.root(tree.size()));
                offset = written;
            }
            flushTo(offset);
            String note = SignedNote.sign(c.text(), signer);
            byte[] bytes = note.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip();
            long before = checkpoints.position();
            try {
                while (b.hasRemaining()) {
                    checkpoints.write(b);
                }
            } catch (IOException x) {
                failing = true;
                checkpoints.truncate(before); // no checkpoint cut short stays in the file
                checkpoints.position(before);
                throw x;
            }
            // No fsync here: the entries it covers are on disk already, and Ed25519 is deterministic,
            // so a checkpoint lost in a crash is re-made identical. The periodic checkpoint and close sync.
            synchronized (this) {
                checkpointedSize = c.size();
                checkpointedOffset = offset;
                noteStart = before;
                noteEnd = checkpoints.position();
                latestCheckpoint = note;
            }
            return note;
        }
    }

    /**
     * A signed checkpoint that covers entry {@code index}: the latest if it does, else a new one.
     * Concurrent callers share one signature, like they share one fsync.
     */
    @Override
    public String checkpointCovering(long index) {
        synchronized (this) {
            if (checkpointedSize > index) {
                return latestCheckpoint;
            }
        }
        try {
            return checkpointNow();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write an audit checkpoint: " + e.getMessage(), e);
        }
    }

    @Override
    public Snapshot snapshot() {
        long checkpointBytes;
        synchronized (checkpointLock) {
            try {
                checkpointBytes = checkpoints.position();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the audit checkpoints: " + e.getMessage(), e);
            }
        }
        // Read after the checkpoints: every checkpoint was written after the entries it covers were synced.
        long entryBytes = flushed;
        return new Snapshot(signer.verifierKey(), dir.resolve(CHECKPOINTS), checkpointBytes, dir.resolve(ENTRIES), entryBytes);
    }

    /** RFC 9162 consistency proof between two sizes this log has had (read from its tiles). */
    @Override
    public synchronized List<byte[]> consistencyProof(long first, long second) {
        return tree.consistencyProof(first, second);
    }

    /** RFC 9162 inclusion proof of entry {@code index} in the tree of the first {@code size} entries (read from its tiles). */
    public synchronized List<byte[]> inclusionProof(long index, long size) {
        return tree.inclusionProof(index, size);
    }

    /** The Merkle root of the first {@code size} entries. */
    public synchronized byte[] root(long size) {
        return tree.root(size);
    }

    /**
     * The C2SP entry bundle {@code index}, its first {@code width} entries (256: full): each entry as a
     * big-endian uint16 length and the bytes hashed. Read from the entries file (the entry store)
     * through the index, so entries are not written twice.
     */
    public byte[] entryBundle(long index, int width) throws IOException {
        new TilePath.Tile(-1, index, width); // checks the ranges
        long from;
        synchronized (this) {
            if (index * TilePath.WIDTH + width > tree.size()) {
                throw new IllegalArgumentException("entry bundle " + TilePath.entries(index, width) + " is beyond a log of " + tree.size()
                        + " entries");
            }
            long[] pending = pendingIndex.stream().filter(e -> e[0] == index).findFirst().orElse(null);
            from = index == 0 ? 0 : pending != null ? pending[1] : indexAt(index);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int[] n = {0};
        AuditLogReader.forEach(entries, from, (pos, r) -> {
            if (r.length > 0xffff) {
                throw new IOException("entry " + (index * TilePath.WIDTH + n[0]) + " has " + r.length + " bytes, more than an entry bundle holds");
            }
            out.write(r.length >> 8);
            out.write(r.length & 0xff);
            out.write(r);
            return ++n[0] < width;
        });
        if (n[0] != width) {
            throw new IOException("the entries file ends before entry bundle " + TilePath.entries(index, width));
        }
        return out.toByteArray();
    }

    /** Entry {@code index}'s bytes, read from the entries file through the index (its entry bundle, up to 256 entries). */
    @Override
    public byte[] entry(long index) {
        long bundle = index / TilePath.WIDTH;
        int at = (int) (index % TilePath.WIDTH);
        long size;
        synchronized (this) {
            size = tree.size();
        }
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("no entry " + index + " in a log of " + size + " entries");
        }
        int width = (int) Math.min(TilePath.WIDTH, size - bundle * TilePath.WIDTH);
        try {
            byte[] b = entryBundle(bundle, width);
            int pos = 0;
            for (int i = 0; ; i++) {
                int len = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
                if (i == at) {
                    return java.util.Arrays.copyOfRange(b, pos + 2, pos + 2 + len);
                }
                pos += 2 + len;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read audit entry " + index + ": " + e.getMessage(), e);
        }
    }

    /** The C2SP hash tile {@code level}/{@code index}, its first {@code width} hashes (256: full), for serving. */
    public synchronized byte[] tile(int level, long index, int width) {
        return tree.tile(level, index, width);
    }

    private void checkpointQuietly() {
        if (failing) {
            probe();
        }
        try {
            persist(true);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LogManager.getLogger(FileAuditLog.class).error("cannot write an audit checkpoint or its tiles: {}", e.toString());
        }
    }

    /** While writing fails: takes entries again once the failed bytes are gone and the disk has room. */
    private void probe() {
        synchronized (this) {
            if (tailDamaged) {
                cutBack();
            }
            try {
                if (!tailDamaged && Files.getFileStore(dir).getUsableSpace() > (1 << 20)) {
                    failing = false;
                    LogManager.getLogger(FileAuditLog.class).warn("audit log: writing works again");
                }
            } catch (IOException e) {
                // still failing
            }
        }
    }

    @Override
    public String checkpoint() {
        return latestCheckpoint;
    }

    @Override
    public void close() {
        // Not interrupted: an interrupt in the middle of a write would close the channels it writes.
        checkpointer.shutdown();
        try {
            checkpointer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpointQuietly();
        try {
            entries.close();
            checkpoints.close();
            index.close();
        } catch (IOException e) {
            LogManager.getLogger(FileAuditLog.class).error("cannot close the audit log: {}", e.toString());
        }
    }
}
