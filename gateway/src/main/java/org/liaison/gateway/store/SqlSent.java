package org.liaison.gateway.store;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Cursor;
import org.liaison.gateway.store.MessageStore.Idempotent;
import org.liaison.gateway.store.MessageStore.Kept;
import org.liaison.gateway.store.MessageStore.Listed;
import org.liaison.gateway.store.MessageStore.ListingFilter;
import org.liaison.gateway.store.MessageStore.Outgoing;
import org.liaison.gateway.store.MessageStore.Sealed;

/** {@link SentStore} in SQL, the same on SQLite and PostgreSQL (the differences: {@link SqlDialect}). */
final class SqlSent implements SentStore {
    /** A sent row's columns, in the order {@link #read} reads them. */
    static final String COLUMNS = "message_id, created_at, expires_at, envelope, idempotency_key, blobs,"
            + " package_sha256, envelope_sha256, submitter, respond_by, " + SharedRows.SENT_COLUMNS + ", kept";
    /** As COLUMNS without the envelope: what a listing reads. */
    static final String LISTED = COLUMNS.replace(" envelope,", " NULL,");

    private final SqlDb db;

    SqlSent(SqlDb db) {
        this.db = db;
    }

    Outgoing read(ResultSet r) throws SQLException {
        Kept kept = Kept.valueOf(r.getString(16));
        return new Outgoing(UUID.fromString(r.getString(1)), db.instant(r, 2), db.instant(r, 3), r.getBytes(4), r.getString(5),
                db.blobs(r.getString(6)), r.getString(7), r.getString(8), r.getString(9), db.instant(r, 10), r.getString(11),
                kept == Kept.LISTED ? SharedRows.sealed(r, 11) : null, kept);
    }

    @Override
    public Optional<Idempotent> storeOutgoing(Outgoing o, List<AuthorityId> recipients, Instant now) {
        if (o.idempotencyKey() != null) {
            Optional<Idempotent> earlier = messageForIdempotencyKey(o.idempotencyKey());
            if (earlier.isPresent()) {
                return earlier;
            }
        }
        try {
            return db.transaction("store an outgoing message", c -> {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO outbox (message_id, created_at, expires_at, envelope,"
                        + " idempotency_key, blobs, package_sha256, envelope_sha256, submitter, respond_by, " + SharedRows.SENT_COLUMNS
                        + ", kept" + Listings.SENT_TIMES + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                        + Listings.SENT_TIMES_VALUES + ")");
                        PreparedStatement d = c.prepareStatement("INSERT INTO deliveries (message_id, recipient, state, attempts,"
                                + " next_attempt_at) VALUES (?, ?, 'QUEUED', 0, ?)");
                        PreparedStatement s = c.prepareStatement("DELETE FROM seals WHERE message_id = ?")) {
                    p.setString(1, o.messageId().toString());
                    p.setObject(2, db.time(o.createdAt()));
                    p.setObject(3, db.time(o.expiresAt()));
                    p.setBytes(4, o.envelope());
                    p.setString(5, o.idempotencyKey());
                    p.setString(6, db.stored(o.blobs()));
                    p.setString(7, o.packageSha256());
                    p.setString(8, o.envelopeSha256());
                    p.setString(9, o.submitter());
                    p.setObject(10, db.time(o.respondBy()));
                    p.setString(11, o.caseRef());
                    SharedRows.bindSealed(p, 12, o.sealed());
                    p.setString(16, o.kept().name());
                    Listings.bindSent(p, 17, o);
                    p.executeUpdate();
                    for (AuthorityId r : recipients) {
                        d.setString(1, o.messageId().toString());
                        d.setString(2, r.value());
                        d.setObject(3, db.time(now));
                        d.addBatch();
                    }
                    d.executeBatch();
                    Listings.stored(c, o);
                    s.setString(1, o.messageId().toString()); // its seal is finished: its folder is no orphan
                    s.executeUpdate();
                    return Optional.<Idempotent>empty();
                }
            });
        } catch (StoreException e) {
            // Another node stored a message under the same key between the check and the insert: that one is the message.
            if (o.idempotencyKey() != null && e.getCause() instanceof SQLException s && db.dialect.uniqueViolation(s)) {
                Optional<Idempotent> winner = messageForIdempotencyKey(o.idempotencyKey());
                if (winner.isPresent()) {
                    return winner;
                }
            }
            throw e;
        }
    }

    @Override
    public Optional<Outgoing> outgoing(UUID messageId) {
        return db.with("read the outbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM outbox WHERE message_id = ? AND deleted_ms IS NULL")) {
                p.setString(1, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(read(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean recordSealed(UUID messageId, Sealed sealed) {
        return db.transaction("record a sent message's listing", c -> SharedRows.recordSealed(c, messageId, sealed));
    }

    @Override
    public void recordSealed(Map<UUID, Sealed> rows) {
        db.transaction("record sent messages' listings", c -> {
            for (Map.Entry<UUID, Sealed> e : rows.entrySet()) {
                SharedRows.recordSealed(c, e.getKey(), e.getValue());
            }
            return null;
        });
    }

    @Override
    public List<Outgoing> sentAfter(Outgoing after, int limit) {
        return db.with("read the outbox", c -> SharedRows.page(c, SharedRows.sentAfter(COLUMNS, after == null),
                after == null ? List.of() : List.of(after.messageId().toString()), limit, this::read));
    }

    @Override
    public Optional<Idempotent> messageForIdempotencyKey(String key) {
        return db.with("read the outbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT message_id, package_sha256 FROM outbox WHERE idempotency_key = ?")) {
                p.setString(1, key);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(new Idempotent(UUID.fromString(r.getString(1)), r.getString(2))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean delete(UUID messageId, Instant at) {
        return db.with("delete a message", c -> {
            boolean deleted = SqlDialect.transaction(c, t -> SharedRows.delete(t, messageId, false, null, at));
            if (deleted) {
                db.dialect.afterDelete(c);
            }
            return deleted;
        });
    }

    @Override
    public List<Listed<Outgoing>> page(ListingFilter filter, Instant now, Cursor after, int limit) {
        return db.with("list sent messages", c -> Listings.sent(c, db.dialect, LISTED, filter, now, after, limit, this::read));
    }

    @Override
    public boolean answered(UUID messageId) {
        return db.with("read an answer", c -> Listings.answered(c, messageId, false));
    }

    @Override
    public long overdue(Instant now) {
        return db.with("count overdue requests", c -> Listings.overdue(c, now, false));
    }

    @Override
    public List<UUID> deadlinesPassed(Instant now, int limit) {
        return db.with("read passed deadlines", c -> Listings.passed(c, now, limit));
    }

    @Override
    public void deadlinesAudited(java.util.Collection<UUID> ids, Instant at) {
        db.transaction("record audited deadlines", c -> {
            Listings.markPassed(c, ids, at);
            return null;
        });
    }

    @Override
    public List<Listed<Outgoing>> upTo(String service, Instant cutoff, Cursor after, int limit) {
        return db.with("read the outbox", c -> Listings.stored(c, false, COLUMNS, service, cutoff, after, limit, this::read));
    }

    @Override
    public Instant oldest(String service) {
        return db.with("read the oldest message", c -> Listings.oldest(c, false, service));
    }

    @Override
    public List<Outgoing> unsealed(Cursor after, int limit) {
        return db.with("read the outbox", c -> Listings.unlisted(c, false, COLUMNS, after, limit, this::read));
    }

    @Override
    public void unreadable(List<Outgoing> rows) {
        db.transaction("mark unreadable rows", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE outbox SET kept = 'UNREADABLE' WHERE message_id = ? AND kept = 'LEGACY'")) {
                for (Outgoing o : rows) {
                    p.setString(1, o.messageId().toString());
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    @Override
    public List<Path> deletedBlobs() {
        return db.with("list deleted messages", c -> SharedRows.deletedBlobs(c, "outbox", db::blobs));
    }

    @Override
    public void blobsRemoved(List<Path> folders, Instant at) {
        if (!folders.isEmpty()) {
            db.transaction("record removed blob folders", c -> SharedRows.blobsRemoved(c, "outbox",
                    folders.stream().map(db::stored).toList(), at.toEpochMilli()));
        }
    }

    @Override
    public void sealing(UUID messageId, Instant at) {
        db.with("record a seal", c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO seals (message_id, started_ms) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                p.setString(1, messageId.toString());
                p.setLong(2, at.toEpochMilli());
                return p.executeUpdate();
            }
        });
    }

    @Override
    public void sealEnded(UUID messageId) {
        db.with("record a seal's end", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM seals WHERE message_id = ?")) {
                p.setString(1, messageId.toString());
                return p.executeUpdate();
            }
        });
    }

    @Override
    public List<UUID> unfinishedSeals(Instant before, int limit) {
        return db.with("read unfinished seals", c -> {
            List<UUID> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT message_id FROM seals WHERE started_ms < ? AND message_id <> ?"
                    + " ORDER BY started_ms LIMIT ?")) {
                p.setLong(1, before.toEpochMilli());
                p.setString(2, OUTBOX_SCAN);
                p.setInt(3, limit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(UUID.fromString(r.getString(1)));
                    }
                }
            }
            return out;
        });
    }

    /** The seal row that stands for the outbox folder's one look-through (SharedRows.aggregates puts it in). */
    static final String OUTBOX_SCAN = new UUID(0, 0).toString();

    @Override
    public boolean outboxScanDue() {
        return db.with("read the seals", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM seals WHERE message_id = ?")) {
                p.setString(1, OUTBOX_SCAN);
                try (ResultSet r = p.executeQuery()) {
                    return r.next();
                }
            }
        });
    }

    @Override
    public void outboxScanned() {
        sealEnded(UUID.fromString(OUTBOX_SCAN));
    }
}
