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
 * is synced by the periodic checkpoint and at close (one lost in a crash is re-made identical). At open, an incomplete final record (a crash mid-append) is
 * truncated; nothing a signed checkpoint covers is ever truncated.
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
    private long checkpointedSize = -1;
    private volatile String latestCheckpoint;

    private FileAuditLog(Path dir, String origin, SignedNote.Signer signer) throws IOException {
        this.dir = dir;
        this.origin = origin;
        this.signer = signer;
        this.entries = FileChannel.open(dir.resolve(ENTRIES), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        this.checkpoints = FileChannel.open(dir.resolve(CHECKPOINTS), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long end = 0;
        for (byte[] e : AuditLogReader.records(entries, true)) {
            tree.append(Merkle.leafHash(e));
            end += 4 + e.length;
        }
        entries.truncate(end); // drops an incomplete final record left by a crash
        entries.position(end);
        written = end;
        flushed = end;
        List<byte[]> notes = AuditLogReader.records(checkpoints, true);
        long cend = notes.stream().mapToLong(n -> 4 + n.length).sum();
        checkpoints.truncate(cend);
        checkpoints.position(cend);
        if (!notes.isEmpty()) {
            latestCheckpoint = new String(notes.get(notes.size() - 1), java.nio.charset.StandardCharsets.UTF_8);
            checkpointedSize = Checkpoint.ofNote(latestCheckpoint).size();
            if (checkpointedSize > tree.size()) {
                throw new IOException("the audit log has fewer entries (" + tree.size() + ") than its last signed checkpoint ("
                        + checkpointedSize + "): entries were removed; refusing to continue");
            }
        }
    }

    /** Opens (or creates) the log in {@code dir}, checkpointing every {@code every} while events flow. */
    public static FileAuditLog open(Path dir, String origin, Duration every) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        Path keyFile = dir.resolve(KEY);
        byte[] seed;
        byte[] pub;
        if (Files.exists(keyFile)) {
            byte[] k = Files.readAllBytes(keyFile);
            seed = Arrays.copyOfRange(k, 0, 32);
            pub = Arrays.copyOfRange(k, 32, 64);
        } else {
            seed = new byte[32];
            new java.security.SecureRandom().nextBytes(seed);
            pub = new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(seed).generatePublicKey().getEncoded();
            byte[] both = Arrays.copyOf(seed, 64);
            System.arraycopy(pub, 0, both, 32, 32);
            SecureFiles.writeNew(keyFile, both, true);
        }
        String name = origin.replaceAll("[^A-Za-z0-9._/-]", "-");
        SignedNote.Signer signer = new SignedNote.Signer(name, seed, pub);
        SecureFiles.writeAtomically(dir.resolve(VERIFIER_KEY), (signer.verifierKey() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII), false);
        FileAuditLog log = new FileAuditLog(dir, origin, signer);
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

    /** Writes the entry (not yet synced); returns its index and the file offset after it. */
    private long[] write(AuditEvent e) {
        synchronized (this) {
            long index = tree.size();
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
            byte[] bytes;
            try {
                bytes = JSON.writeValueAsBytes(o);
                ByteBuffer b = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes).flip();
                while (b.hasRemaining()) {
                    entries.write(b);
                }
            } catch (IOException x) {
                throw new IllegalStateException("cannot append to the audit log: " + x.getMessage(), x);
            }
            tree.append(Merkle.leafHash(bytes));
            written += 4 + bytes.length;
            AUDIT.info("{}", new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
            return new long[] {index, written};
        }
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
                throw new IllegalStateException("cannot fsync the audit log: " + x.getMessage(), x);
            }
            flushed = upTo;
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
            while (b.hasRemaining()) {
                checkpoints.write(b);
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
        try {
            checkpointNow();
            checkpoints.force(false);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LogManager.getLogger(FileAuditLog.class).error("cannot write an audit checkpoint: {}", e.toString());
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
