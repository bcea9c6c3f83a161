package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL's own plans of what a listing, a deadline pass and the retention sweep run, on a store of 20,000 received
 * and 20,000 sent rows (statistics gathered): each is read from an index, never by a scan of the inbox, the outbox or
 * the deliveries, with the values bound as the node binds them (a custom plan) and as a prepared statement planned
 * once for any values (a generic plan, which the driver and the server switch to after a few executions). The SQL is
 * the store's own, captured as it runs. Before: an investigator's inbox page checked "a reply to a message I sent" with
 * an {@code EXISTS} under an OR, which PostgreSQL plans as a hashed subplan: every message the person ever sent read
 * and hashed at each page (200–300 ms a page at 10⁵ messages, in {@code scripts/bench-history --postgres}).
 */
class PostgresListingPlanTest {
    /** Rows a side: 20,000 (-Dliaison.test.planRows=1000000 to read the plans at a million; -Dliaison.test.printPlans=true prints them). */
    private static final int ROWS = Integer.getInteger("liaison.test.planRows", 20_000);
    private static final boolean PRINT = Boolean.getBoolean("liaison.test.printPlans");
    private static final String EXPLAIN = PRINT ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN ";
    private static final String ME = "SHA256:me";
    private static final Instant NOW = Instant.ofEpochMilli(ROWS * 1000L + 1);
    /** A message id for cursors (ids are UUIDs from md5 here, spread over the whole range). */
    private static final String MIDDLE = "80000000-0000-0000-0000-000000000000";

    @TempDir
    static java.nio.file.Path dir;

    private static LocalPostgres.Database db;

    @BeforeAll
    static void seed() throws Exception {
        db = LocalPostgres.newDatabase();
        PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 1, dir, "node-a").close(); // the schema
        try (Connection c = connect(); Statement s = c.createStatement()) {
            // A fifth with a respond-by date (the older half of them passed), one in eleven urgent, 40 cases, 5 services.
            s.execute("INSERT INTO outbox (message_id, created_at, expires_at, envelope, blobs, submitter, case_ref, service, created_ms,"
                    + " respond_ms) SELECT md5('o' || g)::uuid::text, now(), now(), '\\x00', 'b', CASE WHEN g % 3 = 0 THEN 'SHA256:other' ELSE '" + ME
                    + "' END, 'OP-' || (g % 40), 'svc-' || (g % 5), g * 1000, CASE WHEN g % 5 = 1 THEN g * 1000 + 2000000 END"
                    + " FROM generate_series(1, " + ROWS + ") g");
            s.execute("INSERT INTO deliveries (message_id, recipient, state, attempts, next_attempt_at) SELECT md5('o' || g)::uuid::text, 'IT-DNA',"
                    + " 'DELIVERED', 1, now() FROM generate_series(1, " + ROWS + ") g");
            s.execute("INSERT INTO inbox (sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, case_ref, service,"
                    + " files, bytes, respond_ms, urgency, received_ms, urgent, owed_ms) SELECT CASE WHEN g % 2 = 0 THEN 'IT-DNA' ELSE"
                    + " 'US-OIA' END, md5('i' || g)::uuid::text, now(), '\\x00', 'x', '\\x00', 'b', 'OP-' || (g % 40), 'svc-' || (g % 5), 1, 1,"
                    + " CASE WHEN g % 5 = 1 THEN g * 1000 + 2000000 END, CASE WHEN g % 11 = 0 THEN 'urgent' END, g * 1000,"
                    + " CASE WHEN g % 11 = 0 THEN 1 ELSE 0 END, CASE WHEN g % 5 = 1 THEN g * 1000 + 2000000 END"
                    + " FROM generate_series(1, " + ROWS + ") g");
            // The sent side's oldest tenth deleted by retention, as after years (their rows kept for good, with their digests).
            s.execute("UPDATE outbox SET deleted_ms = created_ms + 1 WHERE created_ms <= " + ROWS / 10 * 1000L);
            s.execute("ANALYZE");
        }
    }

    private static Connection connect() throws Exception {
        return DriverManager.getConnection(db.url(), db.user(), db.password());
    }

    /** A statement the store ran, and the values it bound (by position). */
    private record Ran(String sql, Map<Integer, Object> values) {}

    /** Runs {@code work} on a connection that records every statement prepared on it, with its values. */
    private static List<Ran> capture(SqlDialect.Work<?> work) throws Exception {
        List<Ran> ran = new ArrayList<>();
        try (Connection real = connect()) {
            Connection c = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, m, args) -> {
                        Object out = invoke(real, m, args);
                        if (m.getName().equals("prepareStatement")) {
                            Ran r = new Ran((String) args[0], new TreeMap<>());
                            ran.add(r);
                            PreparedStatement p = (PreparedStatement) out;
                            return Proxy.newProxyInstance(PreparedStatement.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
                                    (pp, pm, pargs) -> {
                                        if (pm.getName().startsWith("set") && pargs != null && pargs.length == 2 && pargs[0] instanceof Integer i) {
                                            r.values().put(i, pargs[1]);
                                        }
                                        return invoke(p, pm, pargs);
                                    });
                        }
                        return out;
                    });
            work.run(c);
        }
        assertThat(ran).isNotEmpty();
        return ran;
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The plan of a statement the store ran: as the node runs it (custom) and prepared once for any values (generic). */
    private static List<String> plans(Ran r) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = connect()) {
            try (PreparedStatement p = c.prepareStatement(EXPLAIN + r.sql())) {
                for (Map.Entry<Integer, Object> v : r.values().entrySet()) {
                    p.setObject(v.getKey(), v.getValue());
                }
                out.add(text(p.executeQuery()));
            }
            String sql = r.sql();
            StringBuilder numbered = new StringBuilder();
            int n = 0;
            for (char ch : sql.toCharArray()) {
                numbered.append(ch == '?' ? "$" + ++n : String.valueOf(ch));
            }
            List<String> literals = new ArrayList<>();
            for (Object v : r.values().values()) {
                literals.add(v instanceof String s ? "'" + s.replace("'", "''") + "'" : String.valueOf(v));
            }
            try (Statement s = c.createStatement()) {
                s.execute("SET plan_cache_mode = force_generic_plan");
                s.execute("PREPARE q AS " + numbered);
                out.add(text(s.executeQuery(EXPLAIN + "EXECUTE q(" + String.join(", ", literals) + ")")));
            }
        }
        return out;
    }

    private static String text(ResultSet r) throws Exception {
        StringBuilder b = new StringBuilder();
        while (r.next()) {
            b.append(r.getString(1)).append('\n');
        }
        return b.toString();
    }

    /** Every statement {@code work} runs is planned without a scan of a table that grows with the history. */
    private static void readsIndexesOnly(String what, SqlDialect.Work<?> work) throws Exception {
        for (Ran r : capture(work)) {
            for (String plan : plans(r)) {
                if (PRINT) {
                    System.out.println("== " + what + ": " + r.sql() + " " + r.values() + "\n" + plan);
                }
                assertThat(plan).as(what + ": " + r.sql()).doesNotContain("Seq Scan on inbox").doesNotContain("Seq Scan on outbox")
                        .doesNotContain("Seq Scan on deliveries");
            }
        }
    }

    private static final MessageStore.Viewer INVESTIGATOR = new MessageStore.Viewer(false, ME, Set.of("OP-7"), true);

    private static MessageStore.ListingFilter filter(String caseRef, String party, String service, Instant since, boolean overdue) {
        return new MessageStore.ListingFilter(caseRef, party, service, since, null, overdue, false, INVESTIGATOR);
    }

    private static void inbox(String what, MessageStore.ListingFilter f, MessageStore.Cursor after) throws Exception {
        readsIndexesOnly(what, c -> Listings.inbox(c, SqlDialect.POSTGRES, SqlInbox.LISTED, f, NOW, after, 50, r -> r.getString(2)));
    }

    @Test
    void anInvestigatorsInboxPagesReadIndexes() throws Exception {
        inbox("first page", filter(null, null, null, null, false), null);
        inbox("by case", filter("OP-7", null, null, null, false), null);
        inbox("by sender and service", filter(null, "IT-DNA", "svc-1", null, false), null);
        inbox("since", filter(null, null, null, NOW.minus(Duration.ofSeconds(ROWS / 10)), false), null);
        inbox("overdue", filter(null, null, null, null, true), null);
        inbox("a page by cursor", filter(null, null, null, null, false), new MessageStore.Cursor(5, 0, ROWS / 2 * 1000L, MIDDLE, "IT-DNA"));
    }

    @Test
    void anInvestigatorsSentPagesReadIndexes() throws Exception {
        for (MessageStore.ListingFilter f : List.of(filter(null, null, null, null, false), filter("OP-7", null, null, null, false),
                filter(null, "IT-DNA", null, null, false), filter(null, null, null, null, true))) {
            readsIndexesOnly("sent " + f, c -> Listings.sent(c, SqlDialect.POSTGRES, SqlSent.LISTED, f, NOW, null, 50, r -> r.getString(1)));
        }
        readsIndexesOnly("sent, a page by cursor", c -> Listings.sent(c, SqlDialect.POSTGRES, SqlSent.LISTED, filter(null, null, null, null,
                false), NOW, new MessageStore.Cursor(0, 0, ROWS / 2 * 1000L, MIDDLE, ""), 50, r -> r.getString(1)));
    }

    @Test
    void deadlinesAndTheRetentionSweepReadIndexes() throws Exception {
        readsIndexesOnly("passed deadlines", c -> Listings.passed(c, NOW, 256));
        Instant cutoff = Instant.ofEpochMilli(ROWS / 2 * 1000L);
        Instant swept = Instant.ofEpochMilli(ROWS / 10 * 1000L); // nothing live left before it: only deleted rows
        for (boolean received : new boolean[] {true, false}) {
            String columns = received ? SqlInbox.COLUMNS : SqlSent.COLUMNS;
            readsIndexesOnly("retention", c -> Listings.stored(c, received, columns, "svc-1", cutoff, null, 100, r -> r.getString(1)));
            readsIndexesOnly("retention, next page", c -> Listings.stored(c, received, columns, "svc-1", cutoff,
                    new MessageStore.Cursor(0, 0, ROWS / 4 * 1000L, MIDDLE, received ? "IT-DNA" : ""), 100,
                    r -> r.getString(1)));
            readsIndexesOnly("oldest", c -> Listings.oldest(c, received, "svc-1"));
            // From the index of live rows, in its order: not a walk of every row (deleted ones too) by time, filtered.
            String index = received ? "inbox_retention" : "outbox_retention";
            try (Connection c = connect(); Statement st = c.createStatement();
                    ResultSet r = st.executeQuery("SELECT indexdef FROM pg_indexes WHERE indexname = '" + index + "'")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).as(index).endsWith("WHERE (deleted_ms IS NULL)");
            }
            uses(index, c -> Listings.stored(c, received, columns, "svc-1", cutoff, null, 100, r -> r.getString(1)));
            uses(index, c -> Listings.stored(c, received, columns, "svc-1", swept, null, 100, r -> r.getString(1)));
            uses(index, c -> Listings.oldest(c, received, "svc-1"));
        }
    }

    /** Every statement {@code work} runs is planned (custom and generic) on {@code index}. */
    private static void uses(String index, SqlDialect.Work<?> work) throws Exception {
        for (Ran r : capture(work)) {
            for (String plan : plans(r)) {
                assertThat(plan).as(r.sql()).contains("using " + index + " on");
            }
        }
    }

    /**
     * The node's connections (its pool: the store's and the shared audit log's) never compile a statement just in time.
     * PostgreSQL does so when a plan's estimate passes jit_above_cost, and estimates grow with the tables: at a million
     * held messages an inbox page (51 rows read by an index scan, 0.3 ms) was estimated above it and spent 40–90 ms
     * compiling at every page. Here jit_above_cost is set to 0, standing for those estimates on this smaller table.
     */
    @Test
    void theNodesConnectionsDoNotCompileAPageJustInTime() throws Exception {
        List<Ran> page = capture(c -> Listings.inbox(c, SqlDialect.POSTGRES, SqlInbox.LISTED, filter(null, "IT-DNA", "svc-1", null, false),
                NOW, null, 50, r -> r.getString(2)));
        try (com.zaxxer.hikari.HikariDataSource pool = PostgresMessageStore.pool(db.url(), db.user(), db.password().toCharArray(), 1,
                "plan-test", "node-a"); Connection c = pool.getConnection()) {
            try (Statement s = c.createStatement()) {
                s.execute("SET jit_above_cost = 0");
            }
            for (Ran r : page) {
                try (PreparedStatement p = c.prepareStatement("EXPLAIN (ANALYZE) " + r.sql())) {
                    for (Map.Entry<Integer, Object> v : r.values().entrySet()) {
                        p.setObject(v.getKey(), v.getValue());
                    }
                    assertThat(text(p.executeQuery())).as(r.sql()).doesNotContain("JIT:");
                }
            }
        }
        // The same statement on a connection of the server's defaults is compiled, where the server can (pg_jit_available:
        // JIT built in and its library installed; Debian's postgresql package has it): what the node's connections change.
        try (Connection c = connect(); Statement s = c.createStatement()) {
            boolean jit;
            try (ResultSet r = s.executeQuery("SELECT pg_jit_available()")) {
                jit = r.next() && r.getBoolean(1);
            }
            if (jit) {
                s.execute("SET jit_above_cost = 0");
                try (PreparedStatement p = c.prepareStatement("EXPLAIN (ANALYZE) " + page.get(0).sql())) {
                    for (Map.Entry<Integer, Object> v : page.get(0).values().entrySet()) {
                        p.setObject(v.getKey(), v.getValue());
                    }
                    assertThat(text(p.executeQuery())).contains("JIT:");
                }
            }
        }
    }

    /**
     * The overdue counts (the overdue gauges' background count) read the requests owed from a partial index alone: the
     * sent ones from outbox_owed_kept (not answered, not deleted), never a row of the outbox (outbox_owed, which keeps
     * the deleted requests too, read each row to leave them out), the received ones from inbox_owed.
     */
    @Test
    void theOverdueCountsReadTheRequestsOwedFromAnIndexAlone() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("VACUUM ANALYZE outbox"); // as autovacuum keeps a table: its visibility map set
            s.execute("VACUUM ANALYZE inbox");
        }
        for (boolean received : new boolean[] {true, false}) {
            readsIndexesOnly("overdue", c -> Listings.overdue(c, NOW, received));
            for (Ran r : capture(c -> Listings.overdue(c, NOW, received))) {
                for (String plan : plans(r)) {
                    assertThat(plan).as(r.sql()).contains(received ? "Index Only Scan using inbox_owed on inbox"
                            : "Index Only Scan using outbox_owed_kept on outbox");
                }
            }
        }
    }
}
