package org.liaison.gateway.store;

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
 * The SQL of listings as pages (issue 26): what investigators list (received and sent messages, filtered),
 * what deadlines count and what the retention sweep finds, read from columns and indexes — never
 * envelopes, never the whole history. Both stores run it as it is (times as epoch milliseconds).
 *
 * <p>The inbox's order is what is owed first, in six segments, each read in the order of one index:
 * overdue and urgent, overdue, urgent with a date still ahead (by date), urgent without one (newest
 * first), with a date ahead (by date), the rest (newest first). "Owed" ({@code owed_ms}) is the
 * respond-by date of a message not answered here and not set aside; deleted rows leave the
 * listing's indexes ({@code urgent = -1}). A page reads the segment of its cursor from the cursor on,
 * then the next segments, {@code LIMIT n+1} each, until it is full.
 */
final class Listings {
    private Listings() {}

    /** Epoch milliseconds of a stored time, as each dialect writes it (for the migration). */
    static String migration(Function<String, String> ms) {
        return "ALTER TABLE inbox ADD COLUMN received_ms BIGINT;"
                + "ALTER TABLE inbox ADD COLUMN answered_ms BIGINT;"
                + "ALTER TABLE inbox ADD COLUMN owed_ms BIGINT;"
                + "ALTER TABLE inbox ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
                + "ALTER TABLE outbox ADD COLUMN created_ms BIGINT;"
                + "ALTER TABLE outbox ADD COLUMN respond_ms BIGINT;"
                + "ALTER TABLE outbox ADD COLUMN answered_ms BIGINT;"
                + "ALTER TABLE outbox ADD COLUMN passed_ms BIGINT;"
                + "UPDATE inbox SET received_ms = " + ms.apply("received_at") + ";"
                + "UPDATE outbox SET created_ms = " + ms.apply("created_at") + ", respond_ms = " + ms.apply("respond_by") + ";"
                + "CREATE INDEX inbox_by_reply ON inbox (in_reply_to);"
                + "CREATE INDEX outbox_by_reply ON outbox (in_reply_to);"
                + "UPDATE inbox SET answered_ms = (SELECT MIN(o.created_ms) FROM outbox o WHERE o.in_reply_to = inbox.message_id);"
                + "UPDATE outbox SET answered_ms = (SELECT MIN(i.received_ms) FROM inbox i WHERE i.in_reply_to = outbox.message_id);"
                + "UPDATE inbox SET urgent = 1 WHERE urgency = 'urgent' AND quarantine IS NULL;"
                + "UPDATE inbox SET urgent = -1 WHERE deleted_ms IS NOT NULL;"
                + "UPDATE inbox SET owed_ms = respond_ms WHERE answered_ms IS NULL AND quarantine IS NULL AND deleted_ms IS NULL;"
                + "CREATE INDEX inbox_owed ON inbox (urgent, owed_ms, received_ms, message_id, sender) WHERE owed_ms IS NOT NULL;"
                + "CREATE INDEX inbox_unowed ON inbox (urgent, received_ms, message_id, sender) WHERE owed_ms IS NULL;"
                // A case's pages in the same order, read from the case's rows only (a case can hold thousands).
                + "CREATE INDEX inbox_case_owed ON inbox (case_ref, urgent, owed_ms, received_ms, message_id, sender)"
                + " WHERE owed_ms IS NOT NULL;"
                + "CREATE INDEX inbox_case_unowed ON inbox (case_ref, urgent, received_ms, message_id, sender) WHERE owed_ms IS NULL;"
                + "CREATE INDEX outbox_case_created ON outbox (case_ref, created_ms, message_id);"
                + "CREATE INDEX inbox_retention ON inbox (service, received_ms);"
                + "CREATE INDEX inbox_unlisted ON inbox (sender, message_id) WHERE files IS NULL;"
                + "CREATE INDEX outbox_by_created ON outbox (created_ms, message_id);"
                + "CREATE INDEX outbox_retention ON outbox (service, created_ms);"
                + "CREATE INDEX outbox_owed ON outbox (respond_ms) WHERE answered_ms IS NULL;"
                // The passed deadlines not audited yet: not every one ever audited, at every pass.
                + "CREATE INDEX outbox_unpassed ON outbox (respond_ms) WHERE answered_ms IS NULL AND passed_ms IS NULL;"
                + "CREATE INDEX outbox_unsealed ON outbox (message_id) WHERE service IS NULL;"
                // An investigator's own sent messages, newest first, without sorting all of them.
                + "CREATE INDEX outbox_by_submitter ON outbox (submitter, created_ms, message_id);"
                + "CREATE INDEX inbox_deleted ON inbox (deleted_ms) WHERE deleted_ms IS NOT NULL;"
                + "CREATE INDEX outbox_deleted ON outbox (deleted_ms) WHERE deleted_ms IS NOT NULL;";
    }

    /**
     * The sent requests still owed (not answered, not deleted), by respond-by date: the count of the overdue ones reads
     * them from this index alone (outbox_owed keeps the deleted ones too, each read from its row to be left out; on SQLite
     * that column lies past the envelope in the row, so every overdue request's envelope was read: 1.1 s with a cold cache
     * at 100,000 messages held, the store's one connection held meanwhile, at start and then at most every 10 s).
     */
    static final String OWED_SENT = "CREATE INDEX outbox_owed_kept ON outbox (respond_ms, answered_ms, deleted_ms)" // (SQLite: covering)
            + " WHERE answered_ms IS NULL AND deleted_ms IS NULL AND respond_ms IS NOT NULL;";

    /**
     * The retention sweep's indexes hold the live rows only, in the sweep's order: a deleted row keeps its row (its digests)
     * for good, and an index of every row made each hourly sweep walk all the rows it ever deleted that were older than the
     * cutoff (a decade's deletions, at every sweep), and {@code oldest} walk them from the first; PostgreSQL at a million
     * rows even read the sent side by its creation index, filtering the service row by row.
     */
    static final String LIVE_RETENTION = "DROP INDEX inbox_retention;"
            + "CREATE INDEX inbox_retention ON inbox (service, received_ms, message_id, sender) WHERE deleted_ms IS NULL;"
            + "DROP INDEX outbox_retention;"
            + "CREATE INDEX outbox_retention ON outbox (service, created_ms, message_id) WHERE deleted_ms IS NULL;";

    /** The columns of a received row besides its store's own, bound by {@link #bindReceived}. */
    static final String RECEIVED_COLUMNS = ", received_ms, urgent, owed_ms";
    static final String RECEIVED_VALUES = ", ?, ?, ?";

    static void bindReceived(PreparedStatement p, int at, MessageStore.Received m) throws SQLException {
        p.setLong(at, m.receivedAt().toEpochMilli());
        MessageStore.Listing l = m.listing();
        p.setInt(at + 1, l != null && "urgent".equals(l.urgency()) ? 1 : 0);
        if (l == null || l.respondBy() == null) {
            p.setNull(at + 2, java.sql.Types.BIGINT);
        } else {
            p.setLong(at + 2, l.respondBy().toEpochMilli());
        }
    }

    /** After a received message is stored: a reply settles the request it answers (sent from here). */
    static void received(Connection c, MessageStore.Received m) throws SQLException {
        if (m.listing() != null && m.listing().inReplyTo() != null) {
            settleSent(c, m.listing().inReplyTo(), m.receivedAt());
        }
    }

    private static void settleSent(Connection c, UUID request, Instant at) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET answered_ms = ? WHERE message_id = ? AND answered_ms IS NULL")) {
            p.setLong(1, at.toEpochMilli());
            p.setString(2, request.toString());
            p.executeUpdate();
        }
    }

    private static void settleReceived(Connection c, UUID request, Instant at) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE inbox SET answered_ms = ?, owed_ms = NULL WHERE message_id = ?"
                + " AND answered_ms IS NULL")) {
            p.setLong(1, at.toEpochMilli());
            p.setString(2, request.toString());
            p.executeUpdate();
        }
    }

    /**
     * The time columns of a sent row, written by its insert ({@link #bindSent}): created, respond-by, and when an answer
     * to it was received (one received before the request was stored: a copy from elsewhere, a migration).
     */
    static final String SENT_TIMES = ", created_ms, respond_ms, answered_ms";
    static final String SENT_TIMES_VALUES = ", ?, ?, (SELECT MIN(i.received_ms) FROM inbox i WHERE i.in_reply_to = ?)";

    /** Binds {@link #SENT_TIMES_VALUES} from parameter {@code at} on. */
    static void bindSent(PreparedStatement p, int at, MessageStore.Outgoing o) throws SQLException {
        p.setLong(at, o.createdAt().toEpochMilli());
        if (o.respondBy() == null) {
            p.setNull(at + 1, java.sql.Types.BIGINT);
        } else {
            p.setLong(at + 1, o.respondBy().toEpochMilli());
        }
        p.setString(at + 2, o.messageId().toString());
    }

    /** After a message to send is stored (its times in its insert: {@link #bindSent}): (a reply) the request it answers is settled. */
    static void stored(Connection c, MessageStore.Outgoing o) throws SQLException {
        if (o.sealed() != null && o.sealed().inReplyTo() != null) {
            settleReceived(c, o.sealed().inReplyTo(), o.createdAt());
        }
    }

    /** After a sent row's listing was filled from its envelope: the request it answers is settled. */
    static void sealedLater(Connection c, UUID messageId, MessageStore.Sealed s) throws SQLException {
        if (s.inReplyTo() == null) {
            return;
        }
        try (PreparedStatement p = c.prepareStatement("SELECT created_ms FROM outbox WHERE message_id = ?")) {
            p.setString(1, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                if (r.next()) {
                    settleReceived(c, s.inReplyTo(), Instant.ofEpochMilli(r.getLong(1)));
                }
            }
        }
    }

    /** After a received row's listing was filled from its envelope: its own flags, and the request it answers. */
    static void listedLater(Connection c, AuthorityId sender, UUID messageId, MessageStore.Listing l)
            throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE inbox SET urgent = CASE WHEN quarantine IS NULL AND deleted_ms IS NULL"
                + " AND urgency = 'urgent' THEN 1 WHEN deleted_ms IS NULL THEN 0 ELSE -1 END, owed_ms = CASE WHEN quarantine IS NULL AND"
                + " deleted_ms IS NULL AND answered_ms IS NULL THEN respond_ms END WHERE sender = ? AND message_id = ?")) {
            p.setString(1, sender.value());
            p.setString(2, messageId.toString());
            p.executeUpdate();
        }
        if (l.inReplyTo() != null) {
            try (PreparedStatement p = c.prepareStatement("SELECT received_ms FROM inbox WHERE sender = ? AND message_id = ?")) {
                p.setString(1, sender.value());
                p.setString(2, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    if (r.next()) {
                        settleSent(c, l.inReplyTo(), Instant.ofEpochMilli(r.getLong(1)));
                    }
                }
            }
        }
    }

    /** What quarantine and deletion add to their UPDATE of the inbox: the row leaves what is owed (deleted: the listing). */
    static final String SET_ASIDE = ", urgent = 0, owed_ms = NULL";
    static final String DELETED = ", urgent = -1, owed_ms = NULL";

    // ----- pages -----

    /** Who lists: everyone's rows ({@code all}: an operator), or an investigator's (see local/CaseAccess). */
    static String visible(SqlDialect d, MessageStore.Viewer v, String table, List<Object> params) {
        if (v.all()) {
            return "";
        }
        StringBuilder b = new StringBuilder(" AND (");
        if (table.equals("inbox")) {
            // Quarantined rows and rows whose listing could not be read are listed to everyone as such (no case, no content).
            b.append("quarantine IS NOT NULL OR files IS NULL OR ").append(d.sentBy("inbox.in_reply_to"));
            params.add(v.actor());
            if (v.openIntake()) {
                b.append(" OR case_ref IS NULL OR NOT EXISTS (SELECT 1 FROM assignments a WHERE a.case_ref = inbox.case_ref)");
            }
        } else {
            b.append("submitter = ?");
            params.add(v.actor());
        }
        if (!v.cases().isEmpty()) {
            b.append(" OR case_ref IN (").append(SqlDialect.placeholders(v.cases().size())).append(")");
            params.addAll(v.cases().stream().sorted().toList());
        }
        return b.append(")").toString();
    }

    /**
     * The filters' conditions. A filter on a column most rows share (sender, service) is written so that no
     * index is used for it ({@code col || ''}): the page is read in the order's index, and the filter costs
     * the rows it skips, not a sort of every row it matches. A case is selective: its index is used.
     */
    private static String filters(MessageStore.ListingFilter f, boolean inbox, Instant now, List<Object> params) {
        StringBuilder b = new StringBuilder();
        String time = inbox ? "received_ms" : "created_ms";
        if (f.caseRef() != null) {
            b.append(" AND case_ref = ?");
            params.add(f.caseRef());
        }
        if (f.party() != null) {
            if (inbox) {
                b.append(" AND sender || '' = ?");
            } else {
                b.append(" AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = outbox.message_id AND d.recipient = ?)");
            }
            params.add(f.party());
        }
        if (f.service() != null) {
            b.append(" AND service || '' = ?");
            params.add(f.service());
        }
        if (f.since() != null) {
            b.append(" AND ").append(time).append(" >= ?");
            params.add(f.since().toEpochMilli());
        }
        if (f.until() != null) {
            b.append(" AND ").append(time).append(" < ?");
            Instant u = f.until();
            params.add(u.toEpochMilli() + (u.getNano() % 1_000_000 == 0 ? 0 : 1));
        }
        if (f.unanswered()) {
            b.append(" AND answered_ms IS NULL AND in_reply_to IS NULL");
        }
        if (!inbox && f.overdue()) {
            b.append(" AND answered_ms IS NULL AND respond_ms < ?");
            params.add(now.toEpochMilli());
        }
        return b.toString();
    }

    /** A segment of the inbox's order: its condition (on {@code now}) and whether it is by date (else newest first). */
    private record Segment(int urgent, String owed, boolean byDate) {}

    private static final Segment[] SEGMENTS = {
        new Segment(1, "owed_ms < ?", true), new Segment(0, "owed_ms < ?", true), new Segment(1, "owed_ms >= ?", true),
        new Segment(1, "owed_ms IS NULL", false), new Segment(0, "owed_ms >= ?", true), new Segment(0, "owed_ms IS NULL", false),
    };

    /** The segments that are overdue (for {@code overdue}: only those). */
    private static final int OVERDUE_SEGMENTS = 2;

    /**
     * Up to {@code limit} received rows (without envelopes: {@code columns} names NULL for it) after {@code after}
     * in the inbox's order, for this filter and viewer, read by {@code read}.
     */
    static <T> List<MessageStore.Listed<T>> inbox(Connection c, SqlDialect d, String columns, MessageStore.ListingFilter f, Instant now,
            MessageStore.Cursor after, int limit, SharedRows.RowReader<T> read) throws SQLException {
        List<MessageStore.Listed<T>> out = new ArrayList<>();
        int last = f.overdue() ? OVERDUE_SEGMENTS : SEGMENTS.length;
        for (int s = after == null ? 0 : after.segment(); s < last && out.size() < limit; s++) {
            Segment seg = SEGMENTS[s];
            List<Object> params = new ArrayList<>();
            StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(", received_ms, owed_ms, answered_ms FROM inbox")
                    .append(" WHERE urgent = ? AND ").append(seg.owed());
            params.add(seg.urgent());
            if (!seg.owed().endsWith("NULL")) {
                params.add(now.toEpochMilli());
            }
            if (after != null && after.segment() == s) {
                if (seg.byDate()) {
                    sql.append(" AND (owed_ms, received_ms, message_id, sender) > (?, ?, ?, ?)");
                    params.add(after.owed());
                } else {
                    sql.append(" AND (received_ms, message_id, sender) < (?, ?, ?)");
                }
                params.add(after.at());
                params.add(after.messageId());
                params.add(after.sender());
            }
            sql.append(filters(f, true, now, params)).append(visible(d, f.viewer(), "inbox", params));
            sql.append(seg.byDate() ? " ORDER BY owed_ms, received_ms, message_id, sender"
                    : " ORDER BY received_ms DESC, message_id DESC, sender DESC").append(" LIMIT ?");
            params.add(limit - out.size());
            try (PreparedStatement p = c.prepareStatement(sql.toString())) {
                bind(p, params);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        long owed = r.getLong("owed_ms");
                        boolean hasOwed = !r.wasNull();
                        long answered = r.getLong("answered_ms");
                        boolean isAnswered = !r.wasNull();
                        long at = r.getLong("received_ms");
                        T row = read.read(r);
                        out.add(new MessageStore.Listed<>(row, new MessageStore.Cursor(s, hasOwed ? owed : 0, at,
                                r.getString("message_id"), r.getString("sender")), isAnswered));
                    }
                }
            }
        }
        return out;
    }

    /** Up to {@code limit} sent rows after {@code after}, newest first, for this filter and viewer. */
    static <T> List<MessageStore.Listed<T>> sent(Connection c, SqlDialect d, String columns, MessageStore.ListingFilter f, Instant now,
            MessageStore.Cursor after, int limit, SharedRows.RowReader<T> read) throws SQLException {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(", created_ms, answered_ms FROM outbox")
                .append(" WHERE deleted_ms IS NULL AND created_ms IS NOT NULL");
        if (after != null) {
            sql.append(" AND (created_ms, message_id) < (?, ?)");
            params.add(after.at());
            params.add(after.messageId());
        }
        sql.append(filters(f, false, now, params)).append(visible(d, f.viewer(), "outbox", params))
                .append(" ORDER BY created_ms DESC, message_id DESC LIMIT ?");
        params.add(limit);
        List<MessageStore.Listed<T>> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            bind(p, params);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long answered = r.getLong("answered_ms");
                    boolean isAnswered = !r.wasNull();
                    long at = r.getLong("created_ms");
                    T row = read.read(r);
                    out.add(new MessageStore.Listed<>(row, new MessageStore.Cursor(0, 0, at, r.getString("message_id"), ""), isAnswered));
                }
            }
        }
        return out;
    }

    private static void bind(PreparedStatement p, List<Object> params) throws SQLException {
        int i = 1;
        for (Object o : params) {
            if (o instanceof Integer n) {
                p.setInt(i++, n);
            } else if (o instanceof Long n) {
                p.setLong(i++, n);
            } else {
                p.setString(i++, (String) o);
            }
        }
    }

    // ----- deadlines -----

    /** Whether a reply settled this message (received: one sealed here; sent: one received here). */
    static boolean answered(Connection c, UUID messageId, boolean received) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM " + (received ? "inbox" : "outbox")
                + " WHERE message_id = ? AND answered_ms IS NOT NULL")) {
            p.setString(1, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    /** The received requests overdue (the owed index holds all it reads). */
    static final String OVERDUE_RECEIVED = "SELECT COUNT(*) FROM inbox WHERE urgent IN (0, 1) AND owed_ms < ?";
    /** The sent requests overdue: read from {@link #OWED_SENT}'s index only (SQLite: covering). */
    static final String OVERDUE_SENT = "SELECT COUNT(*) FROM outbox WHERE answered_ms IS NULL AND deleted_ms IS NULL AND respond_ms < ?";

    /** How many messages are past their respond-by date without a reply (received: owed by this authority). */
    static long overdue(Connection c, Instant now, boolean received) throws SQLException {
        String sql = received ? OVERDUE_RECEIVED : OVERDUE_SENT;
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setLong(1, now.toEpochMilli());
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    /** Sent requests past their date without a reply whose passing is not recorded yet, the oldest date first. */
    static List<UUID> passed(Connection c, Instant now, int limit) throws SQLException {
        List<UUID> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT message_id FROM outbox WHERE answered_ms IS NULL AND respond_ms < ?"
                + " AND passed_ms IS NULL AND deleted_ms IS NULL ORDER BY respond_ms LIMIT ?")) {
            p.setLong(1, now.toEpochMilli());
            p.setInt(2, limit);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(UUID.fromString(r.getString(1)));
                }
            }
        }
        return out;
    }

    /** Records that these requests' passed deadlines were audited. */
    static void markPassed(Connection c, java.util.Collection<UUID> ids, Instant at) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET passed_ms = ? WHERE message_id = ? AND passed_ms IS NULL")) {
            for (UUID id : ids) {
                p.setLong(1, at.toEpochMilli());
                p.setString(2, id.toString());
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    // ----- retention -----

    /**
     * Up to {@code limit} rows (received: with envelopes) of a service (null: rows without one) stored at or
     * before {@code cutoff}, after the key {@code after} (time, id, sender), oldest first.
     */
    static <T> List<MessageStore.Listed<T>> stored(Connection c, boolean received, String columns, String service, Instant cutoff,
            MessageStore.Cursor after, int limit, SharedRows.RowReader<T> read) throws SQLException {
        String table = received ? "inbox" : "outbox";
        String time = received ? "received_ms" : "created_ms";
        String key = received ? "(" + time + ", message_id, sender)" : "(" + time + ", message_id)";
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(", ").append(time).append(" AS at_ms").append(received
                ? "" : ", '' AS sender").append(" FROM ").append(table).append(" WHERE deleted_ms IS NULL AND ")
                .append(service == null ? "service IS NULL" : "service = ?").append(" AND ").append(time).append(" <= ?");
        if (service != null) {
            params.add(service);
        }
        params.add(cutoff.toEpochMilli());
        if (after != null) {
            sql.append(" AND ").append(key).append(received ? " > (?, ?, ?)" : " > (?, ?)");
            params.add(after.at());
            params.add(after.messageId());
            if (received) {
                params.add(after.sender());
            }
        }
        sql.append(" ORDER BY ").append(key.substring(1, key.length() - 1)).append(" LIMIT ?");
        params.add(limit);
        List<MessageStore.Listed<T>> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            bind(p, params);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long at = r.getLong("at_ms");
                    String sender = r.getString("sender");
                    T row = read.read(r);
                    out.add(new MessageStore.Listed<>(row, new MessageStore.Cursor(0, 0, at, r.getString("message_id"), sender), false));
                }
            }
        }
        return out;
    }

    /** The oldest time stored of a service (null: rows without one), or null when it has none. */
    static Instant oldest(Connection c, boolean received, String service) throws SQLException {
        String time = received ? "received_ms" : "created_ms";
        try (PreparedStatement p = c.prepareStatement("SELECT MIN(" + time + ") FROM " + (received ? "inbox" : "outbox")
                + " WHERE deleted_ms IS NULL AND " + (service == null ? "service IS NULL" : "service = ?"))) {
            if (service != null) {
                p.setString(1, service);
            }
            try (ResultSet r = p.executeQuery()) {
                r.next();
                long v = r.getLong(1);
                return r.wasNull() ? null : Instant.ofEpochMilli(v);
            }
        }
    }

    // ----- rows stored before their listing was kept -----

    /** Up to {@code limit} rows stored before their listing was kept (LEGACY), after {@code after}, by key. */
    static <T> List<T> unlisted(Connection c, boolean received, String columns, MessageStore.Cursor after, int limit,
            SharedRows.RowReader<T> read) throws SQLException {
        List<Object> params = new ArrayList<>();
        StringBuilder sql = new StringBuilder("SELECT ").append(columns).append(" FROM ").append(received ? "inbox" : "outbox")
                .append(" WHERE deleted_ms IS NULL AND kept = 'LEGACY'");
        if (after != null) {
            sql.append(received ? " AND (sender, message_id) > (?, ?)" : " AND message_id > ?");
            if (received) {
                params.add(after.sender());
            }
            params.add(after.messageId());
        }
        sql.append(received ? " ORDER BY sender, message_id" : " ORDER BY message_id").append(" LIMIT ?");
        params.add(limit);
        List<T> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            bind(p, params);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(read.read(r));
                }
            }
        }
        return out;
    }
}
