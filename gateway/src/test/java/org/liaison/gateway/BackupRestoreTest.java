package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.protocol.envelope.Envelopes;

/**
 * The runbook's backup and restore: a backup taken while Albania's node receives, restored into
 * another folder, serves a node that opens its audit log, verifies it and reads every message the
 * backup holds; a changed backup or a non-empty target is refused and nothing is written.
 */
class BackupRestoreTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aBackupTakenUnderLoadRestoresIntoAnotherFolderAndServesANode() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path alConfig = t.config(AL);
        Path backup = dir.resolve("backup");
        List<UUID> sent = Collections.synchronizedList(new ArrayList<>());
        String backedUp;
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            AtomicBoolean stop = new AtomicBoolean();
            Thread load = new Thread(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        sent.add(it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("evidence " + i))));
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "load");
            load.start();
            TestNodes.await("messages arriving", Duration.ofSeconds(30), () -> al.store().inbox().all().size() >= 10);
            Run b = cli("store", "backup", "--config", alConfig.toString(), "--out", backup.toString(), "--json");
            assertThat(b.code()).as(b.err()).isZero();
            backedUp = b.out();
            TestNodes.await("more messages after the backup", Duration.ofSeconds(30),
                    () -> al.store().inbox().all().size() >= 10 + 10);
            stop.set(true);
            load.join();
            TestNodes.await("every message delivered", Duration.ofSeconds(30),
                    () -> sent.stream().allMatch(id -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED));
        }
        long inBackup = Long.parseLong(backedUp.replaceAll("(?s).*\"received\" : (\\d+).*", "$1"));
        assertThat(inBackup).isGreaterThanOrEqualTo(10).isLessThan(sent.size());
        assertThat(Files.readString(backup.resolve("backup.json"))).contains("messages.db").contains("audit/entries");

        // Restore into another folder, and run Albania's node on it.
        Path restored = dir.resolve("restored-data");
        Run r = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString(), "--data", restored.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains(inBackup + " messages received");
        String vkey = Files.readString(restored.resolve("audit/log.vkey")).strip();
        AuditLogVerifier.Report report = AuditLogVerifier.verify(restored.resolve("audit"), vkey);
        assertThat(report.problems()).isEmpty();
        assertThat(report.valid()).isTrue();

        Path moved = alConfig.resolveSibling("node-restored.yaml");
        Files.writeString(moved, Files.readString(alConfig, StandardCharsets.UTF_8).replace("dataDir: data", "dataDir: " + restored));
        try (GatewayNode al = GatewayNode.start(moved, TestNodes.FAST)) {
            List<MessageStore.Received> inbox = al.store().inbox().all();
            assertThat((long) inbox.size()).isEqualTo(inBackup);
            for (MessageStore.Received m : inbox) {
                Envelopes.Verified v = Envelopes.verify(m.envelope(), al.trust(), Instant.now(), IT, AL);
                Envelopes.Opened o = Envelopes.open(v, AL, al.decryptionKeys());
                byte[] plain = o.payloads().decrypt(0, Files.newInputStream(BlobStore.payload(m.blobs(), 0)))
                        .readAllBytes();
                assertThat(new String(plain, StandardCharsets.UTF_8)).startsWith("evidence ");
            }
            // The restored log goes on from where the backup ended, signed with the same key.
            assertThat(al.audit().verifierKey()).isEqualTo(vkey);
        }
        assertThat(AuditLogVerifier.verify(restored.resolve("audit"), vkey).valid()).isTrue();
    }

    @Test
    void aRestoreDeletesAgainWhatWasDeletedAfterTheBackup() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path alConfig = t.config(AL);
        Path data = alConfig.resolveSibling("data");
        Path backup = dir.resolve("backup");
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        UUID kept;
        UUID gone;
        try (GatewayNode itNode = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            kept = UUID.fromString(submitCase(it, file, "OP-KEEP"));
            gone = UUID.fromString(submitCase(it, file, "OP-GONE"));
            TestNodes.await("two deliveries", Duration.ofSeconds(20), () -> al.store().inbox().all().size() == 2);
            assertThat(cli("store", "backup", "--config", alConfig.toString(), "--out", backup.toString()).code()).isZero();
            Run delete = cli("--profile", StoredDataTest.operatorProfile(t).toString(), "cases", "delete", "OP-GONE", "--reason",
                    "court order 2026/116");
            assertThat(delete.code()).as(delete.err()).isZero();
        }
        Path goneBlobs;
        try (var s = SqliteMessageStore.open(backup.resolve("messages.db"))) {
            assertThat(s.inbox().received(gone)).isPresent(); // the backup holds it: a plain copy would bring it back
            goneBlobs = backup.toAbsolutePath().relativize(s.inbox().received(gone).orElseThrow().blobs());
        }

        // In place: the data folder moved aside, and no later log named: refused, nothing restored.
        Path old = Files.move(data, alConfig.resolveSibling("data-old"));
        Run refused = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString());
        assertThat(refused.code()).isEqualTo(Main.FAILED);
        assertThat(refused.err()).contains("--deletions-from").contains("Nothing restored");
        assertThat(data).doesNotExist();

        Run r = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString(), "--deletions-from",
                old.resolve("audit").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("1 message(s) deleted after the backup deleted again");
        try (var s = SqliteMessageStore.open(data.resolve("messages.db"))) {
            assertThat(s.inbox().received(kept)).isPresent();
            assertThat(s.inbox().received(gone)).isEmpty();
            assertThat(data.resolve(goneBlobs)).doesNotExist();
            // Its folder removed, and recorded so: the node's next start does not look for it again.
            assertThat(java.util.stream.Stream.concat(s.inbox().deletedBlobs().stream(), s.sent().deletedBlobs().stream()).toList()).isEmpty();
        }
        // The restored log verifies and records each deletion carried out again, with the original's reason.
        String vkey = Files.readString(data.resolve("audit/log.vkey")).strip();
        assertThat(AuditLogVerifier.verify(data.resolve("audit"), vkey).valid()).isTrue();
        Run deletions = cli("audit", "query", data.resolve("audit").toString(), "--key", vkey, "--type", "delete", "--json");
        assertThat(deletions.out()).contains(gone.toString()).contains("deleted again after a restore").contains("court order 2026/116");
        // The node starts on it and does not hold the deleted message.
        try (GatewayNode al = GatewayNode.start(alConfig, TestNodes.FAST)) {
            assertThat(al.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactly(kept);
        }
    }

    static String submitCase(Path profile, Path file, String caseRef) {
        Run r = cli("--profile", profile.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case", caseRef,
                "--legal-basis", "UNTOC art. 18", "--new", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    @Test
    void aChangedBackupOrANonEmptyTargetIsRefusedAndNothingIsWritten() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path alConfig = t.config(AL);
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("one")));
            TestNodes.await("delivery", Duration.ofSeconds(20), () -> al.store().inbox().all().size() == 1);
        }
        Path backup = dir.resolve("backup");
        assertThat(cli("store", "backup", "--config", alConfig.toString(), "--out", backup.toString()).code()).isZero();
        // A second backup into the same folder is refused.
        Run again = cli("store", "backup", "--config", alConfig.toString(), "--out", backup.toString());
        assertThat(again.code()).isEqualTo(Main.FAILED);
        assertThat(again.err()).contains("not empty");

        // The data folder in use is not empty: refused.
        Run busy = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString());
        assertThat(busy.code()).isEqualTo(Main.FAILED);
        assertThat(busy.err()).contains("not empty");

        // A link in the backup (it would copy whatever it points to into the data folder): refused.
        Path link = Files.createSymbolicLink(backup.resolve("blobs/inbox/extra"), Path.of("/etc/hostname"));
        Run linked = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString(), "--data",
                dir.resolve("linked").toString());
        assertThat(linked.code()).isEqualTo(Main.FAILED);
        assertThat(linked.err()).contains("not a regular file");
        assertThat(dir.resolve("linked")).doesNotExist();
        Files.delete(link);

        // One changed byte in a payload: refused before anything is written.
        Path payload;
        try (var s = Files.walk(backup.resolve("blobs/inbox"))) {
            payload = s.filter(p -> p.getFileName().toString().startsWith("payload-")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(payload);
        bytes[bytes.length / 2] ^= 1;
        Files.write(payload, bytes);
        Path target = dir.resolve("target");
        Run changed = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString(), "--data", target.toString());
        assertThat(changed.code()).isEqualTo(Main.FAILED);
        assertThat(changed.err()).contains("does not match its backup.json");
        assertThat(target).doesNotExist();
    }

    /** Every regular file under {@code root}, by relative path, with its bytes (as hex: comparable). */
    static java.util.Map<String, String> files(Path root) throws Exception {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        try (var walk = Files.walk(root)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(f).toString(), java.util.HexFormat.of().formatHex(Files.readAllBytes(f)));
            }
        }
        return out;
    }

    /**
     * The evidence a node keeps (its own and its peers', with the CRLs in force at each event) is in the backup: restored
     * byte for byte, and the restored node exports a container of a message received before the backup that verifies.
     */
    @Test
    void theEvidenceAndItsCrlHistoryAreBackedUpAndRestored() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path alConfig = t.config(AL);
        Path data = alConfig.resolveSibling("data");
        Path auditor = t.federation.profiles().get(AL).get(Role.AUDITOR);
        UUID id;
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("one")));
            TestNodes.await("the delivered evidence logged at Albania", Duration.ofSeconds(20), () -> {
                try {
                    return al.evidence().of(id).stream().anyMatch(e -> e.auditIndex() >= 0);
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            });
        }
        java.util.Map<String, String> evidence = files(data.resolve("evidence"));
        assertThat(evidence.keySet()).anyMatch(f -> f.startsWith(id + "/") && f.endsWith(".xml")).anyMatch(f -> f.startsWith("crls/"));
        // As if an evidence was being issued while the backup ran: its index line names an entry beyond the copied log, and
        // another line is cut short. Neither is copied (the restored log goes on with other entries at those indexes).
        Files.writeString(data.resolve("evidence").resolve(id.toString()).resolve(EvidenceIssuer.INDEX), "later.xml 999999\nlast.xml 1",
                java.nio.file.StandardOpenOption.APPEND);
        Path backup = dir.resolve("backup");
        Run b = cli("store", "backup", "--config", alConfig.toString(), "--out", backup.toString());
        assertThat(b.code()).as(b.err()).isZero();
        Files.move(data, alConfig.resolveSibling("data-old"));
        Run r = cli("store", "restore", "--from", backup.toString(), "--config", alConfig.toString(), "--deletions-from",
                alConfig.resolveSibling("data-old").resolve("audit").toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(files(data.resolve("evidence"))).isEqualTo(evidence);

        try (GatewayNode al = GatewayNode.start(alConfig, TestNodes.FAST)) {
            Path container = dir.resolve("restored.asice");
            Run export = cli("--profile", auditor.toString(), "evidence", "export", id.toString(), "--out", container.toString());
            assertThat(export.code()).as(export.err()).isZero();
            Run verify = cli("evidence", "verify", container.toString(), "--json");
            com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(verify.out());
            com.fasterxml.jackson.databind.JsonNode delivered = null;
            for (com.fasterxml.jackson.databind.JsonNode e : report.path("timeline")) {
                delivered = e.path("event").asText().equals("delivered") ? e : delivered;
            }
            assertThat(delivered).as(verify.out()).isNotNull();
            assertThat(delivered.path("proven").toString()).as(verify.out()).contains("audit log at entry");
            // (its witnesses are not running here: only their quorum can be missing)
            delivered.path("problems").forEach(p -> assertThat(p.asText()).as(verify.out()).startsWith("witness quorum missing"));
        }
    }
}
