package org.liaison.protocol.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.Refusals.refusal;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;
import static org.liaison.protocol.testing.TestFederation.US;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.FederationPki;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.model.Authority;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.testing.TestFederation;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;

/** A directory entry's hybrid encryption key: two bound certificates, or the directory is refused. */
class HybridKeysTest {
    @TempDir
    Path dir;

    @Test
    void pqHybridDirectoryListsBothHalvesAndSendersSealToThem() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        FederationDirectory.Entry al = f.directory.require(AL);
        assertThat(al.suites()).containsExactly(Suite.PQ_HYBRID);
        assertThat(al.kemCertificates()).hasSize(1);
        assertThat(al.kemCertificateFor(al.encryptionCertificates().get(0))).contains(al.kemCertificates().get(0));
        assertThat(HybridKeys.sealingKey(al)).isPresent();
        assertThat(HybridKeys.sealingKey(al).get().mlkem()).hasSize(1184);
    }

    @Test
    void directoryWithoutKemCertificatesStillReadsAndSealsClassically() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        FederationDirectory.Entry al = f.directory.require(AL);
        assertThat(al.kemCertificates()).isEmpty();
        assertThat(HybridKeys.sealingKey(al)).isEmpty();
        assertThat(new String(f.directoryXml, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("KemCertificate");
    }

    @Test
    void aKemCertificateThatCompletesNoneOfTheEntrysKeysIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        // Albania lists the United States' ML-KEM-768 certificate next to its own X25519 certificate.
        entry(d, AL).getKemCertificate().set(0, f.authority(US).encryption().kemCertificate().get().getEncoded());
        ProtocolException e = refusal(() -> DirectorySigner.sign(d, f.pki.directorySigning()));
        assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(e.getMessage()).contains("AL-PP's hybrid encryption key is refused", "completes none of its encryption certificates");
    }

    @Test
    void pqHybridSuiteWithoutTheMlKemHalfIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        entry(d, AL).getKemCertificate().clear();
        ProtocolException e = refusal(() -> DirectorySigner.sign(d, f.pki.directorySigning()));
        assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(e.getMessage()).contains("lists the pq-hybrid suite but its encryption certificate in use (the first) has no ML-KEM-768");
    }

    @Test
    void anMlKemCertificateListedAsAnEncryptionCertificateIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        Authority al = entry(d, AL);
        al.getEncryptionCertificate().add(0, al.getKemCertificate().get(0));
        ProtocolException e = refusal(() -> DirectorySigner.sign(d, f.pki.directorySigning()));
        assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(e.getMessage()).contains("is listed as an EncryptionCertificate; it belongs in KemCertificate");
    }

    @Test
    void twoMlKemCertificatesForOneX25519CertificateAreRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        FederationPki.Authority a = f.authority(AL);
        Credential second = FederationPki.withKem(a.ca(), a.encryption(), KeyAlgorithm.ML_KEM_768,
                a.encryption().certificate().getSubjectX500Principal().getName(), f.now, f.now.plus(Duration.ofDays(30)));
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        entry(d, AL).getKemCertificate().add(second.kemCertificate().get().getEncoded());
        ProtocolException e = refusal(() -> DirectorySigner.sign(d, f.pki.directorySigning()));
        assertThat(e.getMessage()).contains("two ML-KEM-768 certificates complete its encryption certificate");
    }

    @Test
    void aVerifierRefusesAMismatchedEntryThatAnotherSignerSigned() throws Exception {
        // The operator's own tool refuses to sign it; a gateway refuses it too when it arrives signed (schema and checks).
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        entry(d, IT).getKemCertificate().clear();
        org.w3c.dom.Document doc = Formats.toDocument(d);
        XmlSignatures.sign(doc, f.pki.directorySigning());
        byte[] xml = SecureXml.serialize(doc);
        ProtocolException e = refusal(() -> f.verifier.accept(f.directory, xml, f.now));
        assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(e.getMessage()).contains("IT-DNA's hybrid encryption key is refused");
    }

    @Test
    void removingAnEncryptionCertificateTakesItsMlKemCertificateAlong() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.PQ_HYBRID);
        FederationPki.Authority a = f.authority(AL);
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        X509Certificate old = a.encryption().certificate();
        // A second (modern) encryption certificate, then the hybrid one withdrawn.
        X509Certificate modern = a.ca().issue(CertificateAuthority.Request.of("CN=AL-PP encryption 2",
                KeyAlgorithm.X25519.generate().getPublic(), CertificateProfile.ENCRYPTION, f.now,
                f.now.plus(Duration.ofDays(30)))).get(0);
        DirectoryEdits.add(d, AL, DirectoryEdits.Purpose.ENCRYPTION, modern);
        DirectoryEdits.use(d, AL, DirectoryEdits.Purpose.ENCRYPTION, Fingerprint.of(modern));
        DirectoryEdits.suites(d, AL, java.util.List.of(Suite.MODERN));
        DirectoryEdits.remove(d, AL, DirectoryEdits.Purpose.ENCRYPTION, Fingerprint.of(old));
        assertThat(entry(d, AL).getKemCertificate()).isEmpty();
        FederationDirectory next = f.verifier.accept(f.directory, DirectorySigner.sign(d, f.pki.directorySigning()), f.now);
        assertThat(HybridKeys.sealingKey(next.require(AL))).isEmpty();
        assertThat(refusal(() -> DirectoryEdits.use(d, AL, DirectoryEdits.Purpose.KEM, Fingerprint.of(old)))
                .getMessage()).contains("use encryption=");
    }

    private static Authority entry(Directory d, AuthorityId id) {
        return d.getAuthority().stream().filter(a -> a.getId().equals(id.value())).findFirst().orElseThrow();
    }
}
