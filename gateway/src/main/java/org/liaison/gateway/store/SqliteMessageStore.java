package org.liaison.gateway.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;

/**
 * {@link MessageStore} on an embedded SQLite database in WAL mode with {@code synchronous=FULL}:
 * a committed transaction survives a crash or power loss. One connection, serialized (SQLite
 * allows one writer at a time anyway). Schema versions are applied in order at open
 * ({@code PRAGMA user_version}).
 */
public final class SqliteMessageStore implements MessageStore {
    private static final String[] MIGRATIONS = {
        // 1: inbox, outbox, deliveries
        "CREATE TABLE inbox (sender TEXT NOT NULL, message_id TEXT NOT NULL, received_at TEXT NOT NULL, envelope BLOB NOT NULL,"
            + " envelope_sha256 TEXT NOT NULL, receipt BLOB NOT NULL, blobs TEXT NOT NULL, PRIMARY KEY (sender, message_id));"
            + "CREATE TABLE outbox (message_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,"
            + " envelope BLOB NOT NULL, idempotency_key TEXT UNIQUE, blobs TEXT NOT NULL);"
            + "CREATE TABLE deliveries (message_id TEXT NOT NULL REFERENCES outbox(message_id), recipient TEXT NOT NULL,"
            + " state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, last_error TEXT, receipt BLOB,"
            + " delivered_at TEXT, PRIMARY KEY (message_id, recipient));"
            + "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);",
        // 2: message ids unique among held messages whoever sent them (a second one from another sender,
        // possible before, is set aside); quarantine; the package digest behind an idempotency key
        "ALTER TABLE inbox ADD COLUMN quarantine TEXT;"
            + "UPDATE inbox SET quarantine = 'a second message with this id from another sender (set aside by store migration 2)'"
            + " WHERE rowid NOT IN (SELECT MIN(rowid) FROM inbox GROUP BY message_id);"
            + "CREATE UNIQUE INDEX inbox_message_id ON inbox (message_id) WHERE quarantine IS NULL;"
            + "ALTER TABLE outbox ADD COLUMN package_sha256 TEXT;",
        // 3: the SHA-256 of each outgoing envelope, checked whenever it is read (rows from before: not checked)
        "ALTER TABLE outbox ADD COLUMN envelope_sha256 TEXT;",
        // 4: a delivery being sent is leased until a deadline
        "ALTER TABLE deliveries ADD COLUMN lease_until TEXT;",
        // 5: who submitted each outgoing message (investigators see their own)
        "ALTER TABLE outbox ADD COLUMN submitter TEXT;",
        // 6: when the sender asked for an answer (from the signed manifest; null: no date)
        "ALTER TABLE outbox ADD COLUMN respond_by TEXT;",
        // 7: stages of messages (notices received and to send); deletions (the envelope destroyed, digests kept)
        SharedRows.migration("BLOB"),
        // 8: due deliveries by recipient (a delivery pass reads what it can start, not the backlog)
        SharedRows.DUE_BY_RECIPIENT,
        // 9: the listing fields of received messages in columns (listings read rows, not envelopes)
        SharedRows.LISTING + "CREATE INDEX inbox_by_received ON inbox (received_at);",
        // 10: times, answers and what is owed in columns; the indexes that make listings, deadlines and retention pages
        // (milliseconds from the ISO text as Java wrote it, truncated as Instant.toEpochMilli does: SQLite's %f rounds)
        Listings.migration(c -> "CAST(strftime('%s', substr(" + c + ", 1, 19)) AS INTEGER) * 1000 + CASE WHEN instr(" + c + ", '.') > 0"
                + " THEN CAST(substr(substr(replace(" + c + ", 'Z', ''), instr(" + c + ", '.') + 1) || '000', 1, 3) AS INTEGER) ELSE 0 END"),
    };

    private final Connection db;
    /** Blob paths are kept relative to this folder (the store's own), so that a restored copy works anywhere. */
    private final Path base;
    private final BatchingConnection batches;

    private SqliteMessageStore(Connection db, Path base) {
        this.batches = BatchingConnection.wrap(db);
        this.db = batches.connection();
        this.base = base;
    }

    /**
     * Runs store calls in one transaction, committed together or not at all (a bulk load, such as
     * {@code scripts/bench-history}'s seeding: one commit, and one fsync, per batch instead of per row).
     */
    public synchronized void inOneTransaction(Runnable calls) {
        try {
            batches.inOneTransaction(calls);
        } catch (SQLException e) {
            throw new StoreException("cannot commit a batch: " + e.getMessage(), e);
        }
    }

    public static SqliteMessageStore open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA secure_delete=ON"); // a deleted envelope's bytes are overwritten, not left in free pages
            }
            int was = migrate(c);
            Path base = file.toAbsolutePath().getParent();
            if (was < MIGRATIONS.length) {
                // Once, when a store written by an earlier version is migrated: this reads every row (and, past the
                // envelope column, their pages): a cost of the node's whole history at every start otherwise.
                relativizeBlobPaths(c, base);
            }
            return new SqliteMessageStore(c, base);
        } catch (SQLException | java.io.IOException e) {
            throw new StoreException("cannot open the message store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Applies the migrations the store lacks; returns its version before. */
    private static int migrate(Connection c) throws SQLException {
        int version;
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA user_version")) {
            version = r.getInt(1);
        }
        if (version > MIGRATIONS.length) {
            throw new SQLException("the store is at schema version " + version + ", newer than this program knows ("
                    + MIGRATIONS.length + "); run a newer Liaison");
        }
        for (int v = version; v < MIGRATIONS.length; v++) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String sql : MIGRATIONS[v].split(";")) {
                    if (!sql.isBlank()) {
                        s.execute(sql);
                    }
                }
                s.execute("PRAGMA user_version=" + (v + 1));
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        return version;
    }

    /** Rows written by earlier versions hold absolute blob paths: those under {@code base} become relative. */
    private static void relativizeBlobPaths(Connection c, Path base) throws SQLException {
        String prefix = base.toString().endsWith("/") ? base.toString() : base + "/";
        for (String table : new String[] {"inbox", "outbox"}) {
            try (PreparedStatement p = c.prepareStatement("UPDATE " + table + " SET blobs = substr(blobs, ?) WHERE substr(blobs, 1, ?) = ?")) {
                p.setInt(1, prefix.length() + 1);
                p.setInt(2, prefix.length());
                p.setString(3, prefix);
                p.executeUpdate();
            }
        }
    }

    private String stored(Path blobs) {
        Path abs = blobs.toAbsolutePath().normalize();
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }

    private Path blobs(String stored) {
        return base.resolve(stored);
    }

    @Override
    public synchronized Optional<byte[]> receiptFor(AuthorityId sender, UUID messageId) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("SELECT receipt FROM inbox WHERE sender = ? AND message_id = ?")) {
            p.setString(1, sender.value());
            p.setString(2, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the inbox", e);
        }
    }

    @Override
    public synchronized Stored storeReceived(Received m) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("INSERT OR IGNORE INTO inbox (" + SharedRows.RECEIVED_COLUMNS + ") VALUES ("
                + SharedRows.RECEIVED_VALUES + ")")) {
            SharedRows.bindReceived(p, m, m.receivedAt().toString(), stored(m.blobs()));
            boolean reply = m.listing() != null && m.listing().inReplyTo() != null;
            if (reply) {
                db.setAutoCommit(false); // the reply and the request it settles, in one transaction
            }
            try {
                if (p.executeUpdate() == 1) {
                    Listings.received(db, m);
                    if (reply) {
                        db.commit();
                    }
                    return Stored.STORED;
                }
                if (reply) {
                    db.rollback();
                }
            } catch (SQLException | RuntimeException e) {
                if (reply) {
                    db.rollback();
                }
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
            // Ignored: the same sender's message (primary key) or another sender's id (unique index).
            return receiptFor(m.sender(), m.messageId()).isPresent() ? Stored.DUPLICATE : Stored.ID_CONFLICT;
        } catch (SQLException e) {
            throw new StoreException("cannot store a received message", e);
        }
    }

    private static final String RECEIVED_COLUMNS = "sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, quarantine, "
            + SharedRows.LISTING_COLUMNS;
    /** As RECEIVED_COLUMNS without the envelope: what a listing reads. */
    private static final String LISTED_COLUMNS = RECEIVED_COLUMNS.replace(" envelope,", " NULL,");

    private Received received(ResultSet r) throws SQLException {
        return new Received(AuthorityId.of(r.getString(1)), UUID.fromString(r.getString(2)), Instant.parse(r.getString(3)),
                r.getBytes(4), r.getString(5), r.getBytes(6), blobs(r.getString(7)), r.getString(8), r.getString(9), SharedRows.listing(r, 9));
    }

    @Override
    public synchronized List<Received> receivedAfter(Received after, int limit) {
        return run("read the inbox", c -> SharedRows.page(c, SharedRows.receivedAfter(RECEIVED_COLUMNS, after == null),
                after == null ? List.of() : List.of(after.sender().value(), after.messageId().toString()), limit, this::received));
    }

    @Override
    public synchronized List<Received> listedAfter(Received after, int limit) {
        return run("read the inbox", c -> SharedRows.page(c, SharedRows.receivedAfter(LISTED_COLUMNS, after == null),
                after == null ? List.of() : List.of(after.sender().value(), after.messageId().toString()), limit, this::received));
    }

    @Override
    public synchronized boolean recordListing(AuthorityId sender, UUID messageId, String caseRef, Listing listing) {
        return run("record a message's listing", c -> SharedRows.recordListing(c, sender, messageId, caseRef, listing));
    }

    @Override
    public synchronized Optional<Received> received(UUID messageId) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("SELECT " + RECEIVED_COLUMNS + " FROM inbox WHERE message_id = ?"
                + " AND deleted_ms IS NULL ORDER BY quarantine IS NOT NULL, received_at LIMIT 1")) {
            p.setString(1, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(received(r)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the inbox", e);
        }
    }

    @Override
    public synchronized boolean quarantine(UUID messageId, String reason) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("UPDATE inbox SET quarantine = ?" + Listings.SET_ASIDE
                + " WHERE message_id = ? AND quarantine IS NULL")) {
            p.setString(1, reason);
            p.setString(2, messageId.toString());
            return p.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new StoreException("cannot quarantine a message", e);
        }
    }

    @Override
    public synchronized boolean recordStage(Stage stage, boolean outgoing) {
        return run("record a stage", c -> SharedRows.recordStage(c, stage, outgoing, Instant.now()));
    }

    @Override
    public synchronized List<Stage> stages(UUID messageId, boolean outgoing) {
        return run("read stages", c -> SharedRows.stages(c, messageId, outgoing));
    }

    @Override
    public synchronized List<Stage> noticesDue(Instant now, int limit) {
        return run("read notices", c -> SharedRows.noticesDue(c, now, limit));
    }

    @Override
    public synchronized void noticeAttempted(Stage notice, Instant deliveredAt, Instant next) {
        run("record a notice's attempt", c -> SharedRows.noticeAttempted(c, notice, deliveredAt, next));
    }

    @Override
    public synchronized boolean delete(UUID messageId, boolean received, Instant at) {
        return delete(messageId, received, null, at);
    }

    @Override
    public synchronized boolean deleteReceived(AuthorityId sender, UUID messageId, Instant at) {
        return delete(messageId, true, java.util.Objects.requireNonNull(sender, "sender"), at);
    }

    private boolean delete(UUID messageId, boolean received, AuthorityId sender, Instant at) {
        boolean deleted = run("delete a message", c -> {
            c.setAutoCommit(false);
            try {
                boolean d = SharedRows.delete(c, messageId, received, sender, at);
                c.commit();
                return d;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
        if (deleted) {
            // The write-ahead log still holds the envelope's page as it was: copied back and emptied now.
            run("checkpoint the store", c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                }
                return null;
            });
        }
        return deleted;
    }

    @Override
    public synchronized List<UUID> messagesOfCase(String caseRef, boolean received, boolean untagged) {
        return run("find a case's messages", c -> SharedRows.messagesOfCase(c, caseRef, received, untagged));
    }

    @Override
    public synchronized Optional<String> caseOf(UUID messageId, boolean received) {
        return run("read a message's case", c -> SharedRows.caseOf(c, messageId, received));
    }

    @Override
    public synchronized boolean assign(Assignment assignment) {
        return run("assign a case", c -> SharedRows.assign(c, assignment));
    }

    @Override
    public synchronized boolean unassign(String caseRef, String person) {
        return run("take a person off a case", c -> SharedRows.unassign(c, caseRef, person));
    }

    @Override
    public synchronized List<Assignment> assignments() {
        return run("read case assignments", SharedRows::assignments);
    }

    @Override
    public synchronized void keepProtected(UUID messageId, AuthorityId sender, List<String> sha256) {
        run("keep protected files' digests", c -> SharedRows.keepProtected(c, messageId, sender, sha256));
    }

    @Override
    public synchronized List<ProtectedFile> protectedFiles() {
        return run("read protected files' digests", SharedRows::protectedFiles);
    }

    @Override
    public synchronized List<Path> deletedBlobs() {
        return run("list deleted messages", c -> SharedRows.deletedBlobs(c, this::blobs));
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T run(String what, Work<T> w) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try {
            return w.run(db);
        } catch (SQLException e) {
            throw new StoreException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<Idempotent> storeOutgoing(Outgoing o, List<AuthorityId> recipients, Instant now) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        if (o.idempotencyKey() != null) {
            Optional<Idempotent> earlier = messageForIdempotencyKey(o.idempotencyKey());
            if (earlier.isPresent()) {
                return earlier;
            }
        }
        try {
            db.setAutoCommit(false);
            try (PreparedStatement p = db.prepareStatement("INSERT INTO outbox (message_id, created_at, expires_at, envelope,"
                    + " idempotency_key, blobs, package_sha256, envelope_sha256, submitter, respond_by, " + SharedRows.SENT_COLUMNS + ")"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                    PreparedStatement d = db.prepareStatement("INSERT INTO deliveries (message_id, recipient, state, attempts,"
                            + " next_attempt_at) VALUES (?, ?, 'QUEUED', 0, ?)")) {
                p.setString(1, o.messageId().toString());
                p.setString(2, o.createdAt().toString());
                p.setString(3, o.expiresAt().toString());
                p.setBytes(4, o.envelope());
                p.setString(5, o.idempotencyKey());
                p.setString(6, stored(o.blobs()));
                p.setString(7, o.packageSha256());
                p.setString(8, o.envelopeSha256());
                p.setString(9, o.submitter());
                p.setString(10, o.respondBy() == null ? null : o.respondBy().toString());
                p.setString(11, o.caseRef());
                SharedRows.bindSealed(p, 12, o.sealed());
                p.executeUpdate();
                for (AuthorityId r : recipients) {
                    d.setString(1, o.messageId().toString());
                    d.setString(2, r.value());
                    d.setString(3, now.toString());
                    d.executeUpdate();
                }
                Listings.stored(db, o);
                db.commit();
                return Optional.empty();
            } catch (SQLException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new StoreException("cannot store an outgoing message: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Optional<Outgoing> outgoing(UUID messageId) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("SELECT " + OUTGOING_COLUMNS + " FROM outbox WHERE message_id = ? AND deleted_ms IS NULL")) {
            p.setString(1, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(outgoingRow(r)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the outbox", e);
        }
    }

    @Override
    public synchronized List<Outgoing> sentAfter(Outgoing after, int limit) {
        return run("read the outbox", c -> SharedRows.page(c, SharedRows.sentAfter(OUTGOING_COLUMNS, after == null),
                after == null ? List.of() : List.of(after.messageId().toString()), limit, this::outgoingRow));
    }

    private static final String OUTGOING_COLUMNS = "message_id, created_at, expires_at, envelope, idempotency_key, blobs,"
            + " package_sha256, envelope_sha256, submitter, respond_by, " + SharedRows.SENT_COLUMNS;

    private Outgoing outgoingRow(ResultSet r) throws SQLException {
        return new Outgoing(UUID.fromString(r.getString(1)), Instant.parse(r.getString(2)), Instant.parse(r.getString(3)),
                r.getBytes(4), r.getString(5), blobs(r.getString(6)), r.getString(7), r.getString(8), r.getString(9),
                r.getString(10) == null ? null : Instant.parse(r.getString(10)), r.getString(11), SharedRows.sealed(r, 11));
    }

    @Override
    public synchronized boolean recordSealed(UUID messageId, Sealed sealed) {
        return run("record a sent message's listing", c -> SharedRows.recordSealed(c, messageId, sealed));
    }

    @Override
    public synchronized Optional<Idempotent> messageForIdempotencyKey(String key) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("SELECT message_id, package_sha256 FROM outbox WHERE idempotency_key = ?")) {
            p.setString(1, key);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Optional.of(new Idempotent(UUID.fromString(r.getString(1)), r.getString(2))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the outbox", e);
        }
    }

    private static final String DELIVERY_COLUMNS =
            "message_id, recipient, state, attempts, next_attempt_at, last_error, receipt, delivered_at";
    /** Read by a delivery pass for each recipient with something due (see SharedRows.dueForRecipient). */
    static final String DUE_FOR_RECIPIENT = SharedRows.dueForRecipient(DELIVERY_COLUMNS, "");

    private static Delivery delivery(ResultSet r) throws SQLException {
        return new Delivery(UUID.fromString(r.getString(1)), AuthorityId.of(r.getString(2)), State.valueOf(r.getString(3)),
                r.getInt(4), Instant.parse(r.getString(5)), r.getString(6), r.getBytes(7),
                r.getString(8) == null ? null : Instant.parse(r.getString(8)));
    }

    @Override
    public synchronized List<Delivery> dueDeliveries(Instant now, int limit) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        List<Delivery> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE state IN"
                + " ('QUEUED', 'RETRYING') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?")) {
            p.setString(1, now.toString());
            p.setInt(2, limit);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(delivery(r));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read deliveries", e);
        }
    }

    @Override
    public synchronized List<AuthorityId> recipientsDue(Instant now) {
        return run("read deliveries", c -> SharedRows.recipientsDue(c, now.toString()));
    }

    @Override
    public synchronized List<Delivery> dueDeliveries(Instant now, AuthorityId recipient, int limit) {
        return run("read deliveries", c -> {
            List<Delivery> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(DUE_FOR_RECIPIENT)) {
                SharedRows.bindDueForRecipient(p, recipient.value(), now.toString(), limit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(delivery(r));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public synchronized List<Delivery> deliveries(UUID messageId) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        List<Delivery> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT " + DELIVERY_COLUMNS
                + " FROM deliveries WHERE message_id = ? ORDER BY recipient")) {
            p.setString(1, messageId.toString());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(delivery(r));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read deliveries", e);
        }
    }

    @Override
    public synchronized boolean transition(UUID messageId, AuthorityId recipient, State from, Transition t) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        Update u = Update.of(messageId, recipient, from, t, Instant::toString, null);
        try {
            return u.apply(db, messageId, recipient, from);
        } catch (SQLException e) {
            throw new StoreException("cannot update a delivery", e);
        }
    }

    @Override
    public synchronized int recoverExpiredLeases(Instant now, java.util.Set<String> inFlight) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        List<Delivery> expired = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE state = 'SENDING'"
                + " AND (lease_until IS NULL OR lease_until <= ?)")) {
            p.setString(1, now.toString());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    Delivery d = delivery(r);
                    if (!inFlight.contains(d.messageId() + "/" + d.recipient())) {
                        expired.add(d);
                    }
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read deliveries", e);
        }
        int n = 0;
        for (Delivery d : expired) {
            n += transition(d.messageId(), d.recipient(), State.SENDING, new Retry(d.attempts(), now,
                    "the attempt's lease ended without an outcome (interrupted)")) ? 1 : 0;
        }
        return n;
    }

    @Override
    public synchronized void renewLeases(java.util.Set<String> inFlight, Instant until) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("UPDATE deliveries SET lease_until = ? WHERE message_id = ? AND recipient = ?"
                + " AND state = 'SENDING'")) {
            for (String d : inFlight) {
                String[] parts = d.split("/", 2);
                p.setString(1, until.toString());
                p.setString(2, parts[0]);
                p.setString(3, parts[1]);
                p.addBatch();
            }
            p.executeBatch();
        } catch (SQLException e) {
            throw new StoreException("cannot renew delivery leases", e);
        }
    }

    @Override
    public synchronized int retryNow(AuthorityId recipient, Instant now) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement("UPDATE deliveries SET next_attempt_at = ? WHERE recipient = ?"
                + " AND state = 'RETRYING' AND next_attempt_at > ?")) {
            p.setString(1, now.toString());
            p.setString(2, recipient.value());
            p.setString(3, now.toString());
            return p.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot update deliveries", e);
        }
    }

    @Override
    public synchronized List<AuthorityId> recipientsWaiting(Instant after) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        List<AuthorityId> out = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement("SELECT DISTINCT recipient FROM deliveries WHERE state = 'RETRYING'"
                + " AND next_attempt_at > ?")) {
            p.setString(1, after.toString());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(AuthorityId.of(r.getString(1)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read deliveries", e);
        }
    }

    @Override
    public synchronized java.util.Map<State, Long> countDeliveriesByState() {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        java.util.Map<State, Long> out = new java.util.EnumMap<>(State.class);
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT state, COUNT(*) FROM deliveries GROUP BY state")) {
            while (r.next()) {
                out.put(State.valueOf(r.getString(1)), r.getLong(2));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot count deliveries", e);
        }
    }

    @Override
    public synchronized int recoverInterrupted(Instant now) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (PreparedStatement p = db.prepareStatement(
                "UPDATE deliveries SET state = 'RETRYING', next_attempt_at = ?, lease_until = NULL WHERE state = 'SENDING'")) {
            p.setString(1, now.toString());
            return p.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cannot recover deliveries", e);
        }
    }

    /** As OUTGOING_COLUMNS without the envelope: what a listing reads. */
    private static final String SENT_LISTED = OUTGOING_COLUMNS.replace(" envelope,", " NULL,");

    @Override
    public synchronized List<Listed<Received>> inboxPage(ListingFilter filter, Instant now, Cursor after, int limit) {
        return run("list the inbox", c -> Listings.inbox(c, LISTED_COLUMNS, filter, now, after, limit, this::received));
    }

    @Override
    public synchronized List<Listed<Outgoing>> sentPage(ListingFilter filter, Instant now, Cursor after, int limit) {
        return run("list sent messages", c -> Listings.sent(c, SENT_LISTED, filter, now, after, limit, this::outgoingRow));
    }

    @Override
    public synchronized boolean answered(UUID messageId, boolean received) {
        return run("read an answer", c -> Listings.answered(c, messageId, received));
    }

    @Override
    public synchronized long overdue(Instant now, boolean received) {
        return run("count overdue requests", c -> Listings.overdue(c, now, received));
    }

    @Override
    public synchronized List<UUID> deadlinesPassed(Instant now, int limit) {
        return run("read passed deadlines", c -> Listings.passed(c, now, limit));
    }

    @Override
    public synchronized void deadlinesAudited(java.util.Collection<UUID> ids, Instant at) {
        inTransaction("record audited deadlines", c -> {
            Listings.markPassed(c, ids, at);
            return null;
        });
    }

    @Override
    public synchronized List<Listed<Received>> receivedUpTo(String service, Instant cutoff, Cursor after, int limit) {
        return run("read the inbox", c -> Listings.stored(c, true, RECEIVED_COLUMNS, service, cutoff, after, limit, this::received));
    }

    @Override
    public synchronized List<Listed<Outgoing>> sentUpTo(String service, Instant cutoff, Cursor after, int limit) {
        return run("read the outbox", c -> Listings.stored(c, false, OUTGOING_COLUMNS, service, cutoff, after, limit, this::outgoingRow));
    }

    @Override
    public synchronized Instant oldest(boolean received, String service) {
        return run("read the oldest message", c -> Listings.oldest(c, received, service));
    }

    @Override
    public synchronized List<Received> unlisted(Cursor after, int limit) {
        return run("read the inbox", c -> Listings.unlisted(c, true, RECEIVED_COLUMNS, after, limit, this::received));
    }

    @Override
    public synchronized List<Outgoing> unsealed(Cursor after, int limit) {
        return run("read the outbox", c -> Listings.unlisted(c, false, OUTGOING_COLUMNS, after, limit, this::outgoingRow));
    }

    @Override
    public synchronized void recordListings(List<Filled> rows) {
        inTransaction("record listings", c -> {
            for (Filled f : rows) {
                SharedRows.recordListing(c, f.sender(), f.messageId(), f.caseRef(), f.listing());
            }
            return null;
        });
    }

    @Override
    public synchronized void recordSealed(java.util.Map<UUID, Sealed> rows) {
        inTransaction("record sent messages' listings", c -> {
            for (java.util.Map.Entry<UUID, Sealed> e : rows.entrySet()) {
                SharedRows.recordSealed(c, e.getKey(), e.getValue());
            }
            return null;
        });
    }

    @Override
    public synchronized int noticeAttempts(Stage notice) {
        return run("read a notice's attempts", c -> SharedRows.noticeAttempts(c, notice));
    }

    private <T> T inTransaction(String what, Work<T> w) {
        return run(what, c -> {
            c.setAutoCommit(false);
            try {
                T out = w.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    @Override
    public synchronized void close() {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try {
            db.close();
        } catch (SQLException e) {
            throw new StoreException("cannot close the message store", e);
        }
    }
}
