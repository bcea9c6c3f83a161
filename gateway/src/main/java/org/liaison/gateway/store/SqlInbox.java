package org.liaison.gateway.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Cursor;
import org.liaison.gateway.store.MessageStore.Filled;
import org.liaison.gateway.store.MessageStore.Kept;
import org.liaison.gateway.store.MessageStore.Listed;
import org.liaison.gateway.store.MessageStore.Listing;
import org.liaison.gateway.store.MessageStore.ListingFilter;
import org.liaison.gateway.store.MessageStore.ProtectedFile;
import org.liaison.gateway.store.MessageStore.Received;
import org.liaison.gateway.store.MessageStore.Stored;

/** {@link InboxStore} in SQL, the same on SQLite and PostgreSQL (the differences: {@link SqlDialect}). */
final class SqlInbox implements InboxStore {
    /** A received row's columns, in the order {@link #read} reads them. */
    static final String COLUMNS = "sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, quarantine, "
            + SharedRows.LISTING_COLUMNS + ", kept";
    /** As COLUMNS without the envelope: what a listing reads. */
    static final String LISTED = COLUMNS.replace(" envelope,", " NULL,");

    private final SqlDb db;

    SqlInbox(SqlDb db) {
        this.db = db;
    }

    Received read(ResultSet r) throws SQLException {
        Kept kept = Kept.valueOf(r.getString(19));
        return new Received(AuthorityId.of(r.getString(1)), UUID.fromString(r.getString(2)), db.instant(r, 3), r.getBytes(4),
                r.getString(5), r.getBytes(6), db.blobs(r.getString(7)), r.getString(8), r.getString(9),
                kept == Kept.LISTED ? SharedRows.listing(r, 9) : null, kept);
    }

    @Override
    public Optional<byte[]> receiptFor(AuthorityId sender, UUID messageId) {
        return db.with("read the inbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT receipt FROM inbox WHERE sender = ? AND message_id = ?")) {
                p.setString(1, sender.value());
                p.setString(2, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    /** Answered from the primary key's index (sender, message_id): the row is not read. */
    static final String HOLDS = "SELECT 1 FROM inbox WHERE sender = ? AND message_id = ?";

    @Override
    public boolean holds(AuthorityId sender, UUID messageId) {
        return db.with("read the inbox", c -> {
            try (PreparedStatement p = c.prepareStatement(HOLDS)) {
                p.setString(1, sender.value());
                p.setString(2, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next();
                }
            }
        });
    }

    @Override
    public Stored storeReceived(Received m) {
        return db.transaction("store a received message", c -> storeReceived(c, m));
    }

    /**
     * As {@link #storeReceived(Received)}, on {@code c}: a connection to this store's database, in the caller's
     * transaction (the shared audit log's append of the reception, committed with it) or its own.
     */
    Stored storeReceived(Connection c, Received m) throws SQLException {
        return SqlDialect.transaction(c, t -> {
            try (PreparedStatement p = t.prepareStatement("INSERT INTO inbox (" + SharedRows.RECEIVED_COLUMNS + ") VALUES ("
                    + SharedRows.RECEIVED_VALUES + ") ON CONFLICT DO NOTHING")) {
                SharedRows.bindReceived(p, m, db.time(m.receivedAt()), db.stored(m.blobs()));
                if (p.executeUpdate() == 1) {
                    Listings.received(t, m); // a reply settles its request, in the same transaction
                    return Stored.STORED;
                }
            }
            // Not inserted: the same sender's message (primary key) or another sender's id (unique index).
            try (PreparedStatement p = t.prepareStatement("SELECT 1 FROM inbox WHERE sender = ? AND message_id = ?")) {
                p.setString(1, m.sender().value());
                p.setString(2, m.messageId().toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Stored.DUPLICATE : Stored.ID_CONFLICT;
                }
            }
        });
    }

    @Override
    public List<Received> receivedAfter(Received after, int limit) {
        return db.with("read the inbox", c -> SharedRows.page(c, SharedRows.receivedAfter(COLUMNS, after == null),
                after == null ? List.of() : List.of(after.sender().value(), after.messageId().toString()), limit, this::read));
    }

    @Override
    public List<Received> listedAfter(Received after, int limit) {
        return db.with("read the inbox", c -> SharedRows.page(c, SharedRows.receivedAfter(LISTED, after == null),
                after == null ? List.of() : List.of(after.sender().value(), after.messageId().toString()), limit, this::read));
    }

    @Override
    public boolean recordListing(AuthorityId sender, UUID messageId, String caseRef, Listing listing) {
        return db.transaction("record a message's listing", c -> SharedRows.recordListing(c, sender, messageId, caseRef, listing));
    }

    @Override
    public void recordListings(List<Filled> rows) {
        db.transaction("record listings", c -> {
            for (Filled f : rows) {
                SharedRows.recordListing(c, f.sender(), f.messageId(), f.caseRef(), f.listing());
            }
            return null;
        });
    }

    @Override
    public Optional<Received> received(UUID messageId) {
        return db.with("read the inbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + COLUMNS + " FROM inbox WHERE message_id = ? AND deleted_ms IS NULL"
                    + " ORDER BY quarantine IS NOT NULL, received_at LIMIT 1")) {
                p.setString(1, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(read(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean quarantine(UUID messageId, String reason) {
        return db.with("quarantine a message", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE inbox SET quarantine = ?" + Listings.SET_ASIDE
                    + " WHERE message_id = ? AND quarantine IS NULL")) {
                p.setString(1, reason);
                p.setString(2, messageId.toString());
                return p.executeUpdate() > 0;
            }
        });
    }

    @Override
    public boolean delete(UUID messageId, Instant at) {
        return delete(messageId, null, at);
    }

    @Override
    public boolean delete(AuthorityId sender, UUID messageId, Instant at) {
        return delete(messageId, java.util.Objects.requireNonNull(sender, "sender"), at);
    }

    private boolean delete(UUID messageId, AuthorityId sender, Instant at) {
        return db.with("delete a message", c -> {
            boolean deleted = SqlDialect.transaction(c, t -> SharedRows.delete(t, messageId, true, sender, at));
            if (deleted) {
                db.dialect.afterDelete(c);
            }
            return deleted;
        });
    }

    @Override
    public List<Listed<Received>> page(ListingFilter filter, Instant now, Cursor after, int limit) {
        return db.with("list the inbox", c -> Listings.inbox(c, db.dialect, LISTED, filter, now, after, limit, this::read));
    }

    @Override
    public boolean answered(UUID messageId) {
        return db.with("read an answer", c -> Listings.answered(c, messageId, true));
    }

    @Override
    public long overdue(Instant now) {
        return db.with("count overdue requests", c -> Listings.overdue(c, now, true));
    }

    @Override
    public List<Listed<Received>> upTo(String service, Instant cutoff, Cursor after, int limit) {
        return db.with("read the inbox", c -> Listings.stored(c, true, COLUMNS, service, cutoff, after, limit, this::read));
    }

    @Override
    public Instant oldest(String service) {
        return db.with("read the oldest message", c -> Listings.oldest(c, true, service));
    }

    @Override
    public List<Received> unlisted(Cursor after, int limit) {
        return db.with("read the inbox", c -> Listings.unlisted(c, true, COLUMNS, after, limit, this::read));
    }

    @Override
    public void unreadable(List<Received> rows) {
        db.transaction("mark unreadable rows", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE inbox SET kept = 'UNREADABLE' WHERE sender = ? AND message_id = ?"
                    + " AND kept = 'LEGACY'")) {
                for (Received r : rows) {
                    p.setString(1, r.sender().value());
                    p.setString(2, r.messageId().toString());
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    @Override
    public void keepProtected(UUID messageId, AuthorityId sender, List<String> sha256) {
        db.with("keep protected files' digests", c -> SharedRows.keepProtected(c, messageId, sender, sha256));
    }

    @Override
    public List<ProtectedFile> protectedFiles() {
        return db.with("read protected files' digests", SharedRows::protectedFiles);
    }

    @Override
    public List<Path> deletedBlobs() {
        return db.with("list deleted messages", c -> SharedRows.deletedBlobs(c, "inbox", db::blobs));
    }

    @Override
    public void blobsRemoved(List<Path> folders, Instant at) {
        if (!folders.isEmpty()) {
            db.transaction("record removed blob folders", c -> SharedRows.blobsRemoved(c, "inbox",
                    folders.stream().map(db::stored).toList(), at.toEpochMilli()));
        }
    }
}
