package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.store.MessageStore.State;

/**
 * Deliveries by state without counting the deliveries (issue 26: a metrics scrape took 245 ms at 10⁶ held messages,
 * 6 scans of the deliveries per scrape, one per state). A scrape reads the counts once; the store reads them in one
 * statement that does not read the deliveries table, on SQLite and on PostgreSQL; the migration counts the deliveries
 * a store already holds. (The values after each insert and transition: {@link MessageStoreContract}; two nodes on one
 * database: {@link PostgresMessageStoreTest}.)
 */
class DeliveryCountsTest {
    private static final AuthorityId AL = AuthorityId.of("AL-PP");
    private static final AuthorityId US = AuthorityId.of("US-OIA");

    @TempDir
    Path dir;

    @Test
    void aScrapeReadsTheDeliveriesByStateOnceNotOncePerState() {
        AtomicInteger reads = new AtomicInteger();
        NodeMetrics m = new NodeMetrics();
        m.bindStore(() -> {
            reads.incrementAndGet();
            return Map.of(State.QUEUED, 3L, State.FAILED, 1L);
        }, () -> 0);
        String scrape = m.scrape();
        assertThat(scrape).contains("liaison_deliveries{state=\"queued\"} 3.0").contains("liaison_deliveries{state=\"failed\"} 1.0")
                .contains("liaison_deliveries{state=\"sending\"} 0.0");
        assertThat(reads).as("one read for the six gauges").hasValue(1);
        m.scrape();
        assertThat(reads).hasValue(2);
    }

    @Test
    void aScrapeShowsNothingMadeUpWhenTheStoreCannotBeRead() {
        NodeMetrics m = new NodeMetrics();
        m.bindStore(() -> {
            throw new StoreException("cannot count deliveries: the database is gone", null);
        }, () -> 0);
        assertThat(m.scrape()).contains("liaison_deliveries{state=\"queued\"} NaN");
    }

    /** Every statement the store runs for the deliveries by state, on {@code c}. */
    private static List<String> statementsOfACount(Connection real, SqlDialect dialect) throws Exception {
        List<String> ran = new ArrayList<>();
        Connection c = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, m, args) -> {
                    Object out = invoke(real, m, args);
                    if (m.getName().startsWith("prepare") && args != null && args[0] instanceof String sql) {
                        ran.add(sql);
                    }
                    if (m.getName().equals("createStatement")) {
                        Statement s = (Statement) out;
                        return Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {Statement.class}, (sp, sm, sargs) -> {
                            if (sm.getName().startsWith("execute") && sargs != null && sargs[0] instanceof String sql) {
                                ran.add(sql);
                            }
                            return invoke(s, sm, sargs);
                        });
                    }
                    return out;
                });
        SqlDb db = new SqlDb(dialect, SqlDb.single(c, new Object()), Path.of("."), dialect == SqlDialect.POSTGRES ? "node-a" : null);
        Map<State, Long> counts = new SqlDeliveries(db, dialect == SqlDialect.POSTGRES).countByState();
        assertThat(counts).containsEntry(State.QUEUED, 2L).containsEntry(State.SENDING, 1L);
        return ran;
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** A store with three deliveries (two queued, one sending) and the database's plan of each statement a count runs. */
    private void aCountDoesNotReadTheDeliveries(MessageStore store, Connection raw, SqlDialect dialect, String explain) throws Exception {
        Instant now = Instant.now();
        UUID a = outgoing(store, now, AL, US);
        outgoing(store, now, AL);
        store.deliveries().transition(a, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)));
        List<String> ran = statementsOfACount(raw, dialect);
        assertThat(ran).as("one statement").hasSize(1);
        for (String sql : ran) {
            StringBuilder plan = new StringBuilder();
            try (Statement s = raw.createStatement(); ResultSet r = s.executeQuery(explain + sql)) {
                while (r.next()) {
                    plan.append(r.getString(r.getMetaData().getColumnCount())).append('\n');
                }
            }
            assertThat(plan.toString()).as(sql).doesNotContainPattern("\\bdeliveries\\b").contains("delivery_counts");
        }
    }

    private UUID outgoing(MessageStore s, Instant now, AuthorityId... to) {
        UUID id = UUID.randomUUID();
        s.sent().storeOutgoing(new MessageStore.Outgoing(id, now, now.plus(Duration.ofDays(1)), new byte[] {1}, null,
                dir.resolve("blobs/outbox/" + id), "pkg", "env", "me"), List.of(to), now);
        return id;
    }

    @Test
    void aCountOnSqliteIsOneStatementThatDoesNotReadTheDeliveries() throws Exception {
        Path file = dir.resolve("messages.db");
        try (MessageStore s = SqliteMessageStore.open(file); Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            aCountDoesNotReadTheDeliveries(s, raw, SqlDialect.SQLITE, "EXPLAIN QUERY PLAN ");
        }
    }

    @Test
    void aCountOnPostgresqlIsOneStatementThatDoesNotReadTheDeliveries() throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        try (MessageStore s = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a");
                Connection raw = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            aCountDoesNotReadTheDeliveries(s, raw, SqlDialect.POSTGRES, "EXPLAIN ");
        }
    }

    /**
     * Undoes the migration that keeps the counts (SQLite's 12th; the 13th with it) and sets the store's version to {@code version}
     * (for the tests of earlier migrations too).
     */
    static void undoSqlite(Statement st, int version) throws Exception {
        LeftBlobFoldersTest.undoBlobsRemoved(st); // migration 13 first
        for (String sql : List.of("DROP TRIGGER delivery_counts_insert", "DROP TRIGGER delivery_counts_update",
                "DROP TRIGGER delivery_counts_delete", "DROP TABLE delivery_counts", "DROP INDEX outbox_owed_kept",
                "DROP INDEX inbox_retention", "CREATE INDEX inbox_retention ON inbox (service, received_ms)",
                "DROP INDEX outbox_retention", "CREATE INDEX outbox_retention ON outbox (service, created_ms)",
                "PRAGMA user_version=" + version)) {
            st.execute(sql);
        }
    }

    /** Undoes the migration that keeps the counts (PostgreSQL's 8th; the 9th and 10th with it); the version is the caller's to set. */
    static void undoPostgres(Statement st) throws Exception {
        LeftBlobFoldersTest.undoBlobsRemoved(st); // migration 9 first
        for (String sql : List.of("DROP TRIGGER delivery_counts_insert ON deliveries", "DROP TRIGGER delivery_counts_update ON deliveries",
                "DROP TRIGGER delivery_counts_delete ON deliveries", "DROP FUNCTION liaison_delivery_counts_insert()",
                "DROP FUNCTION liaison_delivery_counts_update()", "DROP FUNCTION liaison_delivery_counts_delete()",
                "DROP TABLE delivery_counts", "DROP INDEX outbox_owed_kept",
                "DROP INDEX inbox_retention", "CREATE INDEX inbox_retention ON inbox (service, received_ms)",
                "DROP INDEX outbox_retention", "CREATE INDEX outbox_retention ON outbox (service, created_ms)")) {
            st.execute(sql);
        }
    }

    private static Map<State, Long> counted(Connection c) throws Exception {
        Map<State, Long> out = new EnumMap<>(State.class);
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT state, COUNT(*) FROM deliveries GROUP BY state")) {
            while (r.next()) {
                out.put(State.valueOf(r.getString(1)), r.getLong(2));
            }
        }
        return out;
    }

    /** Deliveries of every state, made through the store. */
    private Map<State, Long> history(MessageStore s) {
        Instant now = Instant.now();
        for (int i = 0; i < 12; i++) {
            UUID id = outgoing(s, now, AL, US);
            if (i % 4 != 0) {
                s.deliveries().transition(id, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)));
            }
            if (i % 4 == 2) {
                s.deliveries().transition(id, AL, State.SENDING, new MessageStore.Deliver(1, new byte[] {1}, now));
            } else if (i % 4 == 3) {
                s.deliveries().transition(id, AL, State.SENDING, new MessageStore.Retry(1, now, "down"));
                s.deliveries().transition(id, US, State.QUEUED, new MessageStore.Expire(0, "expired"));
            }
            if (i == 5) {
                s.sent().delete(id, now);
            }
        }
        return s.deliveries().countByState();
    }

    /**
     * A store written before the counts were kept (their migration undone on a store with deliveries of every state) is
     * migrated at open: its deliveries are counted, and kept from then on.
     */
    @Test
    void theMigrationCountsTheDeliveriesAnSqliteStoreAlreadyHolds() throws Exception {
        Path file = dir.resolve("messages.db");
        try (MessageStore s = SqliteMessageStore.open(file)) {
            history(s);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            int version;
            try (ResultSet r = st.executeQuery("PRAGMA user_version")) {
                version = r.getInt(1);
            }
            undoSqlite(st, version - 3);
            Map<State, Long> before = counted(c);
            assertThat(before.keySet()).containsExactlyInAnyOrder(State.values());
            try (MessageStore s = SqliteMessageStore.open(file)) {
                assertThat(s.deliveries().countByState()).isEqualTo(before);
                outgoing(s, Instant.now(), AL);
                assertThat(s.deliveries().countByState()).isEqualTo(counted(c));
            }
        }
    }

    @Test
    void theMigrationCountsTheDeliveriesAPostgresqlStoreAlreadyHolds() throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        try (MessageStore s = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a")) {
            history(s);
        }
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement()) {
            undoPostgres(st);
            st.execute("UPDATE liaison_schema SET version = version - 3");
            Map<State, Long> before = counted(c);
            assertThat(before.keySet()).containsExactlyInAnyOrder(State.values());
            try (MessageStore s = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a")) {
                assertThat(s.deliveries().countByState()).isEqualTo(before);
                outgoing(s, Instant.now(), AL);
                assertThat(s.deliveries().countByState()).isEqualTo(counted(c));
            }
        }
    }

    /**
     * PostgreSQL, after a long while without a scrape: the rows the writers appended are folded by the next read into one
     * per state (and the table vacuumed: a read does not go on reading their dead versions), the figures unchanged.
     */
    @Test
    void aReadFoldsTheRowsAppendedSinceTheLastOneWithoutChangingTheFigures() throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        try (MessageStore s = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a");
                Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement()) {
            outgoing(s, Instant.now(), AL, US);
            // As many rows as 20,000 changes of state leave (a queued delivery sent, then delivered or sent again).
            st.execute("INSERT INTO delivery_counts (state, n) SELECT CASE WHEN g % 2 = 0 THEN 'SENDING' ELSE 'DELIVERED' END,"
                    + " CASE WHEN g % 4 < 2 THEN 1 ELSE -1 END FROM generate_series(1, " + 2 * DeliveryCounts.VACUUM_ABOVE + ") g");
            assertThat(s.deliveries().countByState()).isEqualTo(Map.of(State.QUEUED, 2L));
            try (ResultSet r = st.executeQuery("SELECT COUNT(*) FROM delivery_counts")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getLong(1)).isEqualTo(1);
            }
            // The table's pages given back too: the folded row is written after the deleted ones, so a plain VACUUM kept
            // every page before it and each read went on scanning them, empty (at 10⁶ held messages on PostgreSQL a
            // scrape took 91 ms against 8 ms at 10³: bench-history after a bulk load).
            try (ResultSet r = st.executeQuery("SELECT pg_relation_size('delivery_counts') / current_setting('block_size')::int")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getLong(1)).as("pages of delivery_counts after the fold").isLessThanOrEqualTo(2);
            }
            assertThat(s.deliveries().countByState()).isEqualTo(Map.of(State.QUEUED, 2L));
        }
    }

    @Test
    void aMigrationIsSplitIntoStatementsButNotInsideAFunctionOrATriggerBody() {
        assertThat(SqlDialect.statements(DeliveryCounts.migration(SqlDialect.SQLITE))).hasSize(5)
                .allSatisfy(sql -> assertThat(sql).doesNotEndWith(";"))
                .anySatisfy(sql -> assertThat(sql).startsWith("CREATE TRIGGER delivery_counts_update").endsWith("END")
                        .contains("n = n - 1 WHERE state = OLD.state; INSERT"));
        assertThat(SqlDialect.statements(DeliveryCounts.migration(SqlDialect.POSTGRES))).hasSize(8)
                .filteredOn(sql -> sql.startsWith("CREATE FUNCTION")).hasSize(3)
                .allSatisfy(sql -> assertThat(sql).endsWith("END $$").contains("; RETURN NULL;"));
        assertThat(SqlDialect.statements("CREATE TABLE a (x INT);; CREATE INDEX b ON a (x);")).containsExactly("CREATE TABLE a (x INT)",
                "CREATE INDEX b ON a (x)");
    }
}
