package org.liaison.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.Refusals.refusal;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;
import static org.liaison.protocol.testing.TestFederation.US;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.FederationPki;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.directory.DirectoryEdits;
import org.liaison.protocol.directory.DirectorySigner;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.model.Recipient;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.testing.TestFederation;
import org.liaison.protocol.xenc.ContentEncryption;
import org.liaison.protocol.xenc.HybridKem;
import org.liaison.protocol.xml.Formats;
import org.w3c.dom.Element;

/**
 * Envelopes for a mixed federation: Albania moved to pq-hybrid, Italy and the United States stay
 * modern. Sealing picks the wrap from the directory entry; opening picks the key from the wrap, and
 * refuses a mismatch before any key is used.
 */
class PqHybridEnvelopeTest {
    @TempDir
    Path dir;

    TestFederation f;
    FederationDirectory directory;
    Trust trust;
    Credential alHybrid;

    @BeforeEach
    void albaniaMovesToPqHybrid() throws Exception {
        f = new TestFederation(dir, Suite.MODERN);
        FederationPki.Authority al = f.authority(AL);
        // A new X25519 key (as in a rotation) completed by an ML-KEM-768 key: both certificates from Albania's CA.
        Credential x = newX25519(al);
        alHybrid = FederationPki.withKem(al.ca(), x, KeyAlgorithm.ML_KEM_768, x.certificate().getSubjectX500Principal().getName(),
                f.now.minus(Duration.ofMinutes(5)), f.now.plus(Duration.ofDays(30)));
        Directory d = f.draft(2, f.now.plus(Duration.ofDays(7)));
        DirectoryEdits.add(d, AL, DirectoryEdits.Purpose.ENCRYPTION, alHybrid.certificate());
        DirectoryEdits.add(d, AL, DirectoryEdits.Purpose.KEM, alHybrid.kemCertificate().get());
        DirectoryEdits.use(d, AL, DirectoryEdits.Purpose.ENCRYPTION, alHybrid.fingerprint());
        DirectoryEdits.suites(d, AL, List.of(Suite.PQ_HYBRID));
        directory = f.verifier.accept(f.directory, DirectorySigner.sign(d, f.pki.directorySigning()), f.now);
        trust = new Trust(directory, f.crls());
    }

    private Credential newX25519(FederationPki.Authority a) throws Exception {
        java.security.KeyPair kp = KeyAlgorithm.X25519.generate();
        return Credential.create(kp.getPrivate(), a.ca().issue(CertificateAuthority.Request.of(
                a.encryption().certificate().getSubjectX500Principal().getName(), kp.getPublic(),
                CertificateProfile.ENCRYPTION, f.now.minus(Duration.ofMinutes(5)), f.now.plus(Duration.ofDays(30)))));
    }

    private byte[] seal(FederationDirectory d, List<AuthorityId> to) throws Exception {
        Credential investigator = f.authority(IT).users().get(Role.INVESTIGATOR);
        byte[] manifest = Manifests.sign(MessageFlowTest.spec(IT, to, null), List.of(MessageFlowTest.file(MessageFlowTest.EVIDENCE, f.now)),
                investigator, UUID.randomUUID(), f.now);
        SecretKey cek = ContentEncryption.newContentKey();
        ByteArrayOutputStream ct = new ByteArrayOutputStream();
        try (OutputStream enc = PayloadCipher.encrypt(cek, 0, PayloadCipher.MIN_SEGMENT_SIZE, ct)) {
            enc.write(MessageFlowTest.EVIDENCE);
        }
        List<PayloadInfo> payloads = List.of(new PayloadInfo(0, PayloadCipher.MIN_SEGMENT_SIZE, ct.size(),
                Envelopes.sha256(ct.toByteArray())));
        UUID id = UUID.randomUUID();
        EnvelopeHeader h = new EnvelopeHeader(id, id, null, f.now, f.now.plus(Duration.ofDays(2)), IT, to, null, Service.MLA_REQUEST,
                "submit");
        return Envelopes.seal(h, d, manifest, payloads, cek, f.authority(IT).envelopeSigning());
    }

    private static Element keyOf(Envelopes.Sealed e, AuthorityId who) {
        return e.model().getRecipient().stream().filter(r -> r.getAuthority().equals(who.value())).findFirst().orElseThrow().getAny();
    }

    private static void replaceKey(Envelopes.Sealed e, AuthorityId who, Element with) {
        Recipient r = e.model().getRecipient().stream().filter(x -> x.getAuthority().equals(who.value())).findFirst().orElseThrow();
        Element copy = (Element) r.getAny().getOwnerDocument().importNode(with, true);
        copy.setAttribute("Recipient", who.value());
        r.setAny(copy);
    }

    /** A key that fails the test if anything reads it: proof that a refusal came before any key was used. */
    private static final PrivateKey UNTOUCHABLE = new PrivateKey() {
        @Override
        public String getAlgorithm() {
            throw new AssertionError("the key was used");
        }

        @Override
        public String getFormat() {
            throw new AssertionError("the key was used");
        }

        @Override
        public byte[] getEncoded() {
            throw new AssertionError("the key was used");
        }
    };

    @Test
    void oneEnvelopeForAHybridAndAClassicalRecipientOpensForBoth() throws Exception {
        byte[] env = seal(directory, List.of(AL, US));
        String xml = new String(env, StandardCharsets.UTF_8);
        assertThat(xml).contains(HybridKem.ALGORITHM).contains("xmldsig-more#x25519");

        Envelopes.Verified forAl = Envelopes.verify(env, trust, f.now, IT, AL);
        assertThat(Envelopes.isHybridWrap(keyOf(forAl, AL))).isTrue();
        assertThat(Envelopes.isHybridWrap(keyOf(forAl, US))).isFalse();
        Envelopes.Opened al = Envelopes.open(forAl, AL, alHybrid.decryptionKey());
        Envelopes.Verified forUs = Envelopes.verify(env, trust, f.now, IT, US);
        Envelopes.Opened us = Envelopes.open(forUs, US, f.authority(US).encryption().decryptionKey());
        assertThat(al.contentKey()).isEqualTo(us.contentKey());
        assertThat(Manifests.verify(al.manifestXml(), trust, f.now).from()).isEqualTo(IT);
    }

    @Test
    void duringTheRotationAlbaniaOpensOldClassicalAndNewHybridEnvelopes() throws Exception {
        byte[] old = seal(f.directory, List.of(AL)); // sealed under directory #1, to Albania's previous X25519 key
        byte[] now = seal(directory, List.of(AL));
        List<PrivateKey> held = List.of(alHybrid.decryptionKey(), f.authority(AL).encryption().decryptionKey());
        Envelopes.Opened o1 = Envelopes.open(Envelopes.verify(old, trust, f.now, IT, AL), AL, held);
        Envelopes.Opened o2 = Envelopes.open(Envelopes.verify(now, trust, f.now, IT, AL), AL, held);
        assertThat(Manifests.verify(o1.manifestXml(), trust, f.now).from()).isEqualTo(IT);
        assertThat(Manifests.verify(o2.manifestXml(), trust, f.now).from()).isEqualTo(IT);
        // The classical key alone does not open the hybrid envelope, whatever it is.
        assertThat(refusal(() -> Envelopes.open(Envelopes.verify(now, trust, f.now, IT, AL), AL,
                List.of(f.authority(AL).encryption().decryptionKey()))).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @Test
    void aHybridWrapForAClassicalRecipientIsRefusedBeforeAnyKeyIsUsed() throws Exception {
        Envelopes.Verified v = Envelopes.verify(seal(directory, List.of(AL, US)), trust, f.now, IT, US);
        replaceKey(v, US, keyOf(v, AL));
        var e = refusal(() -> Envelopes.open(v, US, List.of(UNTOUCHABLE)));
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(e.getMessage()).contains("with the hybrid KEM (X25519 + ML-KEM-768), but this authority holds no hybrid key");
    }

    @Test
    void aClassicalWrapForAHybridRecipientIsRefusedBeforeAnyKeyIsUsed() throws Exception {
        Envelopes.Verified v = Envelopes.verify(seal(directory, List.of(AL, US)), trust, f.now, IT, AL);
        replaceKey(v, AL, keyOf(v, US));
        var e = refusal(() -> Envelopes.open(v, AL, List.of(alHybrid.decryptionKey())));
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(e.getMessage()).contains("classically, but this authority holds only hybrid");
        // Never with the X25519 half of the hybrid key: the same refusal, and a classical key next to it is not touched either.
        assertThat(refusal(() -> Envelopes.open(v, AL, List.of(alHybrid.decryptionKey()))).code())
                .isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @Test
    void aHybridWrapWithCiphertextsOfTheWrongSizeIsRefused() throws Exception {
        for (String part : List.of("X25519Ciphertext", "MLKEM768Ciphertext")) {
            Envelopes.Verified v = Envelopes.verify(seal(directory, List.of(AL)), trust, f.now, IT, AL);
            Element ct = (Element) keyOf(v, AL).getElementsByTagNameNS(Formats.NS, part).item(0);
            byte[] b = Base64.getDecoder().decode(ct.getTextContent());
            ct.setTextContent(Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b, b.length - 1)));
            var e = refusal(() -> Envelopes.open(v, AL, List.of(alHybrid.decryptionKey())));
            assertThat(e.code()).as(part).isEqualTo(ErrorCode.SCHEMA_INVALID);
            assertThat(e.getMessage()).contains(part + " must hold");
        }
    }

    @Test
    void swappedCiphertextsAreRefused() throws Exception {
        Envelopes.Verified v = Envelopes.verify(seal(directory, List.of(AL)), trust, f.now, IT, AL);
        Element kem = (Element) keyOf(v, AL).getElementsByTagNameNS(Formats.NS, "HybridKemCiphertext").item(0);
        Element x = (Element) kem.getElementsByTagNameNS(Formats.NS, "X25519Ciphertext").item(0);
        Element m = (Element) kem.getElementsByTagNameNS(Formats.NS, "MLKEM768Ciphertext").item(0);
        kem.insertBefore(m, x); // ML-KEM first, X25519 second
        assertThat(refusal(() -> Envelopes.open(v, AL, List.of(alHybrid.decryptionKey()))).code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        // The two contents exchanged in place: sizes no longer fit their names.
        kem.insertBefore(x, m);
        String xs = x.getTextContent();
        x.setTextContent(m.getTextContent());
        m.setTextContent(xs);
        assertThat(refusal(() -> Envelopes.open(v, AL, List.of(alHybrid.decryptionKey()))).code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
    }

    @Test
    void anUnknownKemAlgorithmIsRefusedBeforeAnyKeyIsUsed() throws Exception {
        Envelopes.Verified v = Envelopes.verify(seal(directory, List.of(AL)), trust, f.now, IT, AL);
        Element kem = (Element) keyOf(v, AL).getElementsByTagNameNS(Formats.NS, "HybridKemCiphertext").item(0);
        kem.setAttribute("Algorithm", Formats.NS + "#kem-x25519-mlkem1024");
        assertThat(refusal(() -> Envelopes.open(v, AL, List.of(alHybrid.decryptionKey()))).code())
                .isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        // The hybrid algorithm named on a classical wrap makes it a hybrid wrap, and then its structure is wrong.
        Envelopes.Verified w = Envelopes.verify(seal(directory, List.of(US)), trust, f.now, IT, US);
        Element method = (Element) keyOf(w, US).getElementsByTagNameNS(Formats.XENC_NS, "AgreementMethod").item(0);
        method.setAttribute("Algorithm", HybridKem.ALGORITHM);
        assertThat(refusal(() -> Envelopes.open(w, US, List.of(UNTOUCHABLE))).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }
}
