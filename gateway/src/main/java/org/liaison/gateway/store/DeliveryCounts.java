package org.liaison.gateway.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;
import org.liaison.gateway.store.MessageStore.State;

/**
 * Deliveries by state as the database keeps them ({@code delivery_counts}), so that a metrics scrape reads a few rows,
 * not the deliveries (a {@code COUNT(*) … GROUP BY state} read every delivery ever made: 245 ms a scrape at 10⁶ held
 * messages). Triggers on {@code deliveries} keep the counts in the transaction of every insert, change of state and
 * delete, whatever makes it (the store, a bulk load, {@code store migrate}, another node on the same PostgreSQL
 * database); the migration counts the rows already there.
 *
 * <ul>
 *   <li>SQLite (one writer): one row per state, moved by the triggers of each row.</li>
 *   <li>PostgreSQL (several nodes, many writers): a row per state would be a row every transaction touching a delivery
 *       locks until its commit: concurrent deliveries, bulk-load batches and nodes would wait on each other, and two
 *       transactions changing states in different orders could deadlock. So the table is append-only: a trigger per
 *       statement adds one row per state it changed (the signed difference, from its transition tables), which never
 *       waits on anyone; a count is the sum of a state's rows. A reader that finds more than {@link #COMPACT_ABOVE}
 *       rows folds them into one row per state ({@link #compact}: deleted and summed in one statement, so a concurrent
 *       writer's row, not yet visible, is kept; one node at a time, under an advisory lock). A scrape therefore reads
 *       the rows written since the last scrape, a cost of the traffic, not of the history. Each node also reads them at
 *       its reload tick, so that a node nobody scrapes does not grow the table without bound.</li>
 * </ul>
 */
final class DeliveryCounts {
    /** What a scrape runs: the counts, in one statement. */
    static final String READ = "SELECT state, SUM(n), COUNT(*) FROM delivery_counts GROUP BY state";
    /** Rows a read may find before it folds them (PostgreSQL). */
    static final int COMPACT_ABOVE = 64;
    /** Rows folded above which the fold is followed by a VACUUM of the table (PostgreSQL). */
    static final int VACUUM_ABOVE = 10_000;
    /** The advisory lock of a fold (an arbitrary constant: "LIAISONC"). */
    private static final long COMPACT_LOCK = 0x4C494149534F4E43L;

    private DeliveryCounts() {}

    /** The migration: the table, the counts of the rows there now, and the triggers that keep them. */
    static String migration(SqlDialect d) {
        if (d == SqlDialect.SQLITE) {
            String up = "INSERT INTO delivery_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;";
            String down = "UPDATE delivery_counts SET n = n - 1 WHERE state = OLD.state;";
            return "CREATE TABLE delivery_counts (state TEXT PRIMARY KEY, n BIGINT NOT NULL);"
                    + "INSERT INTO delivery_counts (state, n) SELECT state, COUNT(*) FROM deliveries GROUP BY state;"
                    + "CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries BEGIN " + up + " END;"
                    + "CREATE TRIGGER delivery_counts_update AFTER UPDATE OF state ON deliveries WHEN OLD.state IS NOT NEW.state BEGIN "
                    + down + " " + up + " END;"
                    + "CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries BEGIN " + down + " END;";
        }
        return "CREATE TABLE delivery_counts (state TEXT NOT NULL, n BIGINT NOT NULL);"
                + "INSERT INTO delivery_counts (state, n) SELECT state, COUNT(*) FROM deliveries GROUP BY state;"
                + function("liaison_delivery_counts_insert", "SELECT state, COUNT(*) FROM new_rows GROUP BY state")
                + function("liaison_delivery_counts_update", "SELECT state, SUM(d) FROM (SELECT state, 1 AS d FROM new_rows"
                        + " UNION ALL SELECT state, -1 FROM old_rows) t GROUP BY state HAVING SUM(d) <> 0")
                + function("liaison_delivery_counts_delete", "SELECT state, -COUNT(*) FROM old_rows GROUP BY state")
                + "CREATE TRIGGER delivery_counts_insert AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows"
                + " FOR EACH STATEMENT EXECUTE PROCEDURE liaison_delivery_counts_insert();"
                + "CREATE TRIGGER delivery_counts_update AFTER UPDATE ON deliveries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
                + " FOR EACH STATEMENT EXECUTE PROCEDURE liaison_delivery_counts_update();"
                + "CREATE TRIGGER delivery_counts_delete AFTER DELETE ON deliveries REFERENCING OLD TABLE AS old_rows"
                + " FOR EACH STATEMENT EXECUTE PROCEDURE liaison_delivery_counts_delete();";
    }

    private static String function(String name, String select) {
        return "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " INSERT INTO delivery_counts (state, n) " + select + "; RETURN NULL; END $$;";
    }

    /** The deliveries by state (states without one left out), read in one statement; on PostgreSQL folded when due. */
    static Map<State, Long> read(Connection c, SqlDialect d) throws SQLException {
        Map<State, Long> out = new EnumMap<>(State.class);
        long rows = 0;
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(READ)) {
            while (r.next()) {
                long n = r.getLong(2);
                if (n != 0) {
                    out.put(State.valueOf(r.getString(1)), n);
                }
                rows += r.getLong(3);
            }
        }
        if (d == SqlDialect.POSTGRES && rows > COMPACT_ABOVE) {
            compact(c);
            if (rows > VACUUM_ABOVE && c.getAutoCommit()) {
                // Many rows folded (no scrape for a long while, a bulk load): their dead versions would be read by every
                // read until autovacuum comes by (1.5 million rows: 5.5 s to fold, then 120–170 ms a read, measured), so
                // reclaimed now. FULL: the folded rows are written after the deleted ones, at the table's end, so a plain
                // VACUUM cannot give back the empty pages before them and every read scans them (10⁶ held messages after a
                // bulk load: 91 ms a scrape vs 8 ms at 10³). The table is a few rows by then: rewriting it takes
                // milliseconds, during which the writers' triggers wait for its lock; when a transaction holds the table
                // for longer than a second (a bulk load's batch), a plain VACUUM instead (the empty pages then stay until a
                // later large fold rewrites the table).
                try (Statement s = c.createStatement()) {
                    s.execute("SET lock_timeout = '1s'");
                    try {
                        s.execute("VACUUM FULL delivery_counts");
                    } catch (SQLException lockTimeout) {
                        s.execute("VACUUM delivery_counts");
                    } finally {
                        s.execute("RESET lock_timeout");
                    }
                }
            }
        }
        return out;
    }

    /**
     * PostgreSQL: folds the rows into one per state, unless another node is folding them now. The rows deleted are those
     * the statement sees; a row written meanwhile by a transaction not committed yet stays, and is folded next time.
     */
    static void compact(Connection c) throws SQLException {
        SqlDialect.transaction(c, t -> {
            try (Statement s = t.createStatement()) {
                try (ResultSet r = s.executeQuery("SELECT pg_try_advisory_xact_lock(" + COMPACT_LOCK + ")")) {
                    if (!r.next() || !r.getBoolean(1)) {
                        return null;
                    }
                }
                s.executeUpdate("WITH gone AS (DELETE FROM delivery_counts RETURNING state, n) INSERT INTO delivery_counts (state, n)"
                        + " SELECT state, SUM(n) FROM gone GROUP BY state HAVING SUM(n) <> 0");
            }
            return null;
        });
    }
}
