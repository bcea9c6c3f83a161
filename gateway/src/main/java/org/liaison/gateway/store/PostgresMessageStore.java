package org.liaison.gateway.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.liaison.certs.AuthorityId;

/**
 * {@link MessageStore} on PostgreSQL, for an authority that runs several nodes on one database.
 * The same contract as {@link SqliteMessageStore}: a message is durable (committed) before its
 * receipt goes out; duplicates are eliminated by unique constraints, so a duplicate gets the
 * receipt stored with the first copy whichever node took it; an idempotency key names one message
 * across all nodes. Deliveries are claimed by a conditional update (QUEUED or RETRYING to SENDING,
 * with a lease deadline and the claiming node's id): of two nodes that race for one delivery,
 * exactly one claims it; a node that dies holding leases loses them when they expire, and another
 * node takes the deliveries over. Times are {@code timestamptz}. Connections come from a HikariCP
 * pool; schema versions are applied in order at open, under an advisory lock (two nodes starting
 * together do not both migrate).
 */
public final class PostgresMessageStore implements MessageStore {
    /** The advisory lock that serializes schema migrations (an arbitrary constant: "LIAISONM"). */
    private static final long MIGRATION_LOCK = 0x4C494149534F4E4DL;
    private static final String[] MIGRATIONS = {
        // 1: inbox, outbox, deliveries (the SQLite schema at its version 5, with timestamps and the claiming node)
        "CREATE TABLE inbox (sender TEXT NOT NULL, message_id TEXT NOT NULL, received_at TIMESTAMPTZ NOT NULL,"
            + " envelope BYTEA NOT NULL, envelope_sha256 TEXT NOT NULL, receipt BYTEA NOT NULL, blobs TEXT NOT NULL, quarantine TEXT,"
            + " PRIMARY KEY (sender, message_id));"
            + "CREATE UNIQUE INDEX inbox_message_id ON inbox (message_id) WHERE quarantine IS NULL;"
            + "CREATE INDEX inbox_received ON inbox (received_at);"
            + "CREATE TABLE outbox (message_id TEXT PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL,"
            + " envelope BYTEA NOT NULL, idempotency_key TEXT UNIQUE, blobs TEXT NOT NULL, package_sha256 TEXT, envelope_sha256 TEXT,"
            + " submitter TEXT);"
            + "CREATE TABLE deliveries (message_id TEXT NOT NULL REFERENCES outbox(message_id), recipient TEXT NOT NULL,"
            + " state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TIMESTAMPTZ NOT NULL, last_error TEXT, receipt BYTEA,"
            + " delivered_at TIMESTAMPTZ, lease_until TIMESTAMPTZ, leased_by TEXT, PRIMARY KEY (message_id, recipient));"
            + "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);",
        // 2: when the sender asked for an answer (from the signed manifest; null: no date)
        "ALTER TABLE outbox ADD COLUMN respond_by TIMESTAMPTZ;",
        // 3: stages of messages (notices received and to send); deletions (the envelope destroyed, digests kept)
        SharedRows.migration("BYTEA"),
        // 4: due deliveries by recipient (a delivery pass reads what it can start, not the backlog)
        SharedRows.DUE_BY_RECIPIENT,
        // 5: the listing fields of received messages in columns (listings read rows, not envelopes)
        SharedRows.LISTING,
        // 6: times, answers and what is owed in columns; the indexes that make listings, deadlines and retention pages
        Listings.migration(c -> "FLOOR(EXTRACT(EPOCH FROM " + c + ") * 1000)::BIGINT"),
    };

    private final HikariDataSource pool;
    private final Path base;
    private final String nodeId;

    /** The node's time, for what the store stamps itself (stages recorded). */
    private final java.time.Clock clock;

    private PostgresMessageStore(HikariDataSource pool, Path base, String nodeId, java.time.Clock clock) {
        this.clock = clock;
        this.pool = pool;
        this.base = base;
        this.nodeId = nodeId;
    }

    /**
     * Opens the store at {@code url} (jdbc:postgresql://host:port/db) with a pool of {@code poolSize}
     * connections. Blob paths are kept relative to {@code blobBase} (the folder every node of the
     * authority mounts at the same place). {@code nodeId} names this process in the leases it takes.
     */
    public static PostgresMessageStore open(String url, String user, char[] password, int poolSize, Path blobBase, String nodeId) {
        return open(url, user, password, poolSize, blobBase, nodeId, java.time.Clock.systemUTC());
    }

    /** As {@link #open(String, String, char[], int, Path, String)}; {@code clock}: the node's time. */
    public static PostgresMessageStore open(String url, String user, char[] password, int poolSize, Path blobBase, String nodeId,
            java.time.Clock clock) {
        HikariDataSource ds;
        try {
            ds = pool(url, user, password, poolSize, "liaison-store", nodeId);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the message store " + url + ": " + rootMessage(e), e);
        }
        try (Connection conn = ds.getConnection()) {
            migrate(conn);
        } catch (SQLException | RuntimeException e) {
            ds.close();
            throw new StoreException("cannot open the message store " + url + ": " + rootMessage(e), e);
        }
        return new PostgresMessageStore(ds, blobBase.toAbsolutePath().normalize(), nodeId, clock);
    }

    /**
     * A HikariCP pool on a PostgreSQL database ({@code name} shows in the pool's log lines, the node's id in
     * {@code pg_stat_activity}); failing within 10 seconds when the database cannot be reached.
     */
    public static HikariDataSource pool(String url, String user, char[] password, int size, String name, String nodeId) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password == null ? null : new String(password));
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(Math.min(2, size));
        c.setPoolName(name);
        c.setConnectionTimeout(10_000);
        c.setInitializationFailTimeout(10_000);
        c.addDataSourceProperty("ApplicationName", "liaison " + nodeId);
        c.addDataSourceProperty("tcpKeepAlive", "true");
        return new HikariDataSource(c);
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage();
    }

    private static void migrate(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            s.execute("CREATE TABLE IF NOT EXISTS liaison_schema (version INTEGER NOT NULL)");
            int version;
            try (ResultSet r = s.executeQuery("SELECT version FROM liaison_schema")) {
                version = r.next() ? r.getInt(1) : 0;
            }
            if (version > MIGRATIONS.length) {
                throw new SQLException("the store is at schema version " + version + ", newer than this program knows ("
                        + MIGRATIONS.length + "); run a newer Liaison");
            }
            for (int v = version; v < MIGRATIONS.length; v++) {
                for (String sql : MIGRATIONS[v].split(";")) {
                    if (!sql.isBlank()) {
                        s.execute(sql);
                    }
                }
            }
            s.execute("DELETE FROM liaison_schema");
            s.execute("INSERT INTO liaison_schema VALUES (" + Math.max(version, MIGRATIONS.length) + ")");
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** The schema version this program writes (for {@code store migrate}). */
    public static int schemaVersion() {
        return MIGRATIONS.length;
    }

    private String stored(Path blobs) {
        Path abs = blobs.toAbsolutePath().normalize();
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }

    private Path blobs(String stored) {
        return base.resolve(stored);
    }

    private static OffsetDateTime at(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** One unit of work on a pooled connection. */
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T with(String what, Work<T> w) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("a store call");
        try (Connection c = pool.getConnection()) {
            return w.run(c);
        } catch (SQLException e) {
            throw new StoreException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    /** The same unit in one transaction, rolled back if it throws. */
    private <T> T transaction(String what, Work<T> w) {
        return with(what, c -> {
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

    private static boolean uniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    @Override
    public Optional<byte[]> receiptFor(AuthorityId sender, UUID messageId) {
        return with("read the inbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT receipt FROM inbox WHERE sender = ? AND message_id = ?")) {
                p.setString(1, sender.value());
                p.setString(2, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public Stored storeReceived(Received m) {
        return with("store a received message", c -> storeReceived(c, m));
    }

    /**
     * As {@link #storeReceived(Received)}, on {@code c}: a connection to this store's database, in a
     * transaction of the caller's (the shared audit log's append of the reception, committed with it).
     */
    public Stored storeReceived(Connection c, Received m) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO inbox (" + SharedRows.RECEIVED_COLUMNS + ") VALUES ("
                + SharedRows.RECEIVED_VALUES + ") ON CONFLICT DO NOTHING")) {
            SharedRows.bindReceived(p, m, at(m.receivedAt()), stored(m.blobs()));
            if (p.executeUpdate() == 1) {
                Listings.received(c, m);
                return Stored.STORED;
            }
        }
        // Not inserted: the same sender's message (primary key) or another sender's id (unique index).
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM inbox WHERE sender = ? AND message_id = ?")) {
            p.setString(1, m.sender().value());
            p.setString(2, m.messageId().toString());
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? Stored.DUPLICATE : Stored.ID_CONFLICT;
            }
        }
    }

    private static final String RECEIVED_COLUMNS = "sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, quarantine, "
            + SharedRows.LISTING_COLUMNS;
    /** As RECEIVED_COLUMNS without the envelope: what a listing reads. */
    private static final String LISTED_COLUMNS = RECEIVED_COLUMNS.replace(" envelope,", " NULL,");

    private Received received(ResultSet r) throws SQLException {
        return new Received(AuthorityId.of(r.getString(1)), UUID.fromString(r.getString(2)), instant(r, 3), r.getBytes(4),
                r.getString(5), r.getBytes(6), blobs(r.getString(7)), r.getString(8), r.getString(9), SharedRows.listing(r, 9));
    }

    @Override
    public List<Received> receivedAfter(Received after, int limit) {
        return with("read the inbox", c -> SharedRows.page(c, SharedRows.receivedAfter(RECEIVED_COLUMNS, after == null),
                after == null ? List.of() : List.of(after.sender().value(), after.messageId().toString()), limit, this::received));
    }

    @Override
    public List<Received> listedAfter(Received after, int limit) {
        return with("read the inbox", c -> SharedRows.page(c, SharedRows.receivedAfter(LISTED_COLUMNS, after == null),
                after == null ? List.of() : List.of(after.sender().value(), after.messageId().toString()), limit, this::received));
    }

    @Override
    public boolean recordListing(AuthorityId sender, UUID messageId, String caseRef, Listing listing) {
        return with("record a message's listing", c -> SharedRows.recordListing(c, sender, messageId, caseRef, listing));
    }

    @Override
    public Optional<Received> received(UUID messageId) {
        return with("read the inbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + RECEIVED_COLUMNS + " FROM inbox WHERE message_id = ? AND deleted_ms IS NULL"
                    + " ORDER BY quarantine IS NOT NULL, received_at LIMIT 1")) {
                p.setString(1, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(received(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public boolean quarantine(UUID messageId, String reason) {
        return with("quarantine a message", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE inbox SET quarantine = ?" + Listings.SET_ASIDE
                    + " WHERE message_id = ? AND quarantine IS NULL")) {
                p.setString(1, reason);
                p.setString(2, messageId.toString());
                return p.executeUpdate() > 0;
            }
        });
    }

    @Override
    public boolean recordStage(Stage stage, boolean outgoing) {
        return with("record a stage", c -> SharedRows.recordStage(c, stage, outgoing, clock.instant()));
    }

    @Override
    public List<Stage> stages(UUID messageId, boolean outgoing) {
        return with("read stages", c -> SharedRows.stages(c, messageId, outgoing));
    }

    @Override
    public List<Stage> noticesDue(Instant now, int limit) {
        return with("read notices", c -> SharedRows.noticesDue(c, now, limit));
    }

    @Override
    public void noticeAttempted(Stage notice, Instant deliveredAt, Instant next) {
        with("record a notice's attempt", c -> SharedRows.noticeAttempted(c, notice, deliveredAt, next));
    }

    @Override
    public boolean delete(UUID messageId, boolean received, Instant at) {
        // The old row version stays in the table's pages until VACUUM reclaims it (autovacuum, or the operator).
        return transaction("delete a message", c -> SharedRows.delete(c, messageId, received, at));
    }

    @Override
    public boolean deleteReceived(AuthorityId sender, UUID messageId, Instant at) {
        java.util.Objects.requireNonNull(sender, "sender");
        return transaction("delete a message", c -> SharedRows.delete(c, messageId, true, sender, at));
    }

    @Override
    public List<UUID> messagesOfCase(String caseRef, boolean received, boolean untagged) {
        return with("find a case's messages", c -> SharedRows.messagesOfCase(c, caseRef, received, untagged));
    }

    @Override
    public Optional<String> caseOf(UUID messageId, boolean received) {
        return with("read a message's case", c -> SharedRows.caseOf(c, messageId, received));
    }

    @Override
    public boolean assign(Assignment assignment) {
        return with("assign a case", c -> SharedRows.assign(c, assignment));
    }

    @Override
    public boolean unassign(String caseRef, String person) {
        return with("take a person off a case", c -> SharedRows.unassign(c, caseRef, person));
    }

    @Override
    public List<Assignment> assignments() {
        return with("read case assignments", SharedRows::assignments);
    }

    @Override
    public void keepProtected(UUID messageId, AuthorityId sender, List<String> sha256) {
        with("keep protected files' digests", c -> SharedRows.keepProtected(c, messageId, sender, sha256));
    }

    @Override
    public List<ProtectedFile> protectedFiles() {
        return with("read protected files' digests", SharedRows::protectedFiles);
    }

    @Override
    public List<Path> deletedBlobs() {
        return with("list deleted messages", c -> SharedRows.deletedBlobs(c, this::blobs));
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
            return transaction("store an outgoing message", c -> {
                try (PreparedStatement p = c.prepareStatement("INSERT INTO outbox (message_id, created_at, expires_at, envelope,"
                        + " idempotency_key, blobs, package_sha256, envelope_sha256, submitter, respond_by, " + SharedRows.SENT_COLUMNS + ")"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                        PreparedStatement d = c.prepareStatement("INSERT INTO deliveries (message_id, recipient, state, attempts,"
                                + " next_attempt_at) VALUES (?, ?, 'QUEUED', 0, ?)")) {
                    p.setString(1, o.messageId().toString());
                    p.setObject(2, at(o.createdAt()));
                    p.setObject(3, at(o.expiresAt()));
                    p.setBytes(4, o.envelope());
                    p.setString(5, o.idempotencyKey());
                    p.setString(6, stored(o.blobs()));
                    p.setString(7, o.packageSha256());
                    p.setString(8, o.envelopeSha256());
                    p.setString(9, o.submitter());
                    p.setObject(10, at(o.respondBy()));
                    p.setString(11, o.caseRef());
                    SharedRows.bindSealed(p, 12, o.sealed());
                    p.executeUpdate();
                    for (AuthorityId r : recipients) {
                        d.setString(1, o.messageId().toString());
                        d.setString(2, r.value());
                        d.setObject(3, at(now));
                        d.addBatch();
                    }
                    d.executeBatch();
                    Listings.stored(c, o);
                    return Optional.<Idempotent>empty();
                }
            });
        } catch (StoreException e) {
            // Another node stored a message under the same key between the check and the insert: that one is the message.
            if (o.idempotencyKey() != null && e.getCause() instanceof SQLException s && uniqueViolation(s)) {
                Optional<Idempotent> winner = messageForIdempotencyKey(o.idempotencyKey());
                if (winner.isPresent()) {
                    return winner;
                }
            }
            throw e;
        }
    }

    private static final String OUTGOING_COLUMNS = "message_id, created_at, expires_at, envelope, idempotency_key, blobs,"
            + " package_sha256, envelope_sha256, submitter, respond_by, " + SharedRows.SENT_COLUMNS;

    private Outgoing outgoing(ResultSet r) throws SQLException {
        return new Outgoing(UUID.fromString(r.getString(1)), instant(r, 2), instant(r, 3), r.getBytes(4), r.getString(5),
                blobs(r.getString(6)), r.getString(7), r.getString(8), r.getString(9), instant(r, 10), r.getString(11),
                SharedRows.sealed(r, 11));
    }

    /** As OUTGOING_COLUMNS without the envelope: what a listing reads. */
    private static final String SENT_LISTED = OUTGOING_COLUMNS.replace(" envelope,", " NULL,");

    @Override
    public List<Listed<Received>> inboxPage(ListingFilter filter, Instant now, Cursor after, int limit) {
        return with("list the inbox", c -> Listings.inbox(c, LISTED_COLUMNS, filter, now, after, limit, this::received));
    }

    @Override
    public List<Listed<Outgoing>> sentPage(ListingFilter filter, Instant now, Cursor after, int limit) {
        return with("list sent messages", c -> Listings.sent(c, SENT_LISTED, filter, now, after, limit, this::outgoing));
    }

    @Override
    public boolean answered(UUID messageId, boolean received) {
        return with("read an answer", c -> Listings.answered(c, messageId, received));
    }

    @Override
    public long overdue(Instant now, boolean received) {
        return with("count overdue requests", c -> Listings.overdue(c, now, received));
    }

    @Override
    public List<UUID> deadlinesPassed(Instant now, int limit) {
        return with("read passed deadlines", c -> Listings.passed(c, now, limit));
    }

    @Override
    public void deadlinesAudited(java.util.Collection<UUID> ids, Instant at) {
        transaction("record audited deadlines", c -> {
            Listings.markPassed(c, ids, at);
            return null;
        });
    }

    @Override
    public List<Listed<Received>> receivedUpTo(String service, Instant cutoff, Cursor after, int limit) {
        return with("read the inbox", c -> Listings.stored(c, true, RECEIVED_COLUMNS, service, cutoff, after, limit, this::received));
    }

    @Override
    public List<Listed<Outgoing>> sentUpTo(String service, Instant cutoff, Cursor after, int limit) {
        return with("read the outbox", c -> Listings.stored(c, false, OUTGOING_COLUMNS, service, cutoff, after, limit, this::outgoing));
    }

    @Override
    public Instant oldest(boolean received, String service) {
        return with("read the oldest message", c -> Listings.oldest(c, received, service));
    }

    @Override
    public List<Received> unlisted(Cursor after, int limit) {
        return with("read the inbox", c -> Listings.unlisted(c, true, RECEIVED_COLUMNS, after, limit, this::received));
    }

    @Override
    public List<Outgoing> unsealed(Cursor after, int limit) {
        return with("read the outbox", c -> Listings.unlisted(c, false, OUTGOING_COLUMNS, after, limit, this::outgoing));
    }

    @Override
    public void recordListings(List<Filled> rows) {
        transaction("record listings", c -> {
            for (Filled f : rows) {
                SharedRows.recordListing(c, f.sender(), f.messageId(), f.caseRef(), f.listing());
            }
            return null;
        });
    }

    @Override
    public void recordSealed(java.util.Map<UUID, Sealed> rows) {
        transaction("record sent messages' listings", c -> {
            for (java.util.Map.Entry<UUID, Sealed> e : rows.entrySet()) {
                SharedRows.recordSealed(c, e.getKey(), e.getValue());
            }
            return null;
        });
    }

    @Override
    public int noticeAttempts(Stage notice) {
        return with("read a notice's attempts", c -> SharedRows.noticeAttempts(c, notice));
    }

    @Override
    public boolean recordSealed(UUID messageId, Sealed sealed) {
        return with("record a sent message's listing", c -> SharedRows.recordSealed(c, messageId, sealed));
    }

    @Override
    public Optional<Outgoing> outgoing(UUID messageId) {
        return with("read the outbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT " + OUTGOING_COLUMNS + " FROM outbox WHERE message_id = ? AND deleted_ms IS NULL")) {
                p.setString(1, messageId.toString());
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(outgoing(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<Outgoing> sentAfter(Outgoing after, int limit) {
        return with("read the outbox", c -> SharedRows.page(c, SharedRows.sentAfter(OUTGOING_COLUMNS, after == null),
                after == null ? List.of() : List.of(after.messageId().toString()), limit, this::outgoing));
    }

    @Override
    public Optional<Idempotent> messageForIdempotencyKey(String key) {
        return with("read the outbox", c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT message_id, package_sha256 FROM outbox WHERE idempotency_key = ?")) {
                p.setString(1, key);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(new Idempotent(UUID.fromString(r.getString(1)), r.getString(2))) : Optional.empty();
                }
            }
        });
    }

    private static final String DELIVERY_COLUMNS =
            "message_id, recipient, state, attempts, next_attempt_at, last_error, receipt, delivered_at";
    /** Read by a delivery pass for each recipient with something due; rows another node is claiming are skipped. */
    private static final String DUE_FOR_RECIPIENT = SharedRows.dueForRecipient(DELIVERY_COLUMNS, " FOR UPDATE SKIP LOCKED");

    private static Delivery delivery(ResultSet r) throws SQLException {
        return new Delivery(UUID.fromString(r.getString(1)), AuthorityId.of(r.getString(2)), State.valueOf(r.getString(3)),
                r.getInt(4), instant(r, 5), r.getString(6), r.getBytes(7), instant(r, 8));
    }

    private List<Delivery> deliveries(String what, String sql, Object... args) {
        return with(what, c -> {
            List<Delivery> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    p.setObject(i + 1, args[i]);
                }
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
    public List<Delivery> dueDeliveries(Instant now, int limit) {
        // Rows another node is claiming right now are skipped rather than waited for; the claim itself is
        // the conditional update in transition(), which exactly one node wins.
        return deliveries("read deliveries", "SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE state IN ('QUEUED', 'RETRYING')"
                + " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED", at(now), limit);
    }

    @Override
    public List<AuthorityId> recipientsDue(Instant now) {
        return with("read deliveries", c -> SharedRows.recipientsDue(c, at(now)));
    }

    @Override
    public List<Delivery> dueDeliveries(Instant now, AuthorityId recipient, int limit) {
        Object at = at(now);
        return deliveries("read deliveries", DUE_FOR_RECIPIENT, recipient.value(), at, limit, recipient.value(), at, limit, limit);
    }

    @Override
    public List<Delivery> deliveries(UUID messageId) {
        return deliveries("read deliveries", "SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE message_id = ? ORDER BY recipient",
                messageId.toString());
    }

    @Override
    public boolean transition(UUID messageId, AuthorityId recipient, State from, Transition t) {
        Update u = Update.of(messageId, recipient, from, t, PostgresMessageStore::at, nodeId);
        return with("update a delivery", c -> u.apply(c, messageId, recipient, from));
    }

    @Override
    public int recoverExpiredLeases(Instant now, Set<String> inFlight) {
        List<Delivery> expired = deliveries("read deliveries", "SELECT " + DELIVERY_COLUMNS + " FROM deliveries WHERE state = 'SENDING'"
                + " AND (lease_until IS NULL OR lease_until <= ?)", at(now));
        int n = 0;
        for (Delivery d : expired) {
            if (!inFlight.contains(d.messageId() + "/" + d.recipient())) {
                n += transition(d.messageId(), d.recipient(), State.SENDING, new Retry(d.attempts(), now,
                        "the attempt's lease ended without an outcome (interrupted)")) ? 1 : 0;
            }
        }
        return n;
    }

    @Override
    public void renewLeases(Set<String> inFlight, Instant until) {
        if (inFlight.isEmpty()) {
            return;
        }
        with("renew delivery leases", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET lease_until = ? WHERE message_id = ? AND recipient = ?"
                    + " AND state = 'SENDING' AND leased_by = ?")) {
                for (String d : inFlight) {
                    String[] parts = d.split("/", 2);
                    p.setObject(1, at(until));
                    p.setString(2, parts[0]);
                    p.setString(3, parts[1]);
                    p.setString(4, nodeId);
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    @Override
    public int retryNow(AuthorityId recipient, Instant now) {
        return with("update deliveries", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET next_attempt_at = ? WHERE recipient = ?"
                    + " AND state = 'RETRYING' AND next_attempt_at > ?")) {
                p.setObject(1, at(now));
                p.setString(2, recipient.value());
                p.setObject(3, at(now));
                return p.executeUpdate();
            }
        });
    }

    @Override
    public List<AuthorityId> recipientsWaiting(Instant after) {
        return with("read deliveries", c -> {
            List<AuthorityId> out = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT DISTINCT recipient FROM deliveries WHERE state = 'RETRYING'"
                    + " AND next_attempt_at > ?")) {
                p.setObject(1, at(after));
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(AuthorityId.of(r.getString(1)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public Map<State, Long> countDeliveriesByState() {
        return with("count deliveries", c -> {
            Map<State, Long> out = new EnumMap<>(State.class);
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT state, COUNT(*) FROM deliveries GROUP BY state")) {
                while (r.next()) {
                    out.put(State.valueOf(r.getString(1)), r.getLong(2));
                }
            }
            return out;
        });
    }

    /**
     * At start: the deliveries this node was sending when it stopped (its own leases), and any whose
     * lease ended, are due again. Another live node's leases are left alone.
     */
    @Override
    public int recoverInterrupted(Instant now) {
        return with("recover deliveries", c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE deliveries SET state = 'RETRYING', next_attempt_at = ?,"
                    + " lease_until = NULL, leased_by = NULL WHERE state = 'SENDING' AND (leased_by = ? OR leased_by IS NULL"
                    + " OR lease_until IS NULL OR lease_until <= ?)")) {
                p.setObject(1, at(now));
                p.setString(2, nodeId);
                p.setObject(3, at(now));
                return p.executeUpdate();
            }
        });
    }

    /** The database's size in bytes (for metrics). */
    public long sizeBytes() {
        return with("read the database size", c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_database_size(current_database())")) {
                return r.next() ? r.getLong(1) : 0L;
            }
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
