package org.liaison.gateway.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

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
public final class PostgresMessageStore extends SqlMessageStore implements BulkLoad {
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
        SharedRows.migration(SqlDialect.POSTGRES.bytes),
        // 4: due deliveries by recipient (a delivery pass reads what it can start, not the backlog)
        SharedRows.DUE_BY_RECIPIENT,
        // 5: the listing fields of received messages in columns (listings read rows, not envelopes)
        SharedRows.LISTING,
        // 6: times, answers and what is owed in columns; the indexes that make listings, deadlines and retention pages
        Listings.migration(SqlDialect.POSTGRES::epochMs),
        // 7: stores split by aggregate: notices with a delivery's states and leases, listings kept marked, seals in progress
        SharedRows.aggregates(SqlDialect.POSTGRES),
        // 8: deliveries by state kept by the database (a scrape reads them, not the deliveries); the sent requests owed;
        // the retention sweep's indexes of live rows only
        DeliveryCounts.migration(SqlDialect.POSTGRES) + Listings.OWED_SENT + Listings.LIVE_RETENTION,
        // 9: deleted rows record when their blob folder was removed (a start checks the others, not every deletion)
        SharedRows.BLOBS_REMOVED,
        // 10: each stage's note beside its notice (a listing shows it without parsing the notice)
        SharedRows.NOTICE_NOTES,
    };

    private final HikariDataSource pool;
    /** The connection of the calling thread's batch ({@link #inOneTransaction}), if one is open. */
    private final ThreadLocal<Connection> batch;

    private PostgresMessageStore(HikariDataSource pool, Path base, String nodeId) {
        this(pool, base, nodeId, new ThreadLocal<>());
    }

    private PostgresMessageStore(HikariDataSource pool, Path base, String nodeId, ThreadLocal<Connection> batch) {
        super(new SqlDb(SqlDialect.POSTGRES, new SqlDb.Connections() {
            @Override
            public <T> T use(SqlDialect.Work<T> w) throws SQLException {
                Connection b = batch.get();
                if (b != null) {
                    return w.run(b); // in the thread's batch: its transaction (the store's own ones join it: autocommit is off)
                }
                try (Connection c = pool.getConnection()) {
                    return w.run(c);
                }
            }
        }, base, nodeId), true);
        this.pool = pool;
        this.batch = batch;
    }

    /**
     * Runs store calls in one transaction on one pooled connection, committed together or not at all (a bulk load, such
     * as {@code scripts/bench-history}'s seeding: one commit per batch instead of per row). The calls must be made on
     * the calling thread; other threads' calls, and their batches, go on on other connections meanwhile.
     */
    @Override
    public void inOneTransaction(Runnable calls) {
        if (batch.get() != null) {
            calls.run(); // already in one
            return;
        }
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            batch.set(c);
            boolean done = false;
            try {
                calls.run();
                c.commit();
                done = true;
            } finally {
                batch.remove();
                try {
                    if (!done) {
                        c.rollback();
                    }
                } finally {
                    c.setAutoCommit(true);
                }
            }
        } catch (SQLException e) {
            throw new StoreException("cannot commit a batch: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the store at {@code url} (jdbc:postgresql://host:port/db) with a pool of {@code poolSize}
     * connections. Blob paths are kept relative to {@code blobBase} (the folder every node of the
     * authority mounts at the same place). {@code nodeId} names this process in the leases it takes.
     */
    public static PostgresMessageStore open(String url, String user, char[] password, int poolSize, Path blobBase, String nodeId) {
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
        return new PostgresMessageStore(ds, blobBase.toAbsolutePath().normalize(), nodeId);
    }

    /**
     * Run on each of the node's connections: no JIT compilation of its statements. PostgreSQL compiles a statement when
     * its plan's estimated cost passes jit_above_cost (100,000 by default), and the estimates grow with the tables: at a
     * million held messages an inbox page (an index scan stopped by its LIMIT after 51 rows, 0.3 ms) is estimated above
     * it and spent 40–90 ms compiling (up to 1.1 s under load) at every page, 6× the page at a thousand messages
     * ({@code scripts/bench-history --postgres}). Nothing the node runs is long enough to gain from it. Servers without
     * JIT (before PostgreSQL 11) have no such setting: nothing is set there.
     */
    static final String NO_JIT = "SELECT set_config('jit', 'off', false) FROM pg_settings WHERE name = 'jit'";

    /**
     * A HikariCP pool on a PostgreSQL database ({@code name} shows in the pool's log lines, the node's id in
     * {@code pg_stat_activity}); failing within 10 seconds when the database cannot be reached; without JIT ({@link #NO_JIT}).
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
        c.setConnectionInitSql(NO_JIT);
        return new HikariDataSource(c);
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage();
    }

    private static void migrate(Connection conn) throws SQLException {
        SqlDialect.transaction(conn, c -> {
            migrateIn(c);
            return null;
        });
    }

    private static void migrateIn(Connection c) throws SQLException { // in a transaction
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
                SqlDialect.apply(s, MIGRATIONS[v]);
            }
            s.execute("DELETE FROM liaison_schema");
            s.execute("INSERT INTO liaison_schema VALUES (" + Math.max(version, MIGRATIONS.length) + ")");
        }
    }

    /** The schema version this program writes (for {@code store migrate}). */
    public static int schemaVersion() {
        return MIGRATIONS.length;
    }

    /**
     * Stores a received message on {@code c}: a connection to this store's database, in a transaction of the
     * caller's (the shared audit log's append of the reception, committed with it). See {@link InboxStore#storeReceived}.
     */
    public Stored storeReceived(Connection c, Received m) throws SQLException {
        return sqlInbox().storeReceived(c, m);
    }

    /** The database's size in bytes (for metrics). */
    public long sizeBytes() {
        return db.with("read the database size", c -> {
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
