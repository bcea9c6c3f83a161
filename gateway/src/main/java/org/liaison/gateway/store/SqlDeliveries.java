package org.liaison.gateway.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Delivery;
import org.liaison.gateway.store.MessageStore.State;
import org.liaison.gateway.store.MessageStore.Transition;

/**
 * {@link DeliveryStore} in SQL, the same on SQLite and PostgreSQL. Deliveries are claimed by a conditional
 * update (QUEUED or RETRYING to SENDING, with a lease deadline and, on PostgreSQL, the claiming node's id):
 * of two nodes that race for one delivery, exactly one claims it; a node that dies holding leases loses them
 * when they expire, and another node takes the deliveries over ({@link Leases}).
 */
final class SqlDeliveries implements DeliveryStore {
    static final String COLUMNS = "message_id, recipient, state, attempts, next_attempt_at, last_error, receipt, delivered_at";

    private final SqlDb db;
    private final Leases.Table table;
    /** Read by a delivery pass for each recipient with something due; rows another node is claiming are skipped. */
    private final String dueForRecipient;

    /** {@code holder}: whether the deliveries table records the lease holder (leased_by). */
    SqlDeliveries(SqlDb db, boolean holder) {
        this.db = db;
        this.table = new Leases.Table("deliveries", List.of("message_id", "recipient"), "", "next_attempt_at", "delivered_at",
                "lease_until", holder, db::time);
        this.dueForRecipient = SharedRows.dueForRecipient(COLUMNS, db.dialect.skipLocked);
    }

    private Delivery read(ResultSet r) throws SQLException {
        return new Delivery(UUID.fromString(r.getString(1)), AuthorityId.of(r.getString(2)), State.valueOf(r.getString(3)),
                r.getInt(4), db.instant(r, 5), r.getString(6), r.getBytes(7), db.instant(r, 8));
    }

    private List<Delivery> deliveries(String sql, Object... args) {
        return db.with("read deliveries", c -> {
            List<Delivery> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    p.setObject(i + 1, args[i]);
                }
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(read(r));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public List<Delivery> dueDeliveries(Instant now, int limit) {
        // Rows another node is claiming right now are skipped rather than waited for; the claim itself is
        // the conditional update in transition(), which exactly one node wins.
        return deliveries("SELECT " + COLUMNS + " FROM deliveries WHERE state IN ('QUEUED', 'RETRYING') AND next_attempt_at <= ?"
                + " ORDER BY next_attempt_at LIMIT ?" + db.dialect.skipLocked, db.time(now), limit);
    }

    @Override
    public List<AuthorityId> recipientsDue(Instant now) {
        return db.with("read deliveries", c -> SharedRows.recipientsDue(c, db.time(now)));
    }

    @Override
    public List<Delivery> dueDeliveries(Instant now, AuthorityId recipient, int limit) {
        Object at = db.time(now);
        return deliveries(dueForRecipient, recipient.value(), at, limit, recipient.value(), at, limit, limit);
    }

    /** The SQL a delivery pass reads for one recipient (for the plan test). */
    String dueForRecipient() {
        return dueForRecipient;
    }

    @Override
    public List<Delivery> of(UUID messageId) {
        return deliveries("SELECT " + COLUMNS + " FROM deliveries WHERE message_id = ? ORDER BY recipient", messageId.toString());
    }

    @Override
    public java.util.Map<UUID, List<Delivery>> of(java.util.Collection<UUID> messageIds) {
        java.util.Map<UUID, List<Delivery>> out = new java.util.HashMap<>();
        if (!messageIds.isEmpty()) {
            for (Delivery d : deliveries("SELECT " + COLUMNS + " FROM deliveries WHERE message_id IN (" + SqlDialect.placeholders(
                    messageIds.size()) + ") ORDER BY message_id, recipient", messageIds.stream().map(UUID::toString).toArray())) {
                out.computeIfAbsent(d.messageId(), k -> new ArrayList<>()).add(d);
            }
        }
        return out;
    }

    @Override
    public boolean transition(UUID messageId, AuthorityId recipient, State from, Transition t) {
        return db.with("update a delivery", c -> Leases.transition(c, table, List.of(messageId.toString(), recipient.value()), from, t,
                db.nodeId));
    }

    @Override
    public int recoverExpiredLeases(Instant now, Set<String> inFlight) {
        return db.with("recover delivery leases", c -> Leases.recoverExpired(c, table, now, inFlight, db.nodeId));
    }

    @Override
    public void renewLeases(Set<String> inFlight, Instant until) {
        db.with("renew delivery leases", c -> {
            Leases.renew(c, table, inFlight, until, db.nodeId);
            return null;
        });
    }

    @Override
    public int retryNow(AuthorityId recipient, Instant now) {
        return db.with("update deliveries", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET next_attempt_at = ? WHERE recipient = ?"
                    + " AND state = 'RETRYING' AND next_attempt_at > ?")) {
                p.setObject(1, db.time(now));
                p.setString(2, recipient.value());
                p.setObject(3, db.time(now));
                return p.executeUpdate();
            }
        });
    }

    @Override
    public List<AuthorityId> recipientsWaiting(Instant after) {
        return db.with("read deliveries", c -> {
            List<AuthorityId> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT recipient FROM deliveries WHERE state = 'RETRYING'"
                    + " AND next_attempt_at > ?")) {
                p.setObject(1, db.time(after));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(AuthorityId.of(r.getString(1)));
                    }
                }
            }
            return out;
        });
    }

    /** One statement on the counts the database keeps ({@link DeliveryCounts}), never a count of the deliveries. */
    @Override
    public Map<State, Long> countByState() {
        return db.with("count deliveries", c -> DeliveryCounts.read(c, db.dialect));
    }

    @Override
    public int recoverInterrupted(Instant now) {
        return db.with("recover deliveries", c -> Leases.recoverInterrupted(c, table, now, db.nodeId));
    }
}
