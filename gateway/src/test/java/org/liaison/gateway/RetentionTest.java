package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Retention;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.model.Service;

/**
 * Retention and provable deletion: when a message's retention ends, or an operator deletes its case,
 * the node destroys its envelope (the only copy of its wrapped keys: nothing left anywhere decrypts its
 * files), removes the files, keeps the digests, and logs the deletion; the audit log still verifies and
 * lists it.
 */
class RetentionTest {
    @TempDir
    Path dir;

    private static String submit(Path profile, Path file, String caseRef) {
        BackupRestoreTest.Run r = BackupRestoreTest.cli("--profile", profile.toString(), "submit", "--to", "AL-PP", "--service", "mla-request",
                "--case", caseRef, "--legal-basis", "UNTOC art. 18", "--new", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    /** A distinctive piece of a stored envelope: the base64 of its first wrapped key. */
    private static String wrappedKey(byte[] envelope) {
        String xml = new String(envelope, StandardCharsets.UTF_8);
        int at = xml.indexOf("CipherValue>", xml.indexOf("EncryptedKey")) + "CipherValue>".length();
        return xml.substring(at, at + 40);
    }

    /** Whether {@code needle} occurs anywhere in the store's files (database, write-ahead log). */
    private static boolean storeFilesContain(Path data, String needle) throws Exception {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        try (var files = Files.list(data)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("messages.db")).toList()) {
                byte[] b = Files.readAllBytes(f);
                for (int i = 0; i + n.length <= b.length; i++) {
                    if (java.util.Arrays.equals(b, i, i + n.length, n, 0, n.length)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void whenRetentionEndsThePayloadKeysAndFilesAreDestroyedAndTheLoggedDeletionVerifies() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "statements of account 4711");
        Files.writeString(t.config(AL), "retention:\n  mla-request: PT4S\n", java.nio.file.StandardOpenOption.APPEND);
        Path data = t.config(AL).resolveSibling("data");
        String id;
        String key;
        Path blobs;
        byte[] receipt;
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = t.startLogged(AL)) {
            assertThat(alNode.retention().periods().get(Service.MLA_REQUEST).text()).isEqualTo("PT4S");
            assertThat(alNode.retention().periods().get(Service.EXTRADITION_REQUEST).text()).isEqualTo("P10Y");
            id = submit(it, file, "OP-KEEP");
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 1);
            MessageStore.Received r = alNode.store().inbox().received(UUID.fromString(id)).orElseThrow();
            key = wrappedKey(r.envelope());
            blobs = r.blobs();
            receipt = r.receipt();
            assertThat(storeFilesContain(data, key)).isTrue();
            assertThat(blobs).isDirectory();

            // The row goes first, then the files (a sweep carries a logged deletion out whole after a crash between the two).
            TestNodes.await("the retention to end", Duration.ofSeconds(30),
                    () -> alNode.store().inbox().all().isEmpty() && !Files.exists(blobs));
            // Recorded as removed: the next start does not look for it again (nor for any other deletion done whole).
            assertThat(alNode.store().inbox().deletedBlobs()).isEmpty();
            // The digests stay: a late duplicate of the message gets the receipt given then, and is not stored again.
            assertThat(alNode.store().inbox().receiptFor(IT, UUID.fromString(id))).hasValueSatisfying(x -> assertThat(x).isEqualTo(receipt));
            BackupRestoreTest.Run fetch = BackupRestoreTest.cli("--profile", t.federation.profiles().get(AL).get(Role.INVESTIGATOR).toString(),
                    "fetch", id, "--out", dir.resolve("got").toString());
            assertThat(fetch.code()).isNotZero();
            // Italy's copy is under Italy's retention (five years by default): kept.
            assertThat(itNode.store().sent().outgoing(UUID.fromString(id))).isPresent();
        }
        // Crypto-shredding at rest: the wrapped key is in no file of the store any more (not in free pages, not in the WAL).
        assertThat(storeFilesContain(data, key)).isFalse();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("messages.db"));
                ResultSet rs = c.createStatement().executeQuery("SELECT length(envelope), envelope_sha256, deleted_ms FROM inbox")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isZero();
            assertThat(rs.getString(2)).hasSize(64);
            assertThat(rs.getLong(3)).isPositive();
        }
        // The log verifies and lists the deletion, with the digests and no content.
        String vkey = Files.readString(t.auditDir(AL).resolve("log.vkey")).strip();
        BackupRestoreTest.Run verify = BackupRestoreTest.cli("audit", "verify", t.auditDir(AL).toString(), "--key", vkey);
        assertThat(verify.code()).as(verify.out() + verify.err()).isZero();
        BackupRestoreTest.Run deletions = BackupRestoreTest.cli("audit", "query", t.auditDir(AL).toString(), "--key", vkey, "--type", "delete",
                "--json");
        assertThat(deletions.code()).as(deletions.err()).isZero();
        assertThat(deletions.out()).contains(id).contains("retention PT4S expired").contains("envelopeSha256")
                .doesNotContain("OP-KEEP").doesNotContain("4711");
    }

    @Test
    void anOperatorDeletesACaseAndOnlyThatCaseWithTheReasonLogged() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            String gone = submit(it, file, "OP-CLOSED/2026");
            String kept = submit(it, file, "OP-OPEN");
            TestNodes.await("two deliveries", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 2);
            BackupRestoreTest.Run reply = BackupRestoreTest.cli("--profile", al.toString(), "submit", "--in-reply-to", gone, "--to", "IT-DNA",
                    "--service", "mla-response", "--case", "OP-CLOSED/2026", "--legal-basis", "UNTOC art. 18", file.toString());
            assertThat(reply.code()).as(reply.err()).isZero();
            String replyId = reply.out().strip();
            TestNodes.await("the reply delivered", Duration.ofSeconds(20), () -> itNode.store().inbox().all().size() == 1);

            // An investigator may not; an unknown case is a clear error that deletes nothing.
            BackupRestoreTest.Run notAllowed = BackupRestoreTest.cli("--profile", al.toString(), "cases", "delete", "OP-CLOSED/2026",
                    "--reason", "tidying up");
            assertThat(notAllowed.code()).isNotZero();
            Path ops = StoredDataTest.operatorProfile(t);
            BackupRestoreTest.Run unknown = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "delete", "OP-NONE", "--reason", "x");
            assertThat(unknown.code()).isNotZero();
            assertThat(unknown.err()).contains("no message of case OP-NONE");
            assertThat(alNode.store().inbox().all()).hasSize(2);

            BackupRestoreTest.Run delete = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "delete", "OP-CLOSED/2026",
                    "--reason", "court order 2026/114");
            assertThat(delete.code()).as(delete.err()).isZero();
            assertThat(delete.out()).contains("1 received and 1 sent").contains(gone).contains(replyId);
            assertThat(alNode.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactly(UUID.fromString(kept));
            assertThat(alNode.store().sent().outgoing(UUID.fromString(replyId))).isEmpty();
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("delete")).hasSize(2)
                    .allMatch(e -> e.reason().equals("case OP-CLOSED/2026 deleted: court order 2026/114") && e.actor().startsWith("SHA256:"));
            BackupRestoreTest.Run again = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "delete", "OP-CLOSED/2026", "--reason",
                    "court order 2026/114");
            assertThat(again.code()).isNotZero(); // nothing left of it
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("delete")).hasSize(2);
        }
    }

    @Test
    void aQuarantinedMessageIsNoWayAroundACaseDeletionOrItsRetention() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        Files.writeString(t.config(AL), "retention:\n  law-enforcement-exchange: PT6S\n", java.nio.file.StandardOpenOption.APPEND);
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            UUID held = UUID.fromString(submit(it, file, "OP-HELD"));
            BackupRestoreTest.Run lee = BackupRestoreTest.cli("--profile", it.toString(), "submit", "--to", "AL-PP", "--service",
                    "law-enforcement-exchange", "--case", "OP-SHORT", "--legal-basis", "UNTOC art. 18", "--new", file.toString());
            assertThat(lee.code()).as(lee.err()).isZero();
            UUID expiring = UUID.fromString(lee.out().strip());
            TestNodes.await("two deliveries", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 2);
            Path heldBlobs = alNode.store().inbox().received(held).orElseThrow().blobs();
            assertThat(alNode.store().inbox().quarantine(held, "incident 7")).isTrue();
            assertThat(alNode.store().inbox().quarantine(expiring, "incident 7")).isTrue();

            // The operator deletes the case: the quarantined message goes with it (its envelope held its content keys).
            Path ops = StoredDataTest.operatorProfile(t);
            BackupRestoreTest.Run delete = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "delete", "OP-HELD", "--reason",
                    "court order 2026/115");
            assertThat(delete.code()).as(delete.out() + delete.err()).isZero();
            assertThat(delete.out()).contains(held.toString());
            assertThat(alNode.store().inbox().received(held)).isEmpty();
            assertThat(heldBlobs).doesNotExist();
            assertThat(alNode.store().inbox().deletedBlobs()).isEmpty();
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("delete") && e.messageId().equals(held.toString()))
                    .singleElement().satisfies(e -> assertThat(e.reason()).contains("court order 2026/115").contains("quarantined: incident 7"));

            // Its retention ends for a quarantined message too.
            TestNodes.await("the retention of the quarantined message", Duration.ofSeconds(30), () -> alNode.store().inbox().all().isEmpty());
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("delete") && e.messageId().equals(expiring.toString()))
                    .singleElement().satisfies(e -> assertThat(e.reason()).contains("retention PT6S expired"));
        }
    }

    @Test
    void retentionPeriodsAreReadStrictly() {
        assertThat(Retention.periods(Map.of("default", "P2Y")).get(Service.CONSULAR_NOTIFICATION).text()).isEqualTo("P2Y");
        assertThat(Retention.periods(null).get(Service.CONSULAR_NOTIFICATION).text()).isEqualTo("P1Y");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Retention.periods(Map.of("mla-requests", "P1Y")))
                .hasMessageContaining("retention.mla-requests: not a service");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Retention.periods(Map.of("default", "five years")))
                .hasMessageContaining("ISO-8601");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Retention.periods(Map.of("default", "P0D")))
                .hasMessageContaining("ISO-8601");
    }
}
