package org.liaison.protocol.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.liaison.protocol.testing.Refusals.refusal;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;
import static org.liaison.protocol.testing.TestFederation.US;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Pem;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.testing.TestFederation;
import org.liaison.protocol.testing.Xmlsec;

/** Evidence documents: every event round-trips signed, a change is caught, the rules beyond the schema hold. */
class EvidencesTest {
    @TempDir
    Path dir;
    TestFederation f;

    @BeforeEach
    void federation() throws Exception {
        f = new TestFederation(dir, Suite.MODERN);
    }

    Evidences.Content delivered() {
        return Evidences.Content.of(EvidenceEvent.DELIVERED, f.now, AL, IT, List.of(AL), UUID.randomUUID())
                .withMessage(UUID.randomUUID(), f.now.minusSeconds(5), "mla-request", f.now.plusSeconds(864000))
                .withDigests("a".repeat(64), null, List.of(new Evidences.Part(0, null, "b".repeat(64))))
                .withRelated("receipt", "c".repeat(64), null);
    }

    @Test
    void everyEventRoundTripsSignedByItsIssuerWithItsFields() throws Exception {
        for (EvidenceEvent e : EvidenceEvent.values()) {
            Evidences.Content c = Evidences.Content.of(e, f.now, IT, IT, List.of(AL, US), UUID.randomUUID());
            if (e.needsReason()) {
                c = c.withReason(e == EvidenceEvent.DECLINED ? "dual-criminality" : "LIAISON:0016", "why");
            }
            byte[] xml = Evidences.create(c, f.authority(IT).envelopeSigning());
            Evidences.Verified v = Evidences.verify(xml, f.trust(), f.now);
            assertThat(v.content()).isEqualTo(c);
            assertThat(v.xml()).isEqualTo(xml);
            String text = new String(xml, StandardCharsets.UTF_8);
            assertThat(text).contains("version=\"1\"").contains("urn:liaison:evidence:1#" + e.id());
        }
        Evidences.Content full = delivered();
        byte[] xml = Evidences.create(full, f.authority(AL).envelopeSigning());
        assertThat(Evidences.verify(xml, f.trust(), f.now).content()).isEqualTo(full);
    }

    @Test
    void aChangedEvidenceFailsItsSignature() throws Exception {
        byte[] xml = Evidences.create(delivered(), f.authority(AL).envelopeSigning());
        byte[] changed = new String(xml, StandardCharsets.UTF_8).replace("b".repeat(64), "d".repeat(64)).getBytes(StandardCharsets.UTF_8);
        assertThat(refusal(() -> Evidences.verify(changed, f.trust(), f.now)).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
    }

    @Test
    void anEvidenceClaimingAnotherIssuerIsCheckedAgainstThatIssuersKey() throws Exception {
        // US signs an evidence that claims AL issued it: AL's directory key must verify it, and does not
        byte[] forged = Evidences.create(delivered(), f.authority(US).envelopeSigning());
        assertThat(refusal(() -> Evidences.verify(forged, f.trust(), f.now)).code()).isIn(ErrorCode.SIGNATURE_INVALID,
                ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @Test
    void failuresNeedAReasonAndTheIssuerIsAPartyToTheMessage() throws Exception {
        Credential signing = f.authority(IT).envelopeSigning();
        assertThat(refusal(() -> Evidences.create(Evidences.Content.of(EvidenceEvent.RELAY_FAILED, f.now, IT, IT, List.of(AL),
                UUID.randomUUID()), signing)).getMessage()).contains("needs a reason");
        assertThat(refusal(() -> Evidences.create(Evidences.Content.of(EvidenceEvent.OPENED, f.now, US, IT, List.of(AL),
                UUID.randomUUID()), signing)).getMessage()).contains("neither the sender nor a recipient");
        assertThat(refusal(() -> Evidences.create(Evidences.Content.of(EvidenceEvent.DECLINED, f.now, AL, IT, List.of(AL),
                UUID.randomUUID()).withReason("not a code!", null), signing)).code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
    }

    @Test
    void anUnknownVersionOrEventIsRefused() throws Exception {
        byte[] xml = Evidences.create(delivered(), f.authority(AL).envelopeSigning());
        String text = new String(xml, StandardCharsets.UTF_8);
        assertThat(refusal(() -> Evidences.claimed(text.replace("version=\"1\"", "version=\"2\"").getBytes(StandardCharsets.UTF_8))).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(refusal(() -> Evidences.claimed(text.replace("#delivered", "#teleported").getBytes(StandardCharsets.UTF_8))).code())
                .isEqualTo(ErrorCode.SCHEMA_INVALID);
    }

    @Test
    void everyEventMapsToEtsiOrSaysItHasNone() {
        assertThat(EvidenceEvent.DELIVERED.etsiName()).isEqualTo("ContentConsignment");
        assertThat(EvidenceEvent.SUBMISSION_ACCEPTED.etsiName()).isEqualTo("SubmissionAcceptance");
        assertThat(EvidenceEvent.ANSWERED.etsiName()).isNull();
        assertThat(EvidenceEvent.values()).hasSize(11);
    }

    /** xmlsec1 1.2 knows neither Ed25519 nor RSA-PSS: an ECDSA P-256 issuer goes through the same signing path. */
    @Test
    void xmlsec1VerifiesAnEvidenceAndRefusesAChangedOne() throws Exception {
        assumeTrue(Xmlsec.present(), "xmlsec1 is not installed: evidence signature interop not checked (CI installs it)");
        var pki = TestPki.create(Suite.MODERN);
        var kp = KeyAlgorithm.EC_P256.generate();
        var chain = pki.intermediate.issue(CertificateAuthority.Request.of("CN=evidence issuer", kp.getPublic(),
                CertificateProfile.GATEWAY_TLS, pki.now.minusSeconds(60), pki.now.plusSeconds(3600)));
        Credential signer = Credential.create(kp.getPrivate(), chain);
        byte[] xml = Evidences.create(delivered(), signer);
        assertThat(Evidences.verify(xml, java.util.Set.of(SignatureAlgorithm.ECDSA_SHA256), claimed -> signer.certificate()).content()
                .event()).isEqualTo(EvidenceEvent.DELIVERED);
        Path file = dir.resolve("evidence.xml");
        Files.write(file, xml);
        Path cert = dir.resolve("issuer.pem");
        Pem.writeCertificates(cert, List.of(signer.certificate()));
        assertThat(xmlsec(file, cert)).isZero();
        Files.writeString(dir.resolve("changed.xml"), Files.readString(file).replace("b".repeat(64), "d".repeat(64)));
        assertThat(xmlsec(dir.resolve("changed.xml"), cert)).isNotZero();
    }

    private static int xmlsec(Path xml, Path cert) throws Exception {
        Process p = new ProcessBuilder("xmlsec1", "--verify", "--pubkey-cert-pem", cert.toString(), xml.toString()).redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
