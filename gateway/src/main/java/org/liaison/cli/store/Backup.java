package org.liaison.cli.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.audit.AuditEntries;
import org.liaison.gateway.audit.AuditLogReader;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.evidence.TrustedTime;
import org.liaison.gateway.node.Retention;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.protocol.UntrustedText;

/**
 * A copy of a node's data folder taken while the node runs, and its restore into an empty folder.
 *
 * <p>What is copied, in this order, so that the copy is consistent: the message database through
 * SQLite's online backup (one snapshot, taken while writers continue); the payload folders
 * (inbox and outbox: each complete, since a message's folder appears in one rename, and every row
 * of the snapshot had its payloads in place before it committed); the audit log — checkpoints
 * first, whole records only, then the entries (every checkpoint was written after the entries it
 * covers were synced; a record cut at the end is dropped when the log opens); the peers' pinned
 * audit checkpoints; after the log, the evidence the node keeps with its CRL history and time-stamp tokens, and the
 * schemas its peers announced. Not copied: staging folders and partial transfers (resumable, rebuilt by the
 * sender). A {@code backup.json} lists every file with its size and SHA-256.
 *
 * <p>The copy holds the audit log's signing key and the ciphertext of the evidence (the keys that
 * open it are in the keystores, which are backed up separately): keep it as the data folder is kept.
 */
public final class Backup {
    public static final String MANIFEST = "backup.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Backup() {}

    /** What a backup or a restore did. */
    public record Summary(Path folder, int files, long bytes, long inbox, long outbox, long auditBytes) {}

    /** Copies the data folder {@code data} (of a running or a stopped node) into the new folder {@code out}. */
    public static Summary take(Path data, Path out) throws IOException {
        if (!Files.isDirectory(data.resolve("audit")) || !Files.exists(data.resolve("messages.db"))) {
            throw new IOException(data + " is not a node's data folder (no messages.db and audit/ in it)");
        }
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new IOException(out + " exists and is not empty; choose a new folder for the backup");
        }
        Files.createDirectories(out);
        restrictToOwner(out);
        // 1. The database: SQLite's online backup of one consistent snapshot.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("messages.db").toAbsolutePath());
                Statement s = c.createStatement()) {
            s.executeUpdate("backup to '" + out.resolve("messages.db").toAbsolutePath().toString().replace("'", "''") + "'");
        } catch (SQLException e) {
            throw new IOException("cannot back up the message database: " + e.getMessage(), e);
        }
        // 2. The payloads referenced by that snapshot (and any written since, which are harmless).
        // (with what this node cosigned as a witness, and the cosignatures of its own checkpoints)
        for (String folder : List.of("blobs/inbox", "blobs/outbox", "audit-peers", "witness", "audit-cosigned")) {
            copyTree(data.resolve(folder), out.resolve(folder));
        }
        // 3. The audit log: its key, then whole checkpoints, then the entries.
        Path audit = data.resolve("audit");
        Path auditOut = Files.createDirectories(out.resolve("audit"));
        for (String f : List.of(FileAuditLog.KEY, FileAuditLog.VERIFIER_KEY)) {
            if (Files.exists(audit.resolve(f))) {
                Files.copy(audit.resolve(f), auditOut.resolve(f));
            }
        }
        copyWholeRecords(audit.resolve(FileAuditLog.CHECKPOINTS), auditOut.resolve(FileAuditLog.CHECKPOINTS));
        copyPrefix(audit.resolve(FileAuditLog.ENTRIES), auditOut.resolve(FileAuditLog.ENTRIES), Long.MAX_VALUE);
        // 4. After the log: the evidence (with the CRL history and the time-stamp tokens) and the peers' schemas.
        copyEvidence(data, out, auditOut.resolve(FileAuditLog.ENTRIES));
        return finish(out, data);
    }

    /**
     * Copies the evidence a node keeps ({@code evidence/}: its own and its peers', the CRLs in force at each event), its
     * time-stamp tokens ({@code timestamps/}) and the schemas its peers announced ({@code peer-schemas/}). An evidence
     * file is written before its audit entry, so every evidence the copied log names is copied; one issued since has its
     * index line left out (an index beyond the copied log would name another entry once the restored log goes on): as
     * after a crash between the file and its entry, the file is kept, noted as not logged.
     */
    private static void copyEvidence(Path data, Path out, Path copiedEntries) throws IOException {
        for (String folder : List.of(EvidenceIssuer.FOLDER, TrustedTime.FOLDER, "peer-schemas")) {
            copyTree(data.resolve(folder), out.resolve(folder));
        }
        Path evidence = out.resolve(EvidenceIssuer.FOLDER);
        if (!Files.isDirectory(evidence)) {
            return;
        }
        long logged = 0;
        if (Files.exists(copiedEntries)) {
            long[] n = {0};
            try (FileChannel ch = FileChannel.open(copiedEntries, StandardOpenOption.READ)) {
                AuditLogReader.forEach(ch, 0, (offset, record) -> ++n[0] > 0);
            }
            logged = n[0];
        }
        try (var indexes = Files.find(evidence, 2, (f, a) -> a.isRegularFile() && f.getFileName().toString().equals(EvidenceIssuer.INDEX))) {
            for (Path index : indexes.toList()) {
                String text = Files.readString(index, StandardCharsets.US_ASCII);
                List<String> lines = List.of(text.split("\n", -1)); // the last: what follows the last newline (a line cut short)
                long max = logged;
                List<String> kept = lines.subList(0, lines.size() - 1).stream().filter(l -> {
                    String[] p = l.split(" ");
                    try {
                        return p.length == 2 && Long.parseLong(p[1]) < max;
                    } catch (NumberFormatException e) {
                        return false;
                    }
                }).toList();
                if (kept.size() != lines.size() - 1 || !lines.get(lines.size() - 1).isEmpty()) {
                    SecureFiles.writeAtomically(index, kept.stream().map(l -> l + "\n").collect(Collectors.joining())
                            .getBytes(StandardCharsets.US_ASCII), true);
                }
            }
        }
    }

    /** Restores {@code backup} into the data folder {@code data}, which must not exist or be empty; checks what it restored. */
    public static Summary restore(Path backup, Path data) throws IOException {
        Map<String, String> listed = manifest(backup);
        if (Files.exists(data) && (!Files.isDirectory(data) || Files.list(data).findAny().isPresent())) {
            throw new IOException(data + " exists and is not empty: restore into an empty folder (move the old one aside first)");
        }
        // Every file as listed, before anything is written.
        Map<String, String> actual = digests(backup);
        actual.remove(MANIFEST);
        if (!actual.equals(listed)) {
            throw new IOException("the backup in " + backup + " does not match its " + MANIFEST + " (changed, incomplete or mixed"
                    + " with other files): nothing restored");
        }
        Files.createDirectories(data);
        restrictToOwner(data);
        copyTree(backup, data);
        Files.delete(data.resolve(MANIFEST));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("messages.db").toAbsolutePath());
                Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA integrity_check")) {
            String result = r.next() ? r.getString(1) : "no answer";
            if (!"ok".equals(result)) {
                throw new IOException("the restored message database fails SQLite's integrity check: " + result);
            }
        } catch (SQLException e) {
            throw new IOException("cannot open the restored message database: " + e.getMessage(), e);
        }
        return summary(data, listed.size());
    }

    /** A deletion recorded in a later log and carried out again on a restored data folder. */
    public record Reapplied(String messageId, boolean received, String counterpart, long index, Instant at, String reason,
            String envelopeSha256) {}

    /**
     * Carries out again, on the restored data folder {@code data}, every deletion ({@code delete} entry)
     * recorded in the audit log folder {@code laterLog} — the log of the data folder the backup replaces,
     * which goes on past the backup — so that a message deleted after the backup (retention, a case's
     * deletion, a quarantined one's) is not brought back: its envelope, the only copy of its content keys,
     * is destroyed again and its payloads removed. Deletions the backup already holds change nothing.
     * A record cut short at the log's end (a crash) is left out; the entries are read, not verified
     * (verify them with {@code liaison audit verify}): what they cause is only a deletion.
     *
     * @return the deletions carried out (none when every one was already in the backup)
     */
    public static List<Reapplied> reapplyDeletions(Path data, Path laterLog) throws IOException {
        Path entries = laterLog.resolve(FileAuditLog.ENTRIES);
        if (!Files.isRegularFile(entries)) {
            throw new IOException(laterLog + " is not an audit log folder (no " + FileAuditLog.ENTRIES + " in it)");
        }
        List<AuditEntries.Entry> deletions = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(entries, StandardOpenOption.READ)) {
            List<byte[]> raw = AuditLogReader.records(ch, true);
            for (int i = 0; i < raw.size(); i++) {
                AuditEntries.Entry e = AuditEntries.parse(i, raw.get(i));
                if (e.type().equals("delete") && e.messageId() != null && e.detail("direction") != null) {
                    deletions.add(e);
                }
            }
        }
        List<Reapplied> done = new ArrayList<>();
        try (SqliteMessageStore store = SqliteMessageStore.open(data.resolve("messages.db"))) {
            Instant now = Instant.now();
            for (AuditEntries.Entry e : deletions) {
                boolean received = e.detail("direction").equals("received");
                UUID id = UUID.fromString(e.messageId());
                boolean deleted = received ? store.inbox().delete(AuthorityId.of(e.counterpart()), id, now)
                        : store.sent().delete(id, now);
                if (deleted) {
                    done.add(new Reapplied(e.messageId(), received, e.counterpart(), e.index(), e.time(), e.reason(),
                            e.detail("envelopeSha256")));
                }
            }
            Retention.removeLeftFolders(store, now);
        } catch (IllegalArgumentException e) {
            throw new IOException("a delete entry of " + laterLog + " cannot be read: " + e.getMessage(), e);
        }
        return done;
    }

    private static Summary finish(Path out, Path data) throws IOException {
        Map<String, String> files = digests(out);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("takenAt", Instant.now().toString());
        m.put("from", data.toAbsolutePath().toString());
        m.put("files", files);
        SecureFiles.writeNew(out.resolve(MANIFEST), JSON.writeValueAsBytes(m), true);
        return summary(out, files.size());
    }

    private static Summary summary(Path folder, int files) throws IOException {
        long[] bytes = {0};
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                bytes[0] += attrs.size();
                return FileVisitResult.CONTINUE;
            }
        });
        long inbox = 0;
        long outbox = 0;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + folder.resolve("messages.db").toAbsolutePath());
                Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM inbox")) {
                inbox = r.next() ? r.getLong(1) : 0;
            }
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM outbox")) {
                outbox = r.next() ? r.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the copied message database: " + e.getMessage(), e);
        }
        Path entries = folder.resolve("audit").resolve(FileAuditLog.ENTRIES);
        return new Summary(folder, files, bytes[0], inbox, outbox, Files.exists(entries) ? Files.size(entries) : 0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> manifest(Path backup) throws IOException {
        Path m = backup.resolve(MANIFEST);
        if (!Files.exists(m)) {
            throw new IOException(backup + " holds no " + MANIFEST + ": not a backup made by liaison backup (or not complete)");
        }
        Map<String, Object> read = JSON.readValue(m.toFile(), Map.class);
        Object files = read.get("files");
        if (!(files instanceof Map)) {
            throw new IOException(m + " lists no files");
        }
        Map<String, String> out = new TreeMap<>();
        ((Map<String, Object>) files).forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /** Relative path to "size sha256" of every file under {@code root}. */
    private static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!attrs.isRegularFile()) { // a link would copy whatever it points to into the data folder
                    throw new IOException(file + " is not a regular file (a link?): a backup holds plain files only; nothing restored");
                }
                out.put(root.relativize(file).toString(), attrs.size() + " " + sha256(file));
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            try (OutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), d)) {
                in.transferTo(sink);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes {@code p} (a folder or a file) accessible to its owner only, where the file system has POSIX permissions. */
    private static void restrictToOwner(Path p) throws IOException {
        if (Files.getFileStore(p).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                    Files.isDirectory(p) ? "rwx------" : "rw-------"));
        }
    }

    /**
     * Copies a folder's files (absent: nothing), each synced; the copy's files are owner-only. A symbolic link in it
     * is refused, with an error naming it: the node writes none, and following one would copy what it points at (/etc,
     * another node's evidence) as if it were this node's; copying the link itself would leave a backup without the
     * data. A folder kept on another disk is mounted at its place, not linked.
     */
    private static void copyTree(Path from, Path to) throws IOException {
        if (Files.isSymbolicLink(from)) {
            throw linked(from);
        }
        if (!Files.isDirectory(from)) {
            return;
        }
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isSymbolicLink()) { // links are not followed by the walk: a linked folder comes here too
                    throw linked(file);
                }
                try {
                    copyPrefix(file, to.resolve(from.relativize(file).toString()), Long.MAX_VALUE);
                } catch (NoSuchFileException gone) {
                    // a temporary file renamed into place meanwhile (an atomic write): what it became is copied
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    private static IOException linked(Path link) {
        String target;
        try {
            target = Files.readSymbolicLink(link).toString();
        } catch (IOException | UnsupportedOperationException e) {
            target = "?";
        }
        // The link's name and target are whatever was put on the disk: neutralised before they reach a terminal.
        return new IOException(UntrustedText.printable(link.toString()) + " is a symbolic link (to " + UntrustedText.printable(target)
                + "): a backup copies only what the data folder holds;"
                + " move the files into it (or mount their disk there) and try again");
    }

    /** Copies the first {@code length} bytes of {@code from} (all of it if shorter) into a new, synced, owner-only file. */
    private static void copyPrefix(Path from, Path to, long length) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long n = Math.min(length, in.size());
            long done = 0;
            while (done < n) {
                done += in.transferTo(done, n - done, out);
            }
            out.force(true);
        }
        restrictToOwner(to);
    }

    /** Copies the whole length-prefixed records of a records file (as the log reads them), not one cut short. */
    private static void copyWholeRecords(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            return;
        }
        long whole;
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
            whole = AuditLogReader.records(in, true).stream().mapToLong(r -> 4L + r.length).sum();
        }
        copyPrefix(from, to, whole);
    }
}
