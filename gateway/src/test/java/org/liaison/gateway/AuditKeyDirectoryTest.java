package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Pem;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.Doctor;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;

/**
 * The audit log's verifier key is published in the signed directory: init-federation lists each
 * node's, a node whose log key the directory does not list does not start, peers check checkpoints
 * against the listed key (an unlisted one is an alarm), and an auditor's pull refuses a copy signed
 * under a key the directory does not list.
 */
class AuditKeyDirectoryTest {
    @TempDir
    Path dir;

    private static FederationDirectory directory(Path fed) throws Exception {
        return new DirectoryVerifier(Pem.readCertificate(fed.resolve("operator/ca/ca.pem")),
                List.of(Pem.readCrl(fed.resolve("operator/ca/crl.pem"))))
                .verify(Files.readAllBytes(fed.resolve("directory.xml")), Instant.now());
    }

    @Test
    void theDirectoryListsEachLogKeyAndANodeWithAnotherDoesNotStart() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path fed = t.federation.dir();
        FederationDirectory d = directory(fed);
        for (var id : List.of(IT, AL, TestNodes.US)) {
            String key = FileAuditLog.verifierKeyOf(fed.resolve(id.value()).resolve(FederationSetup.AUDIT_KEY),
                    FederationSetup.auditLogName(id));
            assertThat(d.require(id).auditLogKeys()).containsExactly(key);
        }
        try (GatewayNode al = t.startLogged(AL)) {
            assertThat(d.require(AL).auditLogKeys()).containsExactly(al.audit().verifierKey());
        }
        assertThat(Doctor.examine(t.config(AL), Doctor.Limits.DEFAULT, Clock.systemUTC())).filteredOn(c -> c.name().equals("audit key"))
                .singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(Doctor.Status.OK));

        // Another key in the file: refused at start, naming the key and the fix; the log is not touched.
        Path keyFile = fed.resolve("AL-PP").resolve(FederationSetup.AUDIT_KEY);
        Files.move(keyFile, fed.resolve("AL-PP/audit-log.key.kept"));
        FileAuditLog.createKey(keyFile, FederationSetup.auditLogName(AL));
        // Over the existing log, its checkpoints do not verify under the new key: the log refuses to open.
        assertThatThrownBy(() -> t.startLogged(AL)).hasMessageContaining("cannot be opened");
        // A fresh data folder (a node rebuilt with a new key): the directory does not list it.
        SecureFiles.deleteTree(fed.resolve("AL-PP/data"));
        assertThatThrownBy(() -> t.startLogged(AL)).hasMessageContaining("audit log key of this node")
                .hasMessageContaining("is not one directory #1 lists for AL-PP");
        assertThat(Doctor.examine(t.config(AL), Doctor.Limits.DEFAULT, Clock.systemUTC())).filteredOn(c -> c.name().equals("audit key"))
                .singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(Doctor.Status.FAIL));
        // No key file at all: refused, nothing made.
        Files.delete(keyFile);
        assertThatThrownBy(() -> t.startLogged(AL)).hasMessageContaining("does not exist");
        assertThat(keyFile).doesNotExist();
    }

    @Test
    void peersAndAuditorsRefuseALogKeyTheDirectoryWithdrew() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path fed = t.federation.dir();
        Path auditor = fed.resolve("AL-PP/users/auditor");
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            UUID first = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("one")));
            TestNodes.await("delivered", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(it, first));
            BackupRestoreTest.Run ok = BackupRestoreTest.cli("--profile", auditor.toString(), "audit", "pull", "--out",
                    dir.resolve("pull-1").toString());
            assertThat(ok.code()).as(ok.err()).isZero();

            // The operator lists another key for Albania's log (say, Albania reported its key lost).
            Path other = dir.resolve("other.key");
            String otherKey = FileAuditLog.createKey(other, FederationSetup.auditLogName(AL));
            Path draft = dir.resolve("draft.xml");
            assertThat(BackupRestoreTest.cli("directory", "edit", fed.resolve("directory.xml").toString(), "--authority", "AL-PP",
                    "--remove", "audit=" + al.audit().verifierKey(), "--add", "audit=" + otherKey, "--out", draft.toString()).code()).isZero();
            Path signed = dir.resolve("directory-2.xml");
            assertThat(BackupRestoreTest.cli("directory", "sign", draft.toString(), "--key", fed.resolve("operator/directory-signing.p12")
                    .toString(), "--password-file", fed.resolve("operator/directory-signing.password").toString(), "--out",
                    signed.toString()).code()).isZero();
            Files.move(signed, fed.resolve("directory.xml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            TestNodes.await("directory #2", Duration.ofSeconds(10), () -> it.trust().directory().sequence() == 2);

            // Italy's node checks Albania's next checkpoint against the listed key: an alarm.
            UUID second = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("two")));
            TestNodes.await("delivered", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(it, second));
            TestNodes.await("the alarm", Duration.ofSeconds(20), () -> it.metrics().scrape().contains("liaison_audit_peer_alarms_total"));
            assertThat(it.metrics().scrape()).contains("liaison_audit_peer_alarms_total{peer=\"AL-PP\"}");

            // Albania's auditor, whose profile reads the same directory, refuses the copy.
            BackupRestoreTest.Run refused = BackupRestoreTest.cli("--profile", auditor.toString(), "audit", "pull", "--out",
                    dir.resolve("pull-2").toString());
            assertThat(refused.code()).isEqualTo(Main.FAILED);
            assertThat(refused.err()).contains("does not list for AL-PP").contains("not trusted");
            assertThat(dir.resolve("pull-2")).doesNotExist();
        }
    }
}
