package org.liaison.gateway.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.function.Function;

/**
 * What differs between SQLite and PostgreSQL, in one place; everything else (the SQL of each aggregate:
 * {@link SqlInbox}, {@link SqlSent}, {@link SqlDeliveries}, {@link SqlNotices}, {@link SqlCases}) is written
 * once on top of it. Two instances: {@link #SQLITE} and {@link #POSTGRES}.
 *
 * <ul>
 *   <li>types: the binary column type, and how the older time columns are kept (SQLite: ISO-8601 text as
 *       {@link Instant#toString} writes it, which sorts as it compares; PostgreSQL: {@code timestamptz}).
 *       Columns added since are epoch milliseconds ({@code BIGINT}) on both.</li>
 *   <li>conflicts: both take {@code INSERT … ON CONFLICT DO NOTHING} (SQLite since 3.24); a unique
 *       violation has its own error code on each.</li>
 *   <li>locking: rows a delivery pass reads are locked and skipped by other nodes on PostgreSQL
 *       ({@code FOR UPDATE SKIP LOCKED}); SQLite has one writer and no row locks.</li>
 *   <li>the transaction wrapper ({@link #transaction}), the same on both; and what a deletion needs after
 *       its commit (SQLite: the write-ahead log emptied, so that a destroyed envelope's page is not kept there).</li>
 *   <li>migrations: the epoch milliseconds of a time column as each writes it.</li>
 * </ul>
 */
final class SqlDialect {
    /** SQLite: times as ISO text, no row locks, the WAL checkpointed after a deletion. */
    static final SqlDialect SQLITE = new SqlDialect("sqlite", "BLOB", "",
            // milliseconds from the ISO text as Java wrote it, truncated as Instant.toEpochMilli does: SQLite's %f rounds
            c -> "CAST(strftime('%s', substr(" + c + ", 1, 19)) AS INTEGER) * 1000 + CASE WHEN instr(" + c + ", '.') > 0"
                    + " THEN CAST(substr(substr(replace(" + c + ", 'Z', ''), instr(" + c + ", '.') + 1) || '000', 1, 3) AS INTEGER) ELSE 0 END");

    /** PostgreSQL: times as {@code timestamptz}, rows being claimed skipped by other nodes. */
    static final SqlDialect POSTGRES = new SqlDialect("postgresql", "BYTEA", " FOR UPDATE SKIP LOCKED",
            c -> "FLOOR(EXTRACT(EPOCH FROM " + c + ") * 1000)::BIGINT");

    private final String name;
    /** The binary column type. */
    final String bytes;
    /** What ends a SELECT of rows this node is about to claim (PostgreSQL: skip those another node is claiming). */
    final String skipLocked;
    private final Function<String, String> epochMs;

    private SqlDialect(String name, String bytes, String skipLocked, Function<String, String> epochMs) {
        this.name = name;
        this.bytes = bytes;
        this.skipLocked = skipLocked;
        this.epochMs = epochMs;
    }

    /** A time as this dialect's time columns (received_at, created_at, next_attempt_at …) keep it; null stays null. */
    Object time(Instant i) {
        if (i == null) {
            return null;
        }
        return this == SQLITE ? i.toString() : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    /** A time column read back; null for NULL. */
    Instant instant(ResultSet r, int column) throws SQLException {
        if (this == SQLITE) {
            String s = r.getString(column);
            return s == null ? null : Instant.parse(s);
        }
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /**
     * A condition for a listing's rule of who sees a row, under an OR: the sent message {@code ref} names was submitted by
     * the next parameter. SQLite: {@code EXISTS}, a probe of the outbox's key per row read. PostgreSQL turns an
     * {@code EXISTS} under an OR into a hashed subplan, which reads and hashes every message the person ever sent at each
     * page (a page took 200–300 ms at 10⁵ messages); a scalar subquery on the key is never hashed: one probe per row read,
     * as on SQLite (the key is unique, so both say the same).
     */
    String sentBy(String ref) {
        return this == SQLITE ? "EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = " + ref + " AND o.submitter = ?)"
                : "(SELECT o.submitter FROM outbox o WHERE o.message_id = " + ref + ") = ?";
    }

    /** SQL for the epoch milliseconds of a time column (for migrations). */
    String epochMs(String column) {
        return epochMs.apply(column);
    }

    /** Whether this is a unique constraint's violation (an insert that lost a race). */
    boolean uniqueViolation(SQLException e) {
        if (this == SQLITE) {
            // SQLITE_CONSTRAINT (19) and its extended codes: SQLITE_CONSTRAINT_PRIMARYKEY (1555), _UNIQUE (2067)
            return (e.getErrorCode() & 0xff) == 19;
        }
        return "23505".equals(e.getSQLState());
    }

    /**
     * After a deletion's commit. SQLite: the write-ahead log still holds the destroyed envelope's page as it was,
     * copied back and emptied now. PostgreSQL: nothing (the old row version stays until VACUUM reclaims it).
     */
    void afterDelete(Connection c) throws SQLException {
        if (this == SQLITE) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
        }
    }

    /** One unit of work on a connection. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** {@code w} in one transaction on {@code c}, rolled back if it throws; the connection is left in autocommit. */
    /** {@code n} parameters for an {@code IN (...)} list: "?, ?, ?". */
    static String placeholders(int n) {
        return String.join(", ", java.util.Collections.nCopies(n, "?"));
    }

    static <T> T transaction(Connection c, Work<T> w) throws SQLException {
        if (!c.getAutoCommit()) {
            return w.run(c); // already in the caller's transaction: part of it
        }
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
    }

    /**
     * Applies a migration on {@code c}, each statement split at ';' (no migration holds one in a literal), except inside
     * a {@code $$}-quoted body (a PostgreSQL function) or a trigger's {@code BEGIN … END} (SQLite).
     */
    static void apply(Statement s, String migration) throws SQLException {
        for (String sql : statements(migration)) {
            s.execute(sql);
        }
    }

    /** The statements of a migration (see {@link #apply}). */
    static java.util.List<String> statements(String migration) {
        java.util.List<String> out = new java.util.ArrayList<>();
        StringBuilder open = new StringBuilder();
        for (String part : migration.split(";", -1)) {
            if (open.length() > 0) {
                open.append(';');
            }
            open.append(part);
            String sql = open.toString().strip();
            String upper = sql.toUpperCase(java.util.Locale.ROOT);
            boolean inBody = sql.split("\\$\\$", -1).length % 2 == 0
                    || upper.startsWith("CREATE TRIGGER") && upper.contains(" BEGIN ") && !upper.endsWith("END");
            if (!inBody) {
                if (!sql.isEmpty()) {
                    out.add(sql);
                }
                open.setLength(0);
            }
        }
        if (!open.toString().isBlank()) {
            throw new IllegalArgumentException("a migration ends inside a body: " + open);
        }
        return out;
    }

    @Override
    public String toString() {
        return name;
    }
}
