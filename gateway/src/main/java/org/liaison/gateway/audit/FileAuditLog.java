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
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;

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
 * </pre>
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
public final class FileAuditLog implements AuditLog {
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
    private final MerkleTree tree = new MerkleTree();
    private final Object checkpointLock = new Object();
    private final Object flushLock = new Object();
    private final ScheduledExecutorService checkpointer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "liaison-audit-checkpoint");
        t.setDaemon(true);
        return t;
    });
    private long written;
    private volatile long flushed;
    /** The last write or fsync failed. */
    private volatile boolean failing;
    /** A failed append left bytes that could not be removed yet. */
    private volatile boolean tailDamaged;
    private long checkpointedSize = -1;
    private volatile String latestCheckpoint;

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
        FileChannel e = null;
        FileChannel c = null;
        try {
            e = wrap.apply(FileChannel.open(dir.resolve(ENTRIES), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE));
            c = FileChannel.open(dir.resolve(CHECKPOINTS), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            this.entries = e;
            this.checkpoints = c;
            recover();
        } catch (IOException | RuntimeException x) {
            if (e != null) {
                e.close();
            }
            if (c != null) {
                c.close();
            }
            throw x;
        }
    }

    /**
     * Checks the files as found and recovers from a crash. Everything is checked before anything is
     * changed: the entries must reproduce the last signed checkpoint (its size and its root, under
     * this log's key), and what follows the last complete record must be small enough to be one
     * record cut short by a crash. Only then is such a tail dropped; otherwise the log refuses to
     * open and the files stay exactly as they were.
     */
    private void recover() throws IOException {
        List<byte[]> records = AuditLogReader.records(entries, true);
        recent = List.copyOf(records.subList(Math.max(0, records.size() - RECENT), records.size()));
        long end = 0;
        for (byte[] r : records) {
            tree.append(Merkle.leafHash(r));
            end += 4 + r.length;
        }
        List<byte[]> notes = AuditLogReader.records(checkpoints, true);
        long cend = notes.stream().mapToLong(n -> 4 + n.length).sum();
        if (!notes.isEmpty()) {
            String note = new String(notes.get(notes.size() - 1), java.nio.charset.StandardCharsets.UTF_8);
            Checkpoint last;
            try {
                last = Checkpoint.parse(SignedNote.open(note, signer.verifierKey()));
            } catch (GeneralSecurityException | IllegalArgumentException x) {
                throw damaged("its last checkpoint does not verify under the log's key (" + x.getMessage() + ")");
            }
            if (last.size() > tree.size()) {
                throw damaged("it has fewer entries (" + tree.size() + ") than its last signed checkpoint (" + last.size()
                        + "): entries were removed or damaged");
            }
            if (!java.security.MessageDigest.isEqual(tree.root(last.size()), last.rootHash())) {
                throw damaged("its first " + last.size() + " entries do not match its last signed checkpoint: the log was altered");
            }
            latestCheckpoint = note;
            checkpointedSize = last.size();
        }
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
        SecureFiles.writeAtomically(dir.resolve(VERIFIER_KEY), (signer.verifierKey() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII), false);
        log.checkpointer.scheduleWithFixedDelay(log::checkpointQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return log;
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
        org.liaison.gateway.net.EventLoops.assertOffLoop("an audit append");
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
            tree.append(Merkle.leafHash(bytes));
            written += 4 + bytes.length;
            AUDIT.info("{}", new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
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

    /** Group commit: one fsync covers every entry written before it started. */
    private void flushTo(long end) {
        if (flushed >= end) {
            return;
        }
        synchronized (flushLock) {
            if (flushed >= end) {
                return;
            }
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
            failing = false;
        }
    }

    /** Signs and stores a checkpoint of the current tree if it grew since the last one; returns the latest. */
    public String checkpointNow() throws IOException, GeneralSecurityException {
        synchronized (checkpointLock) {
            Checkpoint c;
            synchronized (this) {
                if (tree.size() == checkpointedSize) {
                    return latestCheckpoint;
                }
                c = new Checkpoint(origin, tree.size(), tree.root(tree.size()));
            }
            flushTo(currentWritten());
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

    /** RFC 9162 consistency proof between two sizes this log has had. */
    @Override
    public synchronized List<byte[]> consistencyProof(long first, long second) {
        return tree.consistencyProof(first, second);
    }

    private synchronized long currentWritten() {
        return written;
    }

    private void checkpointQuietly() {
        if (failing) {
            probe();
        }
        try {
            checkpointNow();
            checkpoints.force(false);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LogManager.getLogger(FileAuditLog.class).error("cannot write an audit checkpoint: {}", e.toString());
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
        checkpointer.shutdownNow();
        checkpointQuietly();
        try {
            entries.close();
            checkpoints.close();
        } catch (IOException e) {
            LogManager.getLogger(FileAuditLog.class).error("cannot close the audit log: {}", e.toString());
        }
    }
}
