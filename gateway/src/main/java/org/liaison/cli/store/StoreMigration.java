package org.liaison.cli.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.liaison.gateway.audit.AuditLogReader;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.PostgresAuditLog;
import org.liaison.gateway.store.PostgresMessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.protocol.tlog.Checkpoint;

/**
 * Moves a stopped single node's data — the SQLite message store and the file audit log — into an
 * empty PostgreSQL database, for an authority that outgrows one node. Everything goes in one
 * transaction (all or nothing); rows keep their values (times become {@code timestamptz},
 * deliveries that were being sent become due again), audit entries keep their exact bytes and
 * indices and checkpoints their signatures, so the log's checkpoints that peers and auditors hold
 * stay valid. Payload folders stay where they are (their paths are relative to the data folder).
 */
public final class StoreMigration {
    private StoreMigration() {}

    /** What was moved. */
    public record Summary(long inbox, long outbox, long deliveries, long auditEntries, long auditCheckpoints) {}

    public static Summary sqliteToPostgres(Path dataDir, String url, String user, char[] password, Path auditKey, String origin)
            throws IOException {
        Path db = dataDir.resolve("messages.db");
        if (!Files.exists(db)) {
            throw new IOException(dataDir + " holds no messages.db: not the data folder of a node on SQLite");
        }
        // Both schemas at this program's version, made by the stores themselves.
        SqliteMessageStore.open(db).close();
        PostgresMessageStore.open(url, user, password, 1, dataDir, "migration").close();
        Summary s;
        try (Connection from = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
                Connection to = DriverManager.getConnection(url, user, new String(password))) {
            PostgresAuditLog.createSchema(to);
            for (String table : List.of("inbox", "outbox", "deliveries", "notices", "assignments", "protected_files",
                    "audit_entries", "audit_checkpoints")) {
                try (Statement st = to.createStatement(); ResultSet r = st.executeQuery("SELECT count(*) FROM " + table)) {
                    r.next();
                    if (r.getLong(1) > 0) {
                        throw new IOException("the target database already holds " + table + " rows: migrate into an empty database");
                    }
                }
            }
            to.setAutoCommit(false);
            try {
                long inbox = copy(from, to, "SELECT sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, quarantine,"
                        + " deleted_ms, blobs_removed_ms, case_ref, 'LEGACY' FROM inbox", "INSERT INTO inbox (sender, message_id, received_at,"
                        + " envelope, envelope_sha256, receipt, blobs, quarantine, deleted_ms, blobs_removed_ms, case_ref, kept)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 3);
                long outbox = copy(from, to, "SELECT message_id, created_at, expires_at, envelope, idempotency_key, blobs, package_sha256,"
                        + " envelope_sha256, submitter, respond_by, deleted_ms, blobs_removed_ms, case_ref, 'LEGACY' FROM outbox",
                        "INSERT INTO outbox (message_id, created_at, expires_at, envelope, idempotency_key, blobs, package_sha256, envelope_sha256,"
                        + " submitter, respond_by, deleted_ms, blobs_removed_ms, case_ref, kept) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        2, 3, 10);
                copy(from, to, "SELECT message_id, party, stage, outgoing, at_ms, reason, xml, delivered_ms, attempts, next_ms,"
                        + " CASE state WHEN 'SENDING' THEN 'RETRYING' ELSE state END, last_error, receipt, note FROM notices",
                        "INSERT INTO notices (message_id, party, stage, outgoing, at_ms, reason, xml, delivered_ms, attempts, next_ms, state,"
                        + " last_error, receipt, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                copy(from, to, "SELECT case_ref, person, assigned_by, assigned_ms FROM assignments",
                        "INSERT INTO assignments (case_ref, person, assigned_by, assigned_ms) VALUES (?, ?, ?, ?)");
                copy(from, to, "SELECT sha256, message_id, sender FROM protected_files",
                        "INSERT INTO protected_files (sha256, message_id, sender) VALUES (?, ?, ?)");
                long deliveries = copy(from, to, "SELECT message_id, recipient, CASE state WHEN 'SENDING' THEN 'RETRYING' ELSE state END,"
                        + " attempts, next_attempt_at, last_error, receipt, delivered_at FROM deliveries", "INSERT INTO deliveries"
                        + " (message_id, recipient, state, attempts, next_attempt_at, last_error, receipt, delivered_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 5, 8);
                Path audit = dataDir.resolve("audit");
                List<byte[]> entries = records(audit.resolve(FileAuditLog.ENTRIES));
                try (PreparedStatement p = to.prepareStatement("INSERT INTO audit_entries (seq, entry, node) VALUES (?, ?, 'migrated')")) {
                    for (int i = 0; i < entries.size(); i++) {
                        p.setLong(1, i);
                        p.setBytes(2, entries.get(i));
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                List<byte[]> notes = records(audit.resolve(FileAuditLog.CHECKPOINTS));
                long checkpoints = 0;
                try (PreparedStatement p = to.prepareStatement("INSERT INTO audit_checkpoints (size, note, node) VALUES (?, ?, 'migrated')"
                        + " ON CONFLICT (size) DO NOTHING")) {
                    for (byte[] n : notes) {
                        String note = new String(n, StandardCharsets.UTF_8);
                        long size = Checkpoint.ofNote(note).size();
                        if (size > entries.size()) {
                            throw new IOException("a checkpoint of the audit log covers " + size + " entries, more than the "
                                    + entries.size() + " it holds: the log is damaged, nothing was migrated");
                        }
                        p.setLong(1, size);
                        p.setString(2, note);
                        p.addBatch();
                        checkpoints++;
                    }
                    p.executeBatch();
                }
                try (PreparedStatement p = to.prepareStatement("UPDATE audit_head SET next = ? WHERE id = 1")) {
                    p.setLong(1, entries.size());
                    p.executeUpdate();
                }
                to.commit();
                s = new Summary(inbox, outbox, deliveries, entries.size(), checkpoints);
            } catch (SQLException | IOException | RuntimeException e) {
                to.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IOException("cannot migrate into " + url + ": " + e.getMessage(), e);
        }
        // The moved log opens as the nodes will open it: its entries reproduce its last checkpoint under its key.
        PostgresAuditLog.open(url, user, password, auditKey, origin, "migration", java.time.Duration.ofHours(1),
                dataDir.resolve("audit-snapshots").resolve("migration")).close();
        return s;
    }

    /** Copies every row of a query; the 1-based columns in {@code times} are ISO-8601 text in SQLite, timestamptz here. */
    private static long copy(Connection from, Connection to, String select, String insert, int... times) throws SQLException {
        long n = 0;
        try (Statement s = from.createStatement(); ResultSet r = s.executeQuery(select);
                PreparedStatement p = to.prepareStatement(insert)) {
            int columns = r.getMetaData().getColumnCount();
            while (r.next()) {
                for (int c = 1; c <= columns; c++) {
                    boolean time = false;
                    for (int t : times) {
                        time |= t == c;
                    }
                    Object v = r.getObject(c);
                    if (v == null) {
                        p.setNull(c, java.sql.Types.OTHER); // untyped: the column's type decides
                    } else if (time) {
                        p.setObject(c, OffsetDateTime.ofInstant(Instant.parse((String) v), ZoneOffset.UTC));
                    } else if (v instanceof byte[] b) {
                        p.setBytes(c, b);
                    } else if (v instanceof Number num) {
                        p.setLong(c, num.longValue());
                    } else {
                        p.setString(c, v.toString());
                    }
                }
                p.addBatch();
                if (++n % 500 == 0) {
                    p.executeBatch();
                }
            }
            p.executeBatch();
        }
        return n;
    }

    /** The whole records of a log file, as the log reads them when it opens (a record cut short at the end is left out). */
    private static List<byte[]> records(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new ArrayList<>();
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            return AuditLogReader.records(ch, true);
        }
    }
}
