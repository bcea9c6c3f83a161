package org.liaison.gateway.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Notice;
import org.liaison.gateway.store.MessageStore.Stage;
import org.liaison.gateway.store.MessageStore.State;
import org.liaison.gateway.store.MessageStore.Transition;

/**
 * {@link NoticeStore} in SQL, the same on SQLite and PostgreSQL: stages in the {@code notices} table (times as
 * epoch milliseconds); a notice to send ({@code outgoing = 1}) goes through the same state machine and leases
 * as a delivery ({@link Leases}), its holder recorded on both.
 */
final class SqlNotices implements NoticeStore {
    private static final String STAGE_COLUMNS = "message_id, party, stage, at_ms, reason, xml, delivered_ms, note";
    private static final String NOTICE_COLUMNS = STAGE_COLUMNS + ", state, attempts, next_ms, last_error";
    static final Leases.Table TABLE = new Leases.Table("notices", List.of("message_id", "party", "stage"), " AND outgoing = 1",
            "next_ms", "delivered_ms", "lease_ms", true, i -> i == null ? null : i.toEpochMilli());

    private final SqlDb db;

    SqlNotices(SqlDb db) {
        this.db = db;
    }

    private static Instant ms(ResultSet r, int column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static Stage stage(ResultSet r) throws SQLException {
        return new Stage(UUID.fromString(r.getString(1)), AuthorityId.of(r.getString(2)), r.getString(3), Instant.ofEpochMilli(r.getLong(4)),
                r.getString(5), r.getBytes(6), ms(r, 7), r.getString(8));
    }

    private static Notice notice(ResultSet r) throws SQLException {
        return new Notice(stage(r), State.valueOf(r.getString(9)), r.getInt(10), ms(r, 11), r.getString(12));
    }

    private static List<String> key(Stage s) {
        return List.of(s.messageId().toString(), s.party().value(), s.stage());
    }

    @Override
    public boolean recordStage(Stage s, boolean outgoing, Instant now) {
        return db.with("record a stage", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO notices (message_id, party, stage, outgoing, at_ms, reason, xml,"
                    + " next_ms, state, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                p.setString(1, s.messageId().toString());
                p.setString(2, s.party().value());
                p.setString(3, s.stage());
                p.setInt(4, outgoing ? 1 : 0);
                p.setLong(5, s.at().toEpochMilli());
                p.setString(6, s.reason());
                p.setBytes(7, s.xml());
                if (outgoing) {
                    p.setLong(8, now.toEpochMilli());
                    p.setString(9, State.QUEUED.name());
                } else {
                    p.setNull(8, java.sql.Types.BIGINT);
                    p.setNull(9, java.sql.Types.VARCHAR); // a stage told by a recipient: nothing to send
                }
                p.setString(10, s.note());
                return p.executeUpdate() == 1;
            }
        });
    }

    @Override
    public List<Stage> stages(UUID messageId, boolean outgoing) {
        return stages(List.of(messageId), outgoing).getOrDefault(messageId, List.of());
    }

    @Override
    public java.util.Map<UUID, List<Stage>> stages(java.util.Collection<UUID> messageIds, boolean outgoing) {
        java.util.Map<UUID, List<Stage>> out = new java.util.HashMap<>();
        if (messageIds.isEmpty()) {
            return out;
        }
        return db.with("read stages", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + STAGE_COLUMNS + " FROM notices WHERE message_id IN ("
                    + SqlDialect.placeholders(messageIds.size()) + ") AND outgoing = ? ORDER BY message_id, at_ms")) {
                int i = 1;
                for (UUID id : messageIds) {
                    p.setString(i++, id.toString());
                }
                p.setInt(i, outgoing ? 1 : 0);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        Stage s = stage(r);
                        out.computeIfAbsent(s.messageId(), k -> new ArrayList<>()).add(s);
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<Notice> due(Instant now, int limit) {
        return db.with("read notices", c -> {
            List<Notice> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT " + NOTICE_COLUMNS + " FROM notices WHERE outgoing = 1"
                    + " AND state IN ('QUEUED', 'RETRYING') AND next_ms <= ? ORDER BY next_ms LIMIT ?" + db.dialect.skipLocked)) {
                p.setLong(1, now.toEpochMilli());
                p.setInt(2, limit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(notice(r));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Optional<Notice> notice(Stage s) {
        return db.with("read a notice", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + NOTICE_COLUMNS + " FROM notices WHERE " + TABLE.where())) {
                int i = 1;
                for (String k : key(s)) {
                    p.setString(i++, k);
                }
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(notice(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean transition(Stage notice, State from, Transition t) {
        return db.with("update a notice", c -> Leases.transition(c, TABLE, key(notice), from, t, db.nodeId));
    }

    @Override
    public int recoverExpiredLeases(Instant now, Set<String> inFlight) {
        return db.with("recover notice leases", c -> Leases.recoverExpired(c, TABLE, now, inFlight, db.nodeId));
    }

    @Override
    public int recoverInterrupted(Instant now) {
        return db.with("recover notices", c -> Leases.recoverInterrupted(c, TABLE, now, db.nodeId));
    }
}
