package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.LocalPostgres;

/**
 * Issue 25, item 16: a node of a cluster (PostgreSQL store and shared audit log) whose store of a
 * reception fails after the reception was written to the log (PostgreSQL going away between the two,
 * injected here as a trigger refusing the first inbox insert). The sender's retry is stored; the log
 * must show that one reception only, each logged reception being one the store holds.
 */
class ClusterReceptionAuditTest {
    @TempDir
    Path dir;

    @Test
    void aReceptionWhoseStoreFailsLeavesNoEntryAndTheRetryIsLoggedOnce() throws Exception {
        TestNodes t = new TestNodes(dir);
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        TestCluster.Nodes cluster = TestCluster.configure(t.federation, IT, 1, db);
        try (GatewayNode it = GatewayNode.start(cluster.configs().get(0), TestNodes.FAST); GatewayNode al = t.start(AL)) {
            try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement()) {
                s.execute("CREATE SEQUENCE inbox_inserts");
                s.execute("CREATE FUNCTION fail_first_inbox_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF nextval('inbox_inserts') = 1 THEN RAISE EXCEPTION 'the database went away (injected)'; END IF;"
                        + " RETURN NEW; END $$");
                s.execute("CREATE TRIGGER fail_first BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION fail_first_inbox_insert()");
            }
            UUID id = al.outbox().submit(t.submission(AL, List.of(IT), null, null, TestNodes.text("received once")));
            TestNodes.await("delivery", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(al, id));
            assertThat(it.store().inbox().receiptFor(AL, id)).isPresent();
            List<String> entries = new ArrayList<>();
            long inserts;
            try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement()) {
                try (ResultSet r = s.executeQuery("SELECT entry FROM audit_entries ORDER BY seq")) {
                    while (r.next()) {
                        entries.add(new String(r.getBytes(1), StandardCharsets.UTF_8));
                    }
                }
                try (ResultSet r = s.executeQuery("SELECT last_value FROM inbox_inserts")) {
                    r.next();
                    inserts = r.getLong(1);
                }
            }
            assertThat(inserts).as("the first store failed, a retry was stored").isGreaterThanOrEqualTo(2);
            List<String> receptions = entries.stream().filter(e -> e.contains(id.toString()) && e.contains("\"type\":\"receive")).toList();
            assertThat(receptions).as("the log's receptions of " + id).hasSize(1);
            assertThat(receptions.get(0)).contains("\"type\":\"receive\"").contains("\"outcome\":\"ok\"");
            // The checkpoints signed inside the receptions' transactions are the log's: a pulled copy verifies,
            // and Albania checked the one its receipt brought against the key the directory lists.
            AuditLog.Snapshot copy = it.audit().tree().orElseThrow().snapshot();
            Path pulled = java.nio.file.Files.createDirectories(dir.resolve("pulled"));
            java.nio.file.Files.copy(copy.entries(), pulled.resolve(FileAuditLog.ENTRIES));
            java.nio.file.Files.copy(copy.checkpoints(), pulled.resolve(FileAuditLog.CHECKPOINTS));
            AuditLogVerifier.Report report = AuditLogVerifier.verify(pulled,
                    it.audit().verifierKey());
            assertThat(report.problems()).isEmpty();
            assertThat(report.valid()).isTrue();
            al.peerLogs().drain();
            assertThat(al.peerLogs().stored(IT)).isPresent();
            assertThat(al.metrics().scrape()).doesNotContain("liaison_audit_peer_alarms_total");
        }
    }

    /**
     * The single node (file audit log, SQLite): the entry is durable before the store (a receipt's
     * checkpoint covers it; a crash between the two is found at the next start). When the store fails
     * instead, the sender's retry is the same reception: it is logged as a receive-duplicate, not as a
     * second reception.
     */
    @Test
    void onOneNodeARetryAfterAFailedStoreIsNotASecondReception() throws Exception {
        TestNodes t = new TestNodes(dir);
        UUID id;
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.start(AL)) {
            String db = "jdbc:sqlite:" + t.auditDir(IT).resolveSibling("messages.db");
            try (Connection c = DriverManager.getConnection(db); Statement s = c.createStatement()) {
                s.execute("CREATE TRIGGER fail_insert BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'injected store failure'); END");
            }
            id = al.outbox().submit(t.submission(AL, List.of(IT), null, null, TestNodes.text("received once")));
            TestNodes.await("a refused attempt", Duration.ofSeconds(30), () -> al.store().deliveries().of(id).get(0).attempts() >= 1
                    && al.store().deliveries().of(id).get(0).lastError() != null);
            try (Connection c = DriverManager.getConnection(db); Statement s = c.createStatement()) {
                s.execute("DROP TRIGGER fail_insert");
            }
            TestNodes.await("delivery", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(al, id));
            assertThat(it.store().inbox().receiptFor(AL, id)).isPresent();
        }
        List<String> entries = AuditLogVerifier.entries(t.auditDir(IT)).stream()
                .map(e -> new String(e, StandardCharsets.UTF_8)).filter(e -> e.contains(id.toString())).toList();
        assertThat(entries.stream().filter(e -> e.contains("\"type\":\"receive\"")).toList()).as(entries.toString()).hasSize(1);
        assertThat(entries).anyMatch(e -> e.contains("\"type\":\"receive-duplicate\"") && e.contains("failed store"));
    }
}
