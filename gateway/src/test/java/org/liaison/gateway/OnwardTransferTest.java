package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;

/**
 * A file Albania received from Italy under no-onward-transfer cannot go on to the United States:
 * the CLI refuses it when it comes from the fetched package's folder, and Albania's own node
 * refuses it whatever folder it comes from (audited, nothing queued), also after a restart, and after the
 * message itself was deleted. It may go back to Italy.
 */
class OnwardTransferTest {
    @TempDir
    Path dir;

    private static String[] submit(Path profile, String to, Path file) {
        return new String[] {"--profile", profile.toString(), "submit", "--to", to, "--service", "mla-request", "--case", "OP-RELAY",
            "--legal-basis", "UNTOC art. 18", "--new", file.toString()};
    }

    @Test
    void aFileReceivedUnderNoOnwardTransferGoesBackToItsSenderOnly() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path alUser = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        byte[] content = "names of the informants".getBytes(StandardCharsets.UTF_8);
        MemoryAuditLog alAudit = new MemoryAuditLog();
        UUID id;
        try (GatewayNode it = t.start(IT); GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            byte[] manifest = Manifests.sign(new ManifestSpec("OP-RELAY", Service.MLA_REQUEST, IT, List.of(AL), null, Instrument.UNTOC,
                    "18", "", Classification.RESTRICTED, Set.of(HandlingFlag.NO_ONWARD_TRANSFER), null),
                    List.of(new FileEntry("informants.txt", "text/plain", content.length, Envelopes.sha256(content),
                            List.of(new FileEntry.Custody("test", now, "test", "")))), t.investigator(IT), UUID.randomUUID(), now);
            id = it.outbox().submit(new Outbox.Submission(manifest, List.of(() -> new ByteArrayInputStream(content)), null, null, null,
                    Duration.ofHours(1)));
            TestNodes.await("delivery", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(it, id));
            Path fetched = dir.resolve("fetched");
            assertThat(BackupRestoreTest.cli("--profile", alUser.toString(), "fetch", id.toString(), "--out", fetched.toString()).code())
                    .isZero();
            Path inPackage = fetched.resolve("files/informants.txt");

            // The CLI sees where the file comes from.
            BackupRestoreTest.Run cli = BackupRestoreTest.cli(submit(alUser, "US-OIA", inPackage));
            assertThat(cli.code()).isEqualTo(Main.FAILED);
            assertThat(cli.err()).contains("marked no-onward-transfer").contains("back to IT-DNA only");

            // Copied elsewhere, the gateway still knows it: refused, audited, nothing queued.
            Path copy = Files.copy(inPackage, dir.resolve("copy.txt"));
            int sentBefore = al.store().sent().all().size();
            BackupRestoreTest.Run node = BackupRestoreTest.cli(submit(alUser, "US-OIA", copy));
            assertThat(node.code()).isEqualTo(Main.FAILED);
            assertThat(node.err()).contains("LIAISON:0034").contains("message " + id);
            assertThat(al.store().sent().all()).hasSize(sentBefore);
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("submit-refused")).singleElement()
                    .satisfies(e -> assertThat(e.reason()).contains("LIAISON:0034"));

            // Back to the authority it came from: allowed.
            BackupRestoreTest.Run back = BackupRestoreTest.cli(submit(alUser, "IT-DNA", inPackage));
            assertThat(back.code()).as(back.err()).isZero();
        }
        // After a restart the node rebuilds what it knows from its inbox.
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            BackupRestoreTest.Run again = BackupRestoreTest.cli(submit(alUser, "US-OIA", dir.resolve("copy.txt")));
            assertThat(again.code()).isEqualTo(Main.FAILED);
            assertThat(again.err()).contains("LIAISON:0034");
            // The case is deleted at Albania: the message goes, the restriction on its file stays ...
            Path ops = t.federation.profiles().get(AL).get(Role.OPERATOR);
            BackupRestoreTest.Run delete = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "delete", "OP-RELAY", "--reason",
                    "retention decision 12/2026");
            assertThat(delete.code()).as(delete.err()).isZero();
            assertThat(al.store().inbox().received(id)).isEmpty();
        }
        // ... also once the node rebuilt its index without the message.
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            BackupRestoreTest.Run deleted = BackupRestoreTest.cli(submit(alUser, "US-OIA", dir.resolve("copy.txt")));
            assertThat(deleted.code()).isEqualTo(Main.FAILED);
            assertThat(deleted.err()).contains("LIAISON:0034").contains("message " + id);
        }
    }
}
