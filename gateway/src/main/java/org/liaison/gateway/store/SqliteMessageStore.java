package org.liaison.gateway.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.liaison.gateway.net.EventLoops;

/**
 * {@link MessageStore} on an embedded SQLite database in WAL mode with {@code synchronous=FULL}:
 * a committed transaction survives a crash or power loss. One connection, serialized (SQLite
 * allows one writer at a time anyway). Schema versions are applied in order at open
 * ({@code PRAGMA user_version}).
 */
public final class SqliteMessageStore extends SqlMessageStore implements BulkLoad {
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
        SharedRows.migration(SqlDialect.SQLITE.bytes),
        // 8: due deliveries by recipient (a delivery pass reads what it can start, not the backlog)
        SharedRows.DUE_BY_RECIPIENT,
        // 9: the listing fields of received messages in columns (listings read rows, not envelopes)
        SharedRows.LISTING + "CREATE INDEX inbox_by_received ON inbox (received_at);",
        // 10: times, answers and what is owed in columns; the indexes that make listings, deadlines and retention pages
        // (milliseconds from the ISO text as Java wrote it, truncated as Instant.toEpochMilli does: SQLite's %f rounds)
        Listings.migration(SqlDialect.SQLITE::epochMs),
        // 11: stores split by aggregate: notices with a delivery's states and leases, listings kept marked, seals in progress
        SharedRows.aggregates(SqlDialect.SQLITE),
        // 12: deliveries by state kept by the database (a scrape reads them, not the deliveries); the sent requests owed;
        // the retention sweep's indexes of live rows only
        DeliveryCounts.migration(SqlDialect.SQLITE) + Listings.OWED_SENT + Listings.LIVE_RETENTION,
        // 13: deleted rows record when their blob folder was removed (a start checks the others, not every deletion)
        SharedRows.BLOBS_REMOVED,
        // 14: each stage's note beside its notice (a listing shows it without parsing the notice)
        SharedRows.NOTICE_NOTES,
    };

    private final BatchingConnection batches;
    /** Held by every store call on the one connection (and by a batch, for all of its calls). */
    private final Object lock;

    private SqliteMessageStore(Connection connection, Path base) {
        this(BatchingConnection.wrap(connection), base, new Object());
    }

    private SqliteMessageStore(BatchingConnection batches, Path base, Object lock) {
        super(new SqlDb(SqlDialect.SQLITE, SqlDb.single(batches.connection(), lock), base, null), false);
        this.batches = batches;
        this.lock = lock;
    }

    /**
     * Runs store calls in one transaction, committed together or not at all (a bulk load, such as
     * {@code scripts/bench-history}'s seeding: one commit, and one fsync, per batch instead of per row).
     */
    @Override
    public void inOneTransaction(Runnable calls) {
        try {
            synchronized (lock) {
                batches.inOneTransaction(calls);
            }
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
            int next = v;
            SqlDialect.transaction(c, t -> {
                try (Statement s = t.createStatement()) {
                    SqlDialect.apply(s, MIGRATIONS[next]);
                    s.execute("PRAGMA user_version=" + (next + 1));
                }
                return null;
            });
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

    /** Read by a delivery pass for each recipient with something due (see SharedRows.dueForRecipient). */
    static final String DUE_FOR_RECIPIENT = SharedRows.dueForRecipient(SqlDeliveries.COLUMNS, SqlDialect.SQLITE.skipLocked);

    @Override
    public void close() {
        EventLoops.assertOffLoop("a store call");
        db.with("close the message store", c -> {
            c.close();
            return null;
        });
    }
}
