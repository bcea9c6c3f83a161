package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.cli.Doctor;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.PostgresMessageStore;

/**
 * {@code liaison store migrate}: Italy's node moves from SQLite and its file audit log to
 * PostgreSQL, and carries on — its messages, a delivery still pending, and an audit log whose new
 * checkpoints extend those its peer already holds (no alarm at Albania).
 */
class StoreMigrationTest {
    @TempDir
    Path dir;

    @Test
    void aNodeMovesToPostgresqlAndItsPeersSeeTheSameLogGoOn() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        Path itConfig = t.config(IT);
        List<UUID> sent = new ArrayList<>();
        List<UUID> received = new ArrayList<>();
        UUID pending;
        long entriesBefore;
        try (GatewayNode it = t.startLogged(IT)) {
            try (GatewayNode al = t.startLogged(AL)) {
                for (int i = 0; i < 5; i++) {
                    sent.add(it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("to AL " + i))));
                }
                for (int i = 0; i < 3; i++) {
                    received.add(al.outbox().submit(t.submission(AL, List.of(IT), null, null, TestNodes.text("to IT " + i))));
                }
                TestNodes.await("deliveries", Duration.ofSeconds(30), () -> sent.stream().allMatch(id -> NodeExchangeTest.delivered(it, id))
                        && received.stream().allMatch(id -> NodeExchangeTest.delivered(al, id)));
            }
            // A stage told by Albania, and a deleted message (its digests kept): both move too.
            it.store().notices().recordStage(new MessageStore.Stage(sent.get(0), AL, "opened", java.time.Instant.now(), null, new byte[] {1}), false,
                    java.time.Instant.now());
            assertThat(it.store().sent().delete(sent.get(1), java.time.Instant.now())).isTrue();
            org.liaison.gateway.node.Retention.removeLeftFolders(it.store(), java.time.Instant.now()); // its folder gone, and recorded
            assertThat(it.store().sent().deletedBlobs()).isEmpty();
            pending = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("while Albania is down")));
            TestNodes.await("a failed attempt", Duration.ofSeconds(10),
                    () -> it.store().deliveries().of(pending).get(0).state() == MessageStore.State.RETRYING);
        }
        entriesBefore = AuditLogVerifier.entries(t.auditDir(IT)).size();

        Path pw = Files.writeString(itConfig.resolveSibling("postgres.password"), db.password() + "\n");
        BackupRestoreTest.Run m = BackupRestoreTest.cli("store", "migrate", "--config", itConfig.toString(), "--to", db.url(), "--user",
                db.user(), "--password-file", pw.toString());
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(m.out()).contains("Moved 3 received and 6 sent messages (6 deliveries), " + entriesBefore + " audit entries");
        // Into a database that holds a store already: refused.
        BackupRestoreTest.Run again = BackupRestoreTest.cli("store", "migrate", "--config", itConfig.toString(), "--to", db.url(),
                "--user", db.user(), "--password-file", pw.toString());
        assertThat(again.code()).isEqualTo(Main.FAILED);
        assertThat(again.err()).contains("already holds");
        // What was recorded as removed moved too: the first sweep after the move has no folder to look for.
        try (PostgresMessageStore moved = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 1,
                itConfig.getParent(), "check")) {
            assertThat(moved.sent().deletedBlobs()).isEmpty();
            assertThat(moved.inbox().deletedBlobs()).isEmpty();
        }

        String section = m.out().substring(m.out().indexOf("store:"));
        Files.writeString(itConfig, Files.readString(itConfig) + section);
        // A file backup of a node on PostgreSQL would miss the database: refused, with what to do instead.
        BackupRestoreTest.Run backup = BackupRestoreTest.cli("store", "backup", "--config", itConfig.toString(), "--out",
                dir.resolve("backup").toString());
        assertThat(backup.code()).isEqualTo(Main.FAILED);
        assertThat(backup.err()).contains("pg_dump");
        assertThat(dir.resolve("backup")).doesNotExist();
        // The preflight reaches the database (and says so when the password is wrong).
        List<Doctor.Check> checks = Doctor.examine(itConfig,
                Doctor.Limits.DEFAULT, java.time.Clock.systemUTC());
        assertThat(checks).filteredOn(c -> c.name().equals("store")).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo(Doctor.Status.OK);
            assertThat(c.detail()).contains("PostgreSQL").contains("schema version " + PostgresMessageStore.schemaVersion());
        });
        Files.writeString(pw, "wrong\n");
        assertThat(Doctor.examine(itConfig, Doctor.Limits.DEFAULT,
                java.time.Clock.systemUTC())).filteredOn(c -> c.name().equals("store")).singleElement()
                .satisfies(c -> assertThat(c.status()).isEqualTo(Doctor.Status.FAIL));
        Files.writeString(pw, db.password() + "\n");
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            assertThat(it.store()).isInstanceOf(PostgresMessageStore.class);
            assertThat(it.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactlyInAnyOrderElementsOf(received);
            assertThat(it.store().sent().all()).hasSize(5);
            assertThat(it.store().sent().outgoing(sent.get(1))).isEmpty(); // deleted before the move: still deleted
            assertThat(it.store().notices().stages(sent.get(0), false)).extracting(MessageStore.Stage::stage).containsExactly("opened");
            TestNodes.await("the pending delivery", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(it, pending));
            UUID after = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("after the move")));
            TestNodes.await("a new delivery", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(it, after));
            // Albania held Italy's checkpoints from the file log; the one on its next receipt from Italy extends them.
            UUID back = al.outbox().submit(t.submission(AL, List.of(IT), null, null, TestNodes.text("to Italy on PostgreSQL")));
            TestNodes.await("a delivery to the moved node", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(al, back));
            assertThat(it.store().inbox().received(back)).isPresent();
            TestNodes.await("Albania's check of Italy's log", Duration.ofSeconds(30),
                    () -> al.metrics().scrape().contains("liaison_audit_peer_checks_total{outcome=\"consistent\",peer=\"IT-DNA\"}"));
            assertThat(al.metrics().scrape()).doesNotContain("liaison_audit_peer_alarms_total");
            // Italy's auditor pulls the moved log: it verifies and has grown past what was moved.
            BackupRestoreTest.Run pull = BackupRestoreTest.cli("--profile", t.federation.profiles().get(IT)
                    .get(Role.AUDITOR).toString(), "audit", "pull", "--out", dir.resolve("pulled").toString());
            assertThat(pull.code()).as(pull.err()).isZero();
            assertThat(AuditLogVerifier.entries(dir.resolve("pulled")).size()).isGreaterThan((int) entriesBefore);
        }
    }
}
