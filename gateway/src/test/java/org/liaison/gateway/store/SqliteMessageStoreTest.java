package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.liaison.certs.AuthorityId;

/** The store contract on SQLite, and what is SQLite's own: its file moved elsewhere, its schema migrations. */
class SqliteMessageStoreTest extends MessageStoreContract {
    @Override
    MessageStore open(String nodeId) {
        return SqliteMessageStore.open(dir.resolve("messages.db"));
    }

    static MessageStore.Received received(AuthorityId from, UUID id, Path blobs) {
        return new MessageStore.Received(from, id, Instant.now(), new byte[] {1}, "00", new byte[] {2}, blobs);
    }

    /** Every lookup a reception, a fetch or a case makes is by an index: none reads the whole table. */
    @Test
    void lookupsByIdAndCaseUseAnIndex() throws Exception {
        SqliteMessageStore.open(dir.resolve("messages.db")).close();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("messages.db"));
                java.sql.Statement st = c.createStatement()) {
            for (String q : new String[] {
                "SELECT sender FROM inbox WHERE message_id = 'x' AND deleted_ms IS NULL ORDER BY quarantine IS NOT NULL, received_at LIMIT 1",
                "SELECT receipt FROM inbox WHERE sender = 'IT-DNA' AND message_id = 'x'",
                "SELECT message_id FROM inbox WHERE deleted_ms IS NULL AND (case_ref = 'x')",
                "SELECT message_id FROM outbox WHERE deleted_ms IS NULL AND (case_ref = 'x')",
                "SELECT case_ref FROM inbox WHERE message_id = 'x' AND case_ref IS NOT NULL"}) {
                StringBuilder plan = new StringBuilder();
                try (java.sql.ResultSet r = st.executeQuery("EXPLAIN QUERY PLAN " + q)) {
                    while (r.next()) {
                        plan.append(r.getString(4)).append("; ");
                    }
                }
                assertThat(plan.toString()).as(q).doesNotContain("SCAN inbox").doesNotContain("SCAN outbox").contains("USING");
            }
        }
    }

    /**
     * The overdue gauges' counts (made at start, then at most every 10 s, holding the store's one connection) and crash
     * recovery's question for each reception in the audit log's tail (at start) read an index only. The sent count read each overdue row before, to see whether it was deleted: on SQLite that column lies
     * past the envelope, so every overdue request's envelope was read (1.1 s cold at 100,000 messages held, seconds at
     * a million, the node's requests waiting meanwhile). Also after migrating a store of version 11.
     */
    @Test
    void overdueCountsReadAnIndexOnly() throws Exception {
        Path db = dir.resolve("messages.db");
        freshThenMigrated(db, (c, st) -> {
            for (String q : List.of(Listings.OVERDUE_SENT, Listings.OVERDUE_RECEIVED, SqlInbox.HOLDS)) {
                assertThat(plan(st, q)).as(q).contains("USING COVERING INDEX");
            }
        });
    }

    private interface StoreCheck {
        void check(Connection c, Statement st) throws Exception;
    }

    /** Runs {@code check} on the store at {@code db} made fresh, then on it taken back to version 11 and migrated again. */
    private static void freshThenMigrated(Path db, StoreCheck check) throws Exception {
        SqliteMessageStore.open(db).close();
        for (boolean migrated : new boolean[] {false, true}) {
            if (migrated) {
                backToEleven(db);
                SqliteMessageStore.open(db).close();
            }
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
                check.check(c, st);
            }
        }
    }

    /** SQLite's plan of {@code q} (its parameters as 0), its steps joined. */
    private static String plan(Statement st, String q) throws Exception {
        StringBuilder plan = new StringBuilder();
        try (java.sql.ResultSet r = st.executeQuery("EXPLAIN QUERY PLAN " + q.replace("?", "0"))) {
            while (r.next()) {
                plan.append(r.getString(4)).append("; ");
            }
        }
        return plan.toString();
    }

    /**
     * The retention sweep (hourly) and its question "when does the oldest live row expire" read an index of the live rows
     * only: a deleted row keeps its row for good, and with an index of every row each sweep walked all the rows deleted
     * before, a decade of them. Also after migrating a store of version 11.
     */
    @Test
    void theRetentionSweepReadsAnIndexOfLiveRowsOnly() throws Exception {
        Path db = dir.resolve("retention/messages.db");
        freshThenMigrated(db, (c, st) -> {
            for (String index : List.of("inbox_retention", "outbox_retention")) {
                try (java.sql.ResultSet r = st.executeQuery("SELECT sql FROM sqlite_master WHERE name = '" + index + "'")) {
                    assertThat(r.getString(1)).as(index).endsWith("WHERE deleted_ms IS NULL");
                }
            }
            for (boolean received : new boolean[] {true, false}) {
                String columns = received ? SqlInbox.COLUMNS : SqlSent.COLUMNS;
                for (String service : java.util.Arrays.asList("svc-1", null)) {
                    List<String> ran = new java.util.ArrayList<>();
                    Connection spy = (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                                if (m.getName().equals("prepareStatement")) {
                                    ran.add((String) args[0]);
                                }
                                return m.invoke(c, args);
                            });
                    Listings.stored(spy, received, columns, service, Instant.now(), null, 10, r -> r.getString(1));
                    Listings.oldest(spy, received, service);
                    for (String q : ran) {
                        assertThat(plan(st, q)).as(q).contains(received ? "inbox_retention" : "outbox_retention")
                                .doesNotContain("TEMP B-TREE");
                    }
                }
            }
        });
    }

    @Test
    void aDataFolderRestoredElsewhereFindsItsBlobs() throws Exception {
        Path a = dir.resolve("a/data");
        UUID id = UUID.randomUUID();
        try (MessageStore s = SqliteMessageStore.open(a.resolve("messages.db"))) {
            s.inbox().storeReceived(received(IT, id, a.resolve("blobs/inbox/IT-DNA/" + id)));
        }
        Path b = dir.resolve("restored/data");
        Files.createDirectories(b.getParent());
        Files.move(a, b);
        try (MessageStore s = SqliteMessageStore.open(b.resolve("messages.db"))) {
            assertThat(s.inbox().received(id).orElseThrow().blobs()).isEqualTo(b.resolve("blobs/inbox/IT-DNA/" + id));
        }
    }

    @Test
    void rowsWithAbsolutePathsFromEarlierVersionsAreMadeRelative() throws Exception {
        Path a = dir.resolve("a/data");
        UUID id = UUID.randomUUID();
        try (MessageStore s = SqliteMessageStore.open(a.resolve("messages.db"))) {
            s.inbox().storeReceived(received(IT, id, a.resolve("blobs/inbox/IT-DNA/" + id)));
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + a.resolve("messages.db")); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE inbox SET blobs = '" + a.toAbsolutePath() + "/blobs/inbox/IT-DNA/" + id + "'");
        }
        // As an earlier version left it: paths are made relative when its store is migrated (not read at every start).
        backToNine(a.resolve("messages.db"));
        try (MessageStore s = SqliteMessageStore.open(a.resolve("messages.db"))) {
            assertThat(s.inbox().received(id).orElseThrow().blobs()).isEqualTo(a.toAbsolutePath().resolve("blobs/inbox/IT-DNA/" + id));
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + a.resolve("messages.db")); Statement st = c.createStatement();
                var r = st.executeQuery("SELECT blobs FROM inbox")) {
            assertThat(r.getString(1)).isEqualTo("blobs/inbox/IT-DNA/" + id);
        }
    }

    @Test
    void migrationSetsAsideASecondMessageWithTheSameIdFromAnotherSender() throws Exception {
        Path db = dir.resolve("old/messages.db");
        Files.createDirectories(db.getParent());
        UUID id = UUID.randomUUID();
        // A version-1 store holding the same id from two senders (possible before version 2).
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.executeUpdate("CREATE TABLE inbox (sender TEXT NOT NULL, message_id TEXT NOT NULL, received_at TEXT NOT NULL,"
                    + " envelope BLOB NOT NULL, envelope_sha256 TEXT NOT NULL, receipt BLOB NOT NULL, blobs TEXT NOT NULL,"
                    + " PRIMARY KEY (sender, message_id))");
            st.executeUpdate("CREATE TABLE outbox (message_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,"
                    + " envelope BLOB NOT NULL, idempotency_key TEXT UNIQUE, blobs TEXT NOT NULL)");
            st.executeUpdate("CREATE TABLE deliveries (message_id TEXT NOT NULL REFERENCES outbox(message_id), recipient TEXT NOT NULL,"
                    + " state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, last_error TEXT, receipt BLOB,"
                    + " delivered_at TEXT, PRIMARY KEY (message_id, recipient))");
            for (String sender : List.of("US-OIA", "IT-DNA")) {
                st.executeUpdate("INSERT INTO inbox VALUES ('" + sender + "', '" + id + "', '" + Instant.now() + "', x'01', '00', x'02',"
                        + " 'b')");
            }
            st.execute("PRAGMA user_version=1");
        }
        try (MessageStore s = SqliteMessageStore.open(db)) {
            assertThat(s.inbox().all()).hasSize(2);
            assertThat(s.inbox().received(id).orElseThrow().sender()).isEqualTo(US);
            assertThat(s.inbox().all()).filteredOn(r -> r.quarantine() != null).extracting(MessageStore.Received::sender).containsExactly(IT);
        }
    }
    /**
     * A store at version 8 (before the listing columns) with rows: migration 9 adds the columns, keeps every
     * row and its case, and marks the rows as without a listing (the node fills them, reading each envelope once).
     */
    @Test
    void migrationNineAddsTheListingColumnsAndMarksOlderRowsAsWithoutOne() throws Exception {
        Path db = dir.resolve("v8/messages.db");
        UUID id = UUID.randomUUID();
        try (MessageStore s = SqliteMessageStore.open(db)) {
            s.inbox().storeReceived(new MessageStore.Received(IT, id, Instant.now(), new byte[] {1}, "00", new byte[] {2}, dir.resolve("b"),
                    null, "OP-OLD", LISTING));
        }
        backToNine(db);
        // Back to version 8's schema, the row kept (SQLite drops a column only once its indexes are gone).
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            for (String index : List.of("inbox_by_service", "inbox_by_conversation", "inbox_by_respond", "inbox_by_received",
                    "outbox_by_conversation")) {
                st.execute("DROP INDEX " + index);
            }
            for (String column : List.of("service", "classification", "handling", "files", "bytes", "respond_ms", "urgency",
                    "conversation_id", "in_reply_to")) {
                st.execute("ALTER TABLE inbox DROP COLUMN " + column);
            }
            for (String column : List.of("service", "addressed", "conversation_id", "in_reply_to")) {
                st.execute("ALTER TABLE outbox DROP COLUMN " + column);
            }
            st.execute("PRAGMA user_version=8");
        }
        try (MessageStore s = SqliteMessageStore.open(db)) {
            MessageStore.Received r = s.inbox().received(id).orElseThrow();
            assertThat(r.caseRef()).isEqualTo("OP-OLD");
            assertThat(r.listing()).isNull();
            assertThat(s.inbox().recordListing(IT, id, "OP-OLD", LISTING)).isTrue();
            assertThat(s.inbox().received(id).orElseThrow().listing()).isEqualTo(LISTING);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                var r = st.executeQuery("PRAGMA user_version")) {
            assertThat(r.getInt(1)).isEqualTo(14);
        }
    }

    /**
     * A store at version 9 with history: migration 10 fills the times, answers and what is owed from the rows
     * (a request answered here, one owed and overdue, a reply received to a request sent from here, a deleted row),
     * so that listings and deadlines read them from the first start.
     */
    @Test
    void migrationTenFillsTimesAnswersAndWhatIsOwedFromTheRowsHeld() throws Exception {
        Path db = dir.resolve("v9/messages.db");
        Instant now = Instant.now();
        UUID answered = UUID.randomUUID();
        UUID owed = UUID.randomUUID();
        UUID gone = UUID.randomUUID();
        UUID asked = UUID.randomUUID();
        MessageStore.Listing due = new MessageStore.Listing("mla-request", "official", List.of(), 1, 1, now.minusSeconds(3600), "urgent",
                UUID.randomUUID(), null);
        try (MessageStore s = SqliteMessageStore.open(db)) {
            for (UUID id : List.of(answered, owed, gone)) {
                s.inbox().storeReceived(new MessageStore.Received(IT, id, now.minusSeconds(7200), new byte[] {1}, "00", new byte[] {2},
                        dir.resolve("b" + id), null, "OP-1", due));
            }
            s.sent().storeOutgoing(new MessageStore.Outgoing(UUID.randomUUID(), now, now.plusSeconds(60), new byte[] {1}, null, dir.resolve("o"),
                    "p", "e", "me", null, "OP-1", new MessageStore.Sealed("mla-request", "[IT-DNA]", UUID.randomUUID(), answered)),
                    List.of(IT), now);
            s.sent().storeOutgoing(new MessageStore.Outgoing(asked, now.minusSeconds(9000), now.plusSeconds(60), new byte[] {1}, null,
                    dir.resolve("o2"), "p", "e", "me", now.minusSeconds(60), "OP-1",
                    new MessageStore.Sealed("mla-request", "[US-OIA]", UUID.randomUUID(), null)), List.of(US), now);
            s.inbox().storeReceived(new MessageStore.Received(US, UUID.randomUUID(), now.minusSeconds(30), new byte[] {1}, "00", new byte[] {2},
                    dir.resolve("r"), null, "OP-1", new MessageStore.Listing("mla-request", "official", List.of(), 1, 1, null, null,
                            UUID.randomUUID(), asked)));
            s.inbox().delete(IT, gone, now);
        }
        backToNine(db);
        try (MessageStore s = SqliteMessageStore.open(db)) {
            assertThat(s.inbox().answered(answered)).isTrue();
            assertThat(s.inbox().answered(owed)).isFalse();
            assertThat(s.sent().answered(asked)).isTrue();
            assertThat(s.inbox().overdue(now)).isEqualTo(1); // owed: the answered one is settled, the deleted one gone
            assertThat(s.sent().overdue(now)).isZero();
            MessageStore.ListingFilter all = new MessageStore.ListingFilter(null, null, null, null, null, false, false,
                    new MessageStore.Viewer(true, "op", java.util.Set.of(), true));
            List<MessageStore.Listed<MessageStore.Received>> page = s.inbox().page(all, now, null, 10);
            assertThat(page).extracting(l -> l.row().messageId()).startsWith(owed).hasSize(3).doesNotContain(gone);
            assertThat(page.get(0).key().at()).isEqualTo(now.minusSeconds(7200).toEpochMilli());
            assertThat(s.sent().page(all, now, null, 10)).hasSize(2);
        }
    }

    /** Back to version 11's schema (before the deliveries' counts and the sent requests owed had their table and index). */
    static void backToEleven(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            DeliveryCountsTest.undoSqlite(st, 11);
        }
    }

    /** Back to version 10's schema (before the stores were split by aggregate), the rows kept. */
    static void backToTen(Path db) throws Exception {
        backToEleven(db);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            for (String index : List.of("notices_state_due", "inbox_legacy", "outbox_legacy", "seals_by_start")) {
                st.execute("DROP INDEX " + index);
            }
            st.execute("DROP TABLE seals");
            for (String column : List.of("state", "last_error", "receipt", "lease_ms", "leased_by")) {
                st.execute("ALTER TABLE notices DROP COLUMN " + column);
            }
            st.execute("ALTER TABLE inbox DROP COLUMN kept");
            st.execute("ALTER TABLE outbox DROP COLUMN kept");
            st.execute("PRAGMA user_version=10");
        }
    }

    /**
     * Migration 11: rows from before the listing columns are marked LEGACY explicitly (not told by nulls), and the
     * notices kept before get the delivery states their columns say (delivered, refused for good, retrying, queued).
     */
    @Test
    void migrationElevenMarksLegacyRowsAndGivesNoticesTheirStates() throws Exception {
        Path db = dir.resolve("v10/messages.db");
        UUID listed = UUID.randomUUID();
        UUID legacy = UUID.randomUUID();
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        List<MessageStore.Stage> notices = new java.util.ArrayList<>();
        for (String stage : List.of("opened", "acknowledged", "declined", "answered")) {
            notices.add(new MessageStore.Stage(UUID.randomUUID(), IT, stage, now, null, new byte[] {1}));
        }
        try (MessageStore s = SqliteMessageStore.open(db)) {
            s.inbox().storeReceived(new MessageStore.Received(IT, listed, now, new byte[] {1}, "00", new byte[] {2}, dir.resolve("a"),
                    null, "OP-1", LISTING));
            s.inbox().storeReceived(new MessageStore.Received(IT, legacy, now, new byte[] {1}, "00", new byte[] {2}, dir.resolve("b")));
            for (MessageStore.Stage n : notices) {
                s.notices().recordStage(n, true, now);
            }
        }
        backToTen(db);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            // As version 10 kept them: delivered; refused for good (next attempt ten years on); retried once; never tried.
            st.execute("UPDATE notices SET delivered_ms = at_ms, attempts = 1 WHERE stage = 'opened'");
            st.execute("UPDATE notices SET next_ms = at_ms + 3650 * CAST(86400000 AS BIGINT), attempts = 1 WHERE stage = 'acknowledged'");
            st.execute("UPDATE notices SET next_ms = at_ms + 60000, attempts = 1 WHERE stage = 'declined'");
        }
        try (MessageStore s = SqliteMessageStore.open(db)) {
            assertThat(s.inbox().received(listed).orElseThrow().kept()).isEqualTo(MessageStore.Kept.LISTED);
            assertThat(s.inbox().received(legacy).orElseThrow()).satisfies(r -> {
                assertThat(r.kept()).isEqualTo(MessageStore.Kept.LEGACY);
                assertThat(r.listing()).isNull();
            });
            assertThat(s.inbox().unlisted(null, 10)).extracting(MessageStore.Received::messageId).containsExactly(legacy);
            assertThat(notices).extracting(n -> s.notices().notice(n).orElseThrow().state()).containsExactly(MessageStore.State.DELIVERED,
                    MessageStore.State.FAILED, MessageStore.State.RETRYING, MessageStore.State.QUEUED);
        }
    }

    /** Back to version 9's schema (before times, answers and what is owed were kept in columns), the rows kept. */
    static void backToNine(Path db) throws Exception {
        backToTen(db);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            for (String index : List.of("inbox_by_reply", "outbox_by_reply", "inbox_owed", "inbox_unowed", "inbox_case_owed", "inbox_case_unowed", "outbox_case_created", "inbox_retention",
                    "inbox_unlisted", "outbox_by_created", "outbox_retention", "outbox_owed", "outbox_unpassed", "outbox_unsealed", "outbox_by_submitter",
                    "inbox_deleted", "outbox_deleted")) {
                st.execute("DROP INDEX " + index);
            }
            for (String column : List.of("received_ms", "answered_ms", "owed_ms", "urgent")) {
                st.execute("ALTER TABLE inbox DROP COLUMN " + column);
            }
            for (String column : List.of("created_ms", "respond_ms", "answered_ms", "passed_ms")) {
                st.execute("ALTER TABLE outbox DROP COLUMN " + column);
            }
            st.execute("PRAGMA user_version=9");
        }
    }
}
