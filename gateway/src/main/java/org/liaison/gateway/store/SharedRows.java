package org.liaison.gateway.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.liaison.certs.AuthorityId;

/**
 * Row-level SQL the aggregate stores ({@link SqlInbox}, {@link SqlSent}, {@link SqlDeliveries}, {@link SqlCases})
 * share: the listing columns, deletions, cases, protected files, the due deliveries' queries, pages, and the
 * schema migrations both dialects apply. Newer times are epoch milliseconds, so that they compare the same in
 * SQLite and PostgreSQL. Called on the aggregate's connection, inside its transaction.
 */
final class SharedRows {
    private SharedRows() {}

    /** The migration that adds stages and deletions; {@code bytes} is the store's binary column type. */
    static String migration(String bytes) {
        return "CREATE TABLE notices (message_id TEXT NOT NULL, party TEXT NOT NULL, stage TEXT NOT NULL, outgoing INTEGER NOT NULL,"
                + " at_ms BIGINT NOT NULL, reason TEXT, xml " + bytes + ", delivered_ms BIGINT, attempts INTEGER NOT NULL DEFAULT 0,"
                + " next_ms BIGINT, PRIMARY KEY (message_id, party, stage, outgoing));"
                + "CREATE INDEX notices_due ON notices (outgoing, delivered_ms, next_ms);"
                + "ALTER TABLE inbox ADD COLUMN deleted_ms BIGINT;"
                + "ALTER TABLE outbox ADD COLUMN deleted_ms BIGINT;"
                + "ALTER TABLE inbox ADD COLUMN case_ref TEXT;"
                + "ALTER TABLE outbox ADD COLUMN case_ref TEXT;"
                + "CREATE TABLE assignments (case_ref TEXT NOT NULL, person TEXT NOT NULL, assigned_by TEXT NOT NULL,"
                + " assigned_ms BIGINT NOT NULL, PRIMARY KEY (case_ref, person));"
                + "CREATE TABLE protected_files (sha256 TEXT NOT NULL, message_id TEXT NOT NULL, sender TEXT NOT NULL,"
                + " PRIMARY KEY (sha256, message_id));"
                // A lookup by id alone (quarantined rows included) could not use the partial unique index: it read the
                // whole inbox, on every reception (measured: 4.5 ms of kernel CPU per message at 10,000 messages).
                + "CREATE INDEX inbox_by_id ON inbox (message_id);"
                + "CREATE INDEX inbox_by_case ON inbox (case_ref);"
                + "CREATE INDEX outbox_by_case ON outbox (case_ref);";
    }

    /**
     * The listing fields of a received message, kept in columns beside its envelope (store migration 9 on
     * SQLite, 5 on PostgreSQL), so that a listing reads rows, never envelopes. Rows from before have them
     * null (files IS NULL marks them) until the node fills them, parsing each such envelope once.
     */
    static final String LISTING = "ALTER TABLE inbox ADD COLUMN service TEXT;"
            + "ALTER TABLE inbox ADD COLUMN classification TEXT;"
            + "ALTER TABLE inbox ADD COLUMN handling TEXT;"
            + "ALTER TABLE inbox ADD COLUMN files INTEGER;"
            + "ALTER TABLE inbox ADD COLUMN bytes BIGINT;"
            + "ALTER TABLE inbox ADD COLUMN respond_ms BIGINT;"
            + "ALTER TABLE inbox ADD COLUMN urgency TEXT;"
            + "ALTER TABLE inbox ADD COLUMN conversation_id TEXT;"
            + "ALTER TABLE inbox ADD COLUMN in_reply_to TEXT;"
            + "CREATE INDEX inbox_by_service ON inbox (service);"
            + "CREATE INDEX inbox_by_conversation ON inbox (conversation_id);"
            + "CREATE INDEX inbox_by_respond ON inbox (respond_ms);"
            + "ALTER TABLE outbox ADD COLUMN service TEXT;"
            + "ALTER TABLE outbox ADD COLUMN addressed TEXT;"
            + "ALTER TABLE outbox ADD COLUMN conversation_id TEXT;"
            + "ALTER TABLE outbox ADD COLUMN in_reply_to TEXT;"
            + "CREATE INDEX outbox_by_conversation ON outbox (conversation_id);";

    /** The outbox's case and listing columns, in the order {@link #sealed} reads them. */
    static final String SENT_COLUMNS = "case_ref, service, addressed, conversation_id, in_reply_to";

    /** The listing read from {@link #SENT_COLUMNS} starting at column {@code at} (case_ref); null for a row without one. */
    static MessageStore.Sealed sealed(ResultSet r, int at) throws SQLException {
        String service = r.getString(at + 1);
        if (service == null) {
            return null;
        }
        String reply = r.getString(at + 4);
        return new MessageStore.Sealed(service, r.getString(at + 2), UUID.fromString(r.getString(at + 3)),
                reply == null ? null : UUID.fromString(reply));
    }

    /** Binds a sent message's four listing columns (after case_ref) from parameter {@code at} on; all null for none. */
    static void bindSealed(PreparedStatement p, int at, MessageStore.Sealed s) throws SQLException {
        p.setString(at, s == null ? null : s.service());
        p.setString(at + 1, s == null ? null : s.to());
        p.setString(at + 2, s == null ? null : s.conversationId().toString());
        p.setString(at + 3, s == null || s.inReplyTo() == null ? null : s.inReplyTo().toString());
    }

    static boolean recordSealed(Connection c, UUID messageId, MessageStore.Sealed s) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET service = ?, addressed = ?, conversation_id = ?, in_reply_to = ?,"
                + " kept = 'LISTED' WHERE message_id = ?")) {
            bindSealed(p, 1, s);
            p.setString(5, messageId.toString());
            if (p.executeUpdate() != 1) {
                return false;
            }
        }
        Listings.sealedLater(c, messageId, s);
        return true;
    }

    /** The inbox's case and listing columns, in the order {@link #listing} reads them. */
    static final String LISTING_COLUMNS = "case_ref, service, classification, handling, files, bytes, respond_ms, urgency,"
            + " conversation_id, in_reply_to";

    /** The listing read from {@link #LISTING_COLUMNS} starting at column {@code at} (case_ref); null for a row without one. */
    static MessageStore.Listing listing(ResultSet r, int at) throws SQLException {
        int files = r.getInt(at + 4);
        if (r.wasNull()) {
            return null;
        }
        String handling = r.getString(at + 3);
        long respond = r.getLong(at + 6);
        Instant respondBy = r.wasNull() ? null : Instant.ofEpochMilli(respond);
        String reply = r.getString(at + 9);
        return new MessageStore.Listing(r.getString(at + 1), r.getString(at + 2),
                handling == null || handling.isEmpty() ? List.of() : List.of(handling.split(" ")), files, r.getLong(at + 5), respondBy,
                r.getString(at + 7), UUID.fromString(r.getString(at + 8)), reply == null ? null : UUID.fromString(reply));
    }

    /** The inbox's columns a reception inserts: seven, then {@link #LISTING_COLUMNS}; bound by {@link #bindReceived}. */
    static final String RECEIVED_COLUMNS = "sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, " + LISTING_COLUMNS
            + Listings.RECEIVED_COLUMNS + ", kept";
    static final String RECEIVED_VALUES = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + Listings.RECEIVED_VALUES + ", ?";

    /** Binds a received message to {@link #RECEIVED_COLUMNS}; the time and the payload folder as the store keeps them. */
    static void bindReceived(PreparedStatement p, MessageStore.Received m, Object receivedAt, String blobs) throws SQLException {
        p.setString(1, m.sender().value());
        p.setString(2, m.messageId().toString());
        p.setObject(3, receivedAt);
        p.setBytes(4, m.envelope());
        p.setString(5, m.envelopeSha256());
        p.setBytes(6, m.receipt());
        p.setString(7, blobs);
        p.setString(8, m.caseRef());
        bindListing(p, 9, m.listing());
        Listings.bindReceived(p, 18, m);
        p.setString(21, m.kept().name());
    }

    /** Binds a listing's nine columns (after case_ref) from parameter {@code at} on; all null for none. */
    static void bindListing(PreparedStatement p, int at, MessageStore.Listing l) throws SQLException {
        if (l == null) {
            for (int i = 0; i < 9; i++) {
                p.setNull(at + i, i == 3 ? java.sql.Types.INTEGER : i == 4 || i == 5 ? java.sql.Types.BIGINT : java.sql.Types.VARCHAR);
            }
            return;
        }
        p.setString(at, l.service());
        p.setString(at + 1, l.classification());
        p.setString(at + 2, String.join(" ", l.handling()));
        p.setInt(at + 3, l.files());
        p.setLong(at + 4, l.bytes());
        if (l.respondBy() == null) {
            p.setNull(at + 5, java.sql.Types.BIGINT);
        } else {
            p.setLong(at + 5, l.respondBy().toEpochMilli());
        }
        p.setString(at + 6, l.urgency());
        p.setString(at + 7, l.conversationId().toString());
        p.setString(at + 8, l.inReplyTo() == null ? null : l.inReplyTo().toString());
    }

    /** Fills a row's case (if it has none) and listing; false if there is no such row. */
    static boolean recordListing(Connection c, AuthorityId sender, UUID messageId, String caseRef, MessageStore.Listing l)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE inbox SET case_ref = COALESCE(case_ref, ?), service = ?,"
                + " classification = ?, handling = ?, files = ?, bytes = ?, respond_ms = ?, urgency = ?, conversation_id = ?,"
                + " in_reply_to = ?, kept = 'LISTED' WHERE sender = ? AND message_id = ?")) {
            p.setString(1, caseRef);
            bindListing(p, 2, l);
            p.setString(11, sender.value());
            p.setString(12, messageId.toString());
            if (p.executeUpdate() != 1) {
                return false;
            }
        }
        Listings.listedLater(c, sender, messageId, l);
        return true;
    }

    /**
     * Destroys a message's envelope — the only place its wrapped content keys are kept — and marks it
     * deleted, keeping its digests (the envelope's, and the receipt of a received one); deliveries still
     * waiting fail. The caller removes the blobs after the commit. Whether it was there and not deleted before.
     */
    static boolean delete(Connection c, UUID messageId, boolean received, Instant at) throws SQLException {
        return delete(c, messageId, received, null, at);
    }

    /**
     * As {@link #delete(Connection, UUID, boolean, Instant)}; with a {@code sender}, the received message of that
     * sender, quarantined or not (without one, the received message not quarantined).
     */
    static boolean delete(Connection c, UUID messageId, boolean received, AuthorityId sender, Instant at) throws SQLException {
        String table = received ? "inbox" : "outbox";
        int n;
        try (PreparedStatement p = c.prepareStatement("UPDATE " + table + " SET envelope = ?, deleted_ms = ?"
                + (received ? Listings.DELETED : "") + " WHERE message_id = ?"
                + " AND deleted_ms IS NULL" + (!received ? "" : sender == null ? " AND quarantine IS NULL" : " AND sender = ?"))) {
            p.setBytes(1, new byte[0]);
            p.setLong(2, at.toEpochMilli());
            p.setString(3, messageId.toString());
            if (received && sender != null) {
                p.setString(4, sender.value());
            }
            n = p.executeUpdate();
        }
        if (n > 0 && !received) {
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET state = 'FAILED', last_error = ? WHERE message_id = ?"
                    + " AND state IN ('QUEUED', 'RETRYING')")) {
                p.setString(1, "the message was deleted before it was delivered");
                p.setString(2, messageId.toString());
                p.executeUpdate();
            }
        }
        return n > 0;
    }

    /** The messages (not deleted) tagged with a case; with {@code untagged}, also those stored before cases were tagged. */
    static List<UUID> messagesOfCase(Connection c, String caseRef, boolean received, boolean untagged) throws SQLException {
        List<UUID> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT message_id FROM " + (received ? "inbox" : "outbox")
                + " WHERE deleted_ms IS NULL AND (case_ref = ?" + (untagged ? " OR case_ref IS NULL" : "") + ")")) {
            p.setString(1, caseRef);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(UUID.fromString(r.getString(1)));
                }
            }
        }
        return out;
    }

    static java.util.Optional<String> caseOf(Connection c, UUID messageId, boolean received) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT case_ref FROM " + (received ? "inbox" : "outbox")
                + " WHERE message_id = ? AND case_ref IS NOT NULL")) {
            p.setString(1, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? java.util.Optional.of(r.getString(1)) : java.util.Optional.empty();
            }
        }
    }

    static boolean assign(Connection c, MessageStore.Assignment a) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO assignments (case_ref, person, assigned_by, assigned_ms)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            p.setString(1, a.caseRef());
            p.setString(2, a.person());
            p.setString(3, a.assignedBy());
            p.setLong(4, a.assignedAt().toEpochMilli());
            return p.executeUpdate() == 1;
        }
    }

    static boolean unassign(Connection c, String caseRef, String person) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("DELETE FROM assignments WHERE case_ref = ? AND person = ?")) {
            p.setString(1, caseRef);
            p.setString(2, person);
            return p.executeUpdate() > 0;
        }
    }

    static List<MessageStore.Assignment> assignments(Connection c) throws SQLException {
        List<MessageStore.Assignment> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT case_ref, person, assigned_by, assigned_ms FROM assignments"
                + " ORDER BY case_ref, assigned_ms"); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(new MessageStore.Assignment(r.getString(1), r.getString(2), r.getString(3), Instant.ofEpochMilli(r.getLong(4))));
            }
        }
        return out;
    }

    static int keepProtected(Connection c, UUID messageId, AuthorityId sender, List<String> sha256) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO protected_files (sha256, message_id, sender) VALUES (?, ?, ?)"
                + " ON CONFLICT DO NOTHING")) {
            for (String d : sha256) {
                p.setString(1, d);
                p.setString(2, messageId.toString());
                p.setString(3, sender.value());
                p.addBatch();
            }
            return p.executeBatch().length;
        }
    }

    static List<MessageStore.ProtectedFile> protectedFiles(Connection c) throws SQLException {
        List<MessageStore.ProtectedFile> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT sha256, message_id, sender FROM protected_files");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(new MessageStore.ProtectedFile(r.getString(1), UUID.fromString(r.getString(2)), AuthorityId.of(r.getString(3))));
            }
        }
        return out;
    }

    /**
     * The migration that lets a delivery pass read what it can start without reading the backlog: the
     * due deliveries of one recipient, per state, in the order they are due.
     */
    static final String DUE_BY_RECIPIENT = "CREATE INDEX deliveries_due_by_recipient ON deliveries (recipient, state, next_attempt_at);";

    /**
     * The recipients with deliveries due at {@code now} ({@code now} as the store keeps times). A skip
     * scan of {@link #DUE_BY_RECIPIENT}: one index probe per recipient the node has ever sent to, and two
     * per recipient to ask whether anything of it is due — not one row per queued delivery (a DISTINCT
     * over the due rows read the whole backlog at every delivery pass: with a dead peer's thousands of
     * waiting deliveries, milliseconds of CPU per pass).
     */
    static final String RECIPIENTS_DUE = "WITH RECURSIVE r(recipient) AS (SELECT MIN(recipient) FROM deliveries"
            + " UNION ALL SELECT (SELECT MIN(d.recipient) FROM deliveries d WHERE d.recipient > r.recipient) FROM r"
            + " WHERE r.recipient IS NOT NULL)"
            + " SELECT recipient FROM r WHERE recipient IS NOT NULL"
            + " AND (EXISTS (SELECT 1 FROM deliveries q WHERE q.recipient = r.recipient AND q.state = 'QUEUED' AND q.next_attempt_at <= ?)"
            + " OR EXISTS (SELECT 1 FROM deliveries q WHERE q.recipient = r.recipient AND q.state = 'RETRYING' AND q.next_attempt_at <= ?))";

    static List<AuthorityId> recipientsDue(Connection c, Object now) throws SQLException {
        List<AuthorityId> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(RECIPIENTS_DUE)) {
            p.setObject(1, now);
            p.setObject(2, now);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(AuthorityId.of(r.getString(1)));
                }
            }
        }
        return out;
    }

    /**
     * The SQL of the {@code limit} longest-waiting due deliveries to one recipient: the first {@code limit}
     * of each state, read in index order, then merged — never the whole backlog sorted. Parameters:
     * recipient, now, limit (queued), recipient, now, limit (retrying), limit. {@code lock} ends each
     * part (PostgreSQL: {@code FOR UPDATE SKIP LOCKED}; SQLite: empty).
     */
    static String dueForRecipient(String columns, String lock) {
        String part = "SELECT " + columns + " FROM deliveries WHERE recipient = ? AND state = '%s' AND next_attempt_at <= ?"
                + " ORDER BY next_attempt_at LIMIT ?" + lock;
        return "SELECT * FROM (" + String.format(part, "QUEUED") + ") queued UNION ALL SELECT * FROM ("
                + String.format(part, "RETRYING") + ") retrying ORDER BY next_attempt_at LIMIT ?";
    }

    /** Binds {@link #dueForRecipient}'s parameters. */
    static void bindDueForRecipient(PreparedStatement p, String recipient, Object now, int limit) throws SQLException {
        for (int part = 0; part < 2; part++) {
            p.setString(part * 3 + 1, recipient);
            p.setObject(part * 3 + 2, now);
            p.setInt(part * 3 + 3, limit);
        }
        p.setInt(7, limit);
    }

    /** A page of the inbox after a key (see MessageStore.receivedAfter); parameters: [sender, id,] limit. */
    static String receivedAfter(String columns, boolean first) {
        return "SELECT " + columns + " FROM inbox WHERE deleted_ms IS NULL" + (first ? "" : " AND (sender, message_id) > (?, ?)")
                + " ORDER BY sender, message_id LIMIT ?";
    }

    /** A page of the outbox after a key (see MessageStore.sentAfter); parameters: [id,] limit. */
    static String sentAfter(String columns, boolean first) {
        return "SELECT " + columns + " FROM outbox WHERE deleted_ms IS NULL" + (first ? "" : " AND message_id > ?")
                + " ORDER BY message_id LIMIT ?";
    }

    /** Reads a page with {@code sql} (from receivedAfter or sentAfter), the key's parts then the limit as parameters. */
    static <T> List<T> page(Connection c, String sql, List<String> key, int limit, RowReader<T> read) throws SQLException {
        List<T> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql)) {
            int i = 1;
            for (String k : key) {
                p.setString(i++, k);
            }
            p.setInt(i, limit);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(read.read(r));
                }
            }
        }
        return out;
    }

    /** One row to a value. */
    interface RowReader<T> {
        T read(ResultSet r) throws SQLException;
    }

    /**
     * Store migration 13 on SQLite, 9 on PostgreSQL: a deleted message's row records when its blob folder was found
     * gone ({@code blobs_removed_ms}), and a partial index holds the deleted rows whose folder may remain, so that a
     * node's start checks those, not every deletion ever made. Rows deleted before it have no time: each is checked once.
     * The index of every deleted row (store migration 10 on SQLite, 6 on PostgreSQL), which only that check read, goes:
     * SQLite chose it over the partial one, reading every deletion again.
     */
    static final String BLOBS_REMOVED = "DROP INDEX inbox_deleted;"
            + "DROP INDEX outbox_deleted;"
            + "ALTER TABLE inbox ADD COLUMN blobs_removed_ms BIGINT;"
            + "ALTER TABLE outbox ADD COLUMN blobs_removed_ms BIGINT;"
            + "CREATE INDEX inbox_blobs_to_remove ON inbox (blobs) WHERE deleted_ms IS NOT NULL AND blobs_removed_ms IS NULL;"
            + "CREATE INDEX outbox_blobs_to_remove ON outbox (blobs) WHERE deleted_ms IS NOT NULL AND blobs_removed_ms IS NULL;";

    /**
     * A stage's note (the notice's free text, "" for none) kept beside the signed notice when it is recorded, so that a
     * listing shows it without parsing the notice (a page of sent messages parsed one notice per stage of each row). Rows
     * recorded before have none (null): their notice is read when shown.
     */
    static final String NOTICE_NOTES = "ALTER TABLE notices ADD COLUMN note TEXT;";

    /**
     * The blob folders of a table's deleted messages not yet recorded as removed ({@link #blobsRemoved}): those of
     * deletions a crash or a failed removal interrupted, and of rows deleted before store migration 13.
     */
    static List<Path> deletedBlobs(Connection c, String table, Function<String, Path> blobs) throws SQLException {
        List<Path> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT blobs FROM " + table
                + " WHERE deleted_ms IS NOT NULL AND blobs_removed_ms IS NULL");
                ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(blobs.apply(r.getString(1)));
            }
        }
        return out;
    }

    /** Records that the blob folders of a table's deleted messages ({@code stored}: as the rows keep them) are gone. */
    static Void blobsRemoved(Connection c, String table, List<String> stored, long atMs) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE " + table + " SET blobs_removed_ms = ?"
                + " WHERE blobs = ? AND deleted_ms IS NOT NULL AND blobs_removed_ms IS NULL")) {
            for (String s : stored) {
                p.setLong(1, atMs);
                p.setString(2, s);
                p.addBatch();
            }
            p.executeBatch();
        }
        return null;
    }

    /**
     * The migration of the stores split by aggregate (SQLite 11, PostgreSQL 7):
     * <ul>
     *   <li>notices to send get a delivery's state machine and leases ({@link Leases}): state, last error, the
     *       peer's answer, the lease and its holder. Notices kept before: delivered ones DELIVERED, those refused
     *       for good (set ten years ahead) FAILED, the rest QUEUED or RETRYING by their attempts. Stages told by
     *       recipients have no state.</li>
     *   <li>whether a row's listing columns are kept ({@code kept}: LISTED, LEGACY, UNREADABLE), marked
     *       explicitly; rows from before the listing columns were filled are LEGACY.</li>
     *   <li>the seals in progress (an outbox payload folder in place before its message is stored), so that a
     *       sweep for orphan folders reads the seals that never finished, not the outbox folder; one row (the nil
     *       id) asks for the outbox folder to be looked through once, for folders from before.</li>
     * </ul>
     */
    static String aggregates(SqlDialect d) {
        return "ALTER TABLE notices ADD COLUMN state TEXT;"
                + "ALTER TABLE notices ADD COLUMN last_error TEXT;"
                + "ALTER TABLE notices ADD COLUMN receipt " + d.bytes + ";"
                + "ALTER TABLE notices ADD COLUMN lease_ms BIGINT;"
                + "ALTER TABLE notices ADD COLUMN leased_by TEXT;"
                + "UPDATE notices SET state = CASE WHEN delivered_ms IS NOT NULL THEN 'DELIVERED'"
                + " WHEN next_ms > at_ms + 3000 * CAST(86400000 AS BIGINT) THEN 'FAILED'"
                + " WHEN attempts = 0 THEN 'QUEUED' ELSE 'RETRYING' END WHERE outgoing = 1;"
                + "CREATE INDEX notices_state_due ON notices (state, next_ms) WHERE outgoing = 1;"
                + "ALTER TABLE inbox ADD COLUMN kept TEXT NOT NULL DEFAULT 'LISTED';"
                + "UPDATE inbox SET kept = 'LEGACY' WHERE files IS NULL;"
                + "CREATE INDEX inbox_legacy ON inbox (sender, message_id) WHERE kept = 'LEGACY';"
                + "ALTER TABLE outbox ADD COLUMN kept TEXT NOT NULL DEFAULT 'LISTED';"
                + "UPDATE outbox SET kept = 'LEGACY' WHERE service IS NULL;"
                + "CREATE INDEX outbox_legacy ON outbox (message_id) WHERE kept = 'LEGACY';"
                + "CREATE TABLE seals (message_id TEXT PRIMARY KEY, started_ms BIGINT NOT NULL);"
                + "CREATE INDEX seals_by_start ON seals (started_ms);"
                // The outbox folder is looked through once for folders left by a crash before seals were kept (nil id).
                + "INSERT INTO seals (message_id, started_ms) VALUES ('" + SqlSent.OUTBOX_SCAN + "', 0);";
    }
}
