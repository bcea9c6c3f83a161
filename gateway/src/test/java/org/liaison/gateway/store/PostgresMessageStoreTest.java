package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.store.MessageStore.State;

/**
 * The store contract on PostgreSQL, and what a shared store adds: several nodes of one authority
 * on one database. Runs on a throwaway PostgreSQL started on loopback ({@link LocalPostgres}); the
 * same tests run in a PostgreSQL container where Docker answers ({@link PostgresContainerStoreTest}).
 */
class PostgresMessageStoreTest extends MessageStoreContract {
    private LocalPostgres.Database db;

    /** The database of each test: a new one on the loopback server. */
    LocalPostgres.Database database() throws Exception {
        return LocalPostgres.newDatabase();
    }

    @BeforeEach
    void database_() throws Exception {
        db = database();
    }

    @Override
    MessageStore open(String nodeId) {
        return PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 4, dir, nodeId);
    }

    @Test
    void aDuplicateGetsTheReceiptTheOtherNodeStoredAndAKeyNamesOneMessageAcrossNodes() throws Exception {
        try (MessageStore a = open("node-a"); MessageStore b = open("node-b")) {
            UUID id = UUID.randomUUID();
            assertThat(a.inbox().storeReceived(received(IT, id, dir.resolve("blobs/x"), new byte[] {4}))).isEqualTo(MessageStore.Stored.STORED);
            assertThat(b.inbox().storeReceived(received(IT, id, dir.resolve("blobs/x"), new byte[] {5}))).isEqualTo(MessageStore.Stored.DUPLICATE);
            assertThat(b.inbox().receiptFor(IT, id)).hasValueSatisfying(r -> assertThat(r).containsExactly(4));
            UUID first = queued(a, "k");
            assertThat(queued(b, "k")).isEqualTo(first);
            assertThat(b.sent().all()).hasSize(1);
        }
    }

    @Test
    void twoNodesRacingSubmitOneMessagePerKeyAndClaimEachDeliveryOnce() throws Exception {
        try (MessageStore a = open("node-a"); MessageStore b = open("node-b")) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                // 10 keys, 4 attempts each, alternating nodes: one message per key.
                List<Future<UUID>> attempts = new ArrayList<>();
                for (int k = 0; k < 10; k++) {
                    String key = "key-" + k;
                    for (int i = 0; i < 4; i++) {
                        MessageStore s = i % 2 == 0 ? a : b;
                        attempts.add(pool.submit(() -> queued(s, key)));
                    }
                }
                Set<UUID> ids = new HashSet<>();
                for (Future<UUID> f : attempts) {
                    ids.add(f.get());
                }
                assertThat(ids).hasSize(10);
                assertThat(a.sent().all()).hasSize(10);
                // Both nodes sweep for due deliveries and claim what they find: each delivery is claimed once.
                ConcurrentHashMap<UUID, String> claimedBy = new ConcurrentHashMap<>();
                List<Future<Integer>> sweeps = new ArrayList<>();
                for (MessageStore s : List.of(a, b, a, b)) {
                    sweeps.add(pool.submit(() -> {
                        int n = 0;
                        for (MessageStore.Delivery d : s.deliveries().dueDeliveries(Instant.now().plusSeconds(1), 100)) {
                            if (s.deliveries().transition(d.messageId(), d.recipient(), d.state(), new MessageStore.Send(Instant.now().plusSeconds(60)))) {
                                assertThat(claimedBy.putIfAbsent(d.messageId(), s == a ? "a" : "b")).isNull();
                                n++;
                            }
                        }
                        return n;
                    }));
                }
                int claimed = 0;
                for (Future<Integer> f : sweeps) {
                    claimed += f.get();
                }
                assertThat(claimed).isEqualTo(10);
                assertThat(a.deliveries().countByState()).containsEntry(State.SENDING, 10L);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aRestartingNodeTakesBackItsOwnAndExpiredLeasesButNotThoseOfANodeThatIsAlive() throws Exception {
        try (MessageStore a = open("node-a"); MessageStore b = open("node-b")) {
            Instant now = Instant.now();
            UUID aOwn = queued(a, null);
            UUID bLive = queued(a, null);
            UUID bDead = queued(a, null);
            a.deliveries().transition(aOwn, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(300)));
            b.deliveries().transition(bLive, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(300)));
            b.deliveries().transition(bDead, AL, State.QUEUED, new MessageStore.Send(now.minusSeconds(1)));
            // Node A restarts: its own lease (from before the restart) and B's expired one are due again; B's live one is not.
            try (MessageStore restarted = open("node-a")) {
                assertThat(restarted.deliveries().recoverInterrupted(now)).isEqualTo(2);
                assertThat(state(restarted, aOwn)).isEqualTo(State.RETRYING);
                assertThat(state(restarted, bDead)).isEqualTo(State.RETRYING);
                assertThat(state(restarted, bLive)).isEqualTo(State.SENDING);
            }
            // Only the node holding a lease renews it.
            a.deliveries().renewLeases(Set.of(bLive + "/" + AL), now.minusSeconds(5));
            assertThat(a.deliveries().recoverExpiredLeases(now, Set.of())).isZero();
        }
    }

    /**
     * Notices to send have the deliveries' leases: of two nodes that race for one, exactly one claims it; a node
     * restarting takes back its own notice leases and expired ones, never those of a node that is alive.
     */
    @Test
    void aNoticeIsClaimedByOneNodeAndARestartTakesBackOnlyItsOwnOrExpiredLeases() throws Exception {
        try (MessageStore a = open("node-a"); MessageStore b = open("node-b")) {
            Instant now = Instant.now();
            List<MessageStore.Stage> n = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                n.add(new MessageStore.Stage(UUID.randomUUID(), IT, "opened", now, null, new byte[] {1}));
                a.notices().recordStage(n.get(i), true, now);
            }
            assertThat(a.notices().transition(n.get(0), State.QUEUED, new MessageStore.Send(now.plusSeconds(300)))).isTrue();
            assertThat(b.notices().transition(n.get(0), State.QUEUED, new MessageStore.Send(now.plusSeconds(300)))).isFalse();
            assertThat(b.notices().transition(n.get(1), State.QUEUED, new MessageStore.Send(now.plusSeconds(300)))).isTrue();
            assertThat(b.notices().transition(n.get(2), State.QUEUED, new MessageStore.Send(now.minusSeconds(1)))).isTrue();
            try (MessageStore restarted = open("node-a")) {
                assertThat(restarted.notices().recoverInterrupted(now)).isEqualTo(2);
                assertThat(n).extracting(x -> restarted.notices().notice(x).orElseThrow().state())
                        .containsExactly(State.RETRYING, State.SENDING, State.RETRYING);
            }
        }
    }

    @Test
    void twoNodesOpeningAnEmptyDatabaseTogetherMigrateItOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<MessageStore> x = pool.submit(() -> open("node-a"));
            Future<MessageStore> y = pool.submit(() -> open("node-b"));
            try (MessageStore a = x.get(); MessageStore b = y.get()) {
                UUID id = queued(a, null);
                assertThat(b.deliveries().of(id)).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }
    /**
     * A store at schema 4 (before the listing columns) with rows: migration 5 adds the columns, keeps every
     * row and its case, and marks the rows as without a listing (the node fills them, reading each envelope once).
     */
    @Test
    void migrationFiveAddsTheListingColumnsAndMarksOlderRowsAsWithoutOne() throws Exception {
        UUID id = UUID.randomUUID();
        try (MessageStore s = open()) {
            s.inbox().storeReceived(new MessageStore.Received(IT, id, java.time.Instant.now(), new byte[] {1}, "00", new byte[] {2},
                    dir.resolve("b"), null, "OP-OLD", LISTING));
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
                java.sql.Statement st = c.createStatement()) {
            // Migration 7's columns and table first, then migration 6's (PostgreSQL drops their indexes with them).
            st.execute("DROP TABLE seals");
            st.execute("ALTER TABLE notices DROP COLUMN state, DROP COLUMN last_error, DROP COLUMN receipt, DROP COLUMN lease_ms,"
                    + " DROP COLUMN leased_by");
            st.execute("ALTER TABLE inbox DROP COLUMN kept");
            st.execute("ALTER TABLE outbox DROP COLUMN kept");
            st.execute("ALTER TABLE inbox DROP COLUMN received_ms, DROP COLUMN answered_ms, DROP COLUMN owed_ms, DROP COLUMN urgent");
            st.execute("ALTER TABLE outbox DROP COLUMN created_ms, DROP COLUMN respond_ms, DROP COLUMN answered_ms, DROP COLUMN passed_ms");
            for (String index : List.of("inbox_by_reply", "outbox_by_reply", "inbox_retention", "inbox_unlisted", "outbox_retention",
                    "outbox_unsealed", "outbox_by_submitter", "outbox_case_created", "inbox_deleted", "outbox_deleted")) {
                st.execute("DROP INDEX IF EXISTS " + index);
            }
            st.execute("ALTER TABLE inbox DROP COLUMN service, DROP COLUMN classification, DROP COLUMN handling, DROP COLUMN files,"
                    + " DROP COLUMN bytes, DROP COLUMN respond_ms, DROP COLUMN urgency, DROP COLUMN conversation_id, DROP COLUMN in_reply_to");
            st.execute("ALTER TABLE outbox DROP COLUMN service, DROP COLUMN addressed, DROP COLUMN conversation_id, DROP COLUMN in_reply_to");
            st.execute("UPDATE liaison_schema SET version = 4");
        }
        try (MessageStore s = open()) {
            MessageStore.Received r = s.inbox().received(id).orElseThrow();
            assertThat(r.caseRef()).isEqualTo("OP-OLD");
            assertThat(r.listing()).isNull();
            assertThat(s.inbox().recordListing(IT, id, "OP-OLD", LISTING)).isTrue();
            assertThat(s.inbox().received(id).orElseThrow().listing()).isEqualTo(LISTING);
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
                java.sql.Statement st = c.createStatement(); java.sql.ResultSet r = st.executeQuery("SELECT version FROM liaison_schema")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getInt(1)).isEqualTo(8);
        }
    }
}
