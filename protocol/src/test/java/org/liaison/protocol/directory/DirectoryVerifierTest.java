package org.liaison.protocol.directory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.testing.TestFederation;
import static org.liaison.protocol.testing.Refusals.refusal;

class DirectoryVerifierTest {
    @TempDir
    Path dir;

    @Test
    void signedDirectoryVerifiesAndListsEveryone() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        assertThat(f.directory.sequence()).isEqualTo(1);
        assertThat(f.directory.authorities()).containsKeys(TestFederation.IT, TestFederation.AL, TestFederation.US);
        assertThat(f.directory.jits().get(TestFederation.JIT).members()).hasSize(3);
        assertThat(f.directory.require(TestFederation.AL).endpoints()).containsExactly("https://127.0.0.1:7002");
    }

    @Test
    void newerDirectoryReplacesOlderAndRollbackIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        byte[] v2 = DirectorySigner.sign(f.draft(2, f.now.plus(Duration.ofDays(7))), f.pki.directorySigning());
        FederationDirectory second = f.verifier.accept(f.directory, v2, f.now);
        assertThat(second.sequence()).isEqualTo(2);
        assertThat(f.verifier.accept(second, v2, f.now)).isSameAs(second);

        ProtocolException rollback = refusal(() -> f.verifier.accept(second, f.directoryXml, f.now));
        assertThat(rollback.code()).isEqualTo(ErrorCode.DIRECTORY_ROLLBACK);
        assertThat(rollback.getMessage()).contains("#1 is older than directory #2");

        byte[] fork = DirectorySigner.sign(f.draft(2, f.now.plus(Duration.ofDays(8))), f.pki.directorySigning());
        assertThat(refusal(() -> f.verifier.accept(second, fork, f.now)).code()).isEqualTo(ErrorCode.DIRECTORY_CONFLICT);
    }

    @Test
    void expiredDirectoryIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        ProtocolException e = refusal(() -> f.verifier.verify(f.directoryXml, f.now.plus(Duration.ofDays(8))));
        assertThat(e.code()).isEqualTo(ErrorCode.DIRECTORY_EXPIRED);
    }

    @Test
    void directorySignedByAnotherKeyIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        // A valid certificate with the directory-signing purpose, but from another CA.
        Credential impostor = TestPki.create(Suite.MODERN, "Impostor").issue(CertificateProfile.DIRECTORY_SIGNING, "Directory");
        byte[] forged = DirectorySigner.sign(f.draft(5, f.now.plus(Duration.ofDays(7))), impostor);
        assertThat(refusal(() -> f.verifier.accept(f.directory, forged, f.now)).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
        // A national CA's envelope-signing key (right CA family, wrong purpose and CA) is refused as well.
        byte[] byGateway = DirectorySigner.sign(f.draft(5, f.now.plus(Duration.ofDays(7))),
                f.authority(TestFederation.IT).envelopeSigning());
        assertThat(refusal(() -> f.verifier.accept(f.directory, byGateway, f.now)).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @Test
    void unsignedOrAlteredDirectoryIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        String xml = new String(f.directoryXml, StandardCharsets.UTF_8);
        String unsigned = xml.substring(0, xml.indexOf("<ds:Signature")) + "</Directory>";
        assertThat(refusal(() -> f.verifier.verify(unsigned.getBytes(StandardCharsets.UTF_8), f.now)).code())
                .isEqualTo(ErrorCode.SIGNATURE_STRUCTURE_REJECTED);
        String altered = xml.replace("https://127.0.0.1:7002", "https://127.0.0.9:7002");
        assertThat(refusal(() -> f.verifier.verify(altered.getBytes(StandardCharsets.UTF_8), f.now)).code())
                .isEqualTo(ErrorCode.SIGNATURE_INVALID);
        assertThat(f.directory.xml()).isEqualTo(f.directoryXml);
        assertThat(List.of(f.directory.sha256())).hasSize(1);
    }
}
