package org.liaison.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.testing.TestPki;

/** The pq-hybrid suite's encryption credential: an X25519 and an ML-KEM-768 certificate, bound, stored, validated. */
class PqHybridCredentialTest {
    @TempDir
    Path dir;

    @Test
    void suiteIsParsedAndKeepsEd25519Signatures() {
        assertThat(Suite.fromId("pq-hybrid")).isEqualTo(Suite.PQ_HYBRID);
        assertThat(Suite.PQ_HYBRID.signatureKey()).isEqualTo(KeyAlgorithm.ED25519);
        assertThat(Suite.PQ_HYBRID.encryptionKey()).isEqualTo(KeyAlgorithm.X25519);
        assertThat(Suite.PQ_HYBRID.kemKey()).contains(KeyAlgorithm.ML_KEM_768);
        assertThat(Suite.MODERN.kemKey()).isEmpty();
        assertThatThrownBy(() -> Suite.fromId("pq")).hasMessageContaining("pq-hybrid");
    }

    @Test
    void mlKemCertificateFollowsTheLampsProfileAndValidates() throws Exception {
        TestPki pki = TestPki.create(Suite.PQ_HYBRID);
        Credential c = pki.hybridEncryption("IT-DNA encryption");
        X509Certificate kem = c.kemCertificate().orElseThrow();
        assertThat(KeyAlgorithm.of(kem.getPublicKey())).isEqualTo(KeyAlgorithm.ML_KEM_768);
        assertThat(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(kem.getPublicKey().getEncoded())
                .getAlgorithm().getAlgorithm().getId()).isEqualTo("2.16.840.1.101.3.4.4.2");
        assertThat(KeyUsages.keyUsage(kem)).containsExactly("keyEncipherment");
        assertThat(kem.getIssuerX500Principal()).isEqualTo(c.certificate().getIssuerX500Principal());
        assertThat(KemCertificates.names(kem, c.certificate())).isTrue();
        pki.validator().validate(kem, pki.intermediates(), Purpose.ENCRYPTION, pki.now);
        pki.validator().validate(c.certificate(), pki.intermediates(), Purpose.ENCRYPTION, pki.now);
        assertThat(c.decryptionKey()).isInstanceOf(HybridPrivateKey.class);
        assertThat(c.decryptionKey().getEncoded()).isNull();
    }

    @Test
    void hybridCredentialRoundTripsThroughPkcs12WithTheMlKemKeyAsSeed() throws Exception {
        Credential c = TestPki.create(Suite.PQ_HYBRID).hybridEncryption("round trip");
        Path file = dir.resolve("encryption.p12");
        Keystores.save(c, file, "secret".toCharArray());
        Credential back = Keystores.load(file, "secret".toCharArray());
        assertThat(back.fingerprint()).isEqualTo(c.fingerprint());
        assertThat(back.kemCertificate()).contains(c.kemCertificate().orElseThrow());
        assertThat(Credential.matchesMlKem(back.kemPrivateKey(), c.kemCertificate().get().getPublicKey())).isTrue();
        // The stored ML-KEM key is FIPS 203's 64-byte seed (RFC 9935's seed choice), not the 2,400-byte expanded key.
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(file)) {
            ks.load(in, "secret".toCharArray());
        }
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(ks.getKey(Keystores.KEM_ALIAS, "secret".toCharArray()).getEncoded());
        ASN1TaggedObject seed = (ASN1TaggedObject) info.parsePrivateKey().toASN1Primitive();
        assertThat(seed.getTagNo()).isZero();
        assertThat(org.bouncycastle.asn1.ASN1OctetString.getInstance(seed, false).getOctets()).hasSize(64);
    }

    @Test
    void mlKemCertificateBoundToAnotherX25519CertificateIsRefused() throws Exception {
        TestPki pki = TestPki.create(Suite.PQ_HYBRID);
        Credential a = pki.hybridEncryption("a");
        Credential b = pki.hybridEncryption("b");
        assertThatThrownBy(() -> Credential.hybrid(a.privateKey(), a.chain(), b.kemPrivateKey(), b.kemCertificate().get()))
                .hasMessageContaining("another subject or issuer");
        // Same subject, but the ML-KEM certificate names another X25519 certificate.
        Credential a2 = pki.hybridEncryption("a");
        assertThatThrownBy(() -> Credential.hybrid(a.privateKey(), a.chain(), a2.kemPrivateKey(), a2.kemCertificate().get()))
                .hasMessageContaining("does not name the X25519 certificate");
    }

    @Test
    void mlKemKeyThatDoesNotMatchItsCertificateIsRefused() throws Exception {
        TestPki pki = TestPki.create(Suite.PQ_HYBRID);
        Credential a = pki.hybridEncryption("a");
        KeyPair other = KeyAlgorithm.ML_KEM_768.generate();
        assertThatThrownBy(() -> Credential.hybrid(a.privateKey(), a.chain(), other.getPrivate(), a.kemCertificate().get()))
                .hasMessageContaining("ML-KEM-768 private key does not match its certificate");
    }

    @Test
    void mlKemCertificateWithoutTheBindingIsRefused() throws Exception {
        TestPki pki = TestPki.create(Suite.PQ_HYBRID);
        Credential x = pki.issue(CertificateProfile.ENCRYPTION, "a");
        KeyPair kem = KeyAlgorithm.ML_KEM_768.generate();
        X509Certificate unbound = pki.intermediate.issue(CertificateAuthority.Request.of(
                x.certificate().getSubjectX500Principal().getName(), kem.getPublic(), CertificateProfile.ENCRYPTION,
                pki.now.minus(Duration.ofDays(1)), pki.now.plus(Duration.ofDays(30)))).get(0);
        assertThatThrownBy(() -> Credential.hybrid(x.privateKey(), x.chain(), kem.getPrivate(), unbound))
                .hasMessageContaining("does not name the X25519 certificate");
    }

    @Test
    void onlyAnMlKemEncryptionCertificateMayNameARelatedCertificate() throws Exception {
        TestPki pki = TestPki.create(Suite.PQ_HYBRID);
        Credential x = pki.issue(CertificateProfile.ENCRYPTION, "a");
        KeyPair ed = KeyAlgorithm.ED25519.generate();
        assertThatThrownBy(() -> pki.intermediate.issue(CertificateAuthority.Request.of("CN=a", ed.getPublic(),
                CertificateProfile.ENVELOPE_SIGNING, pki.now, pki.now.plus(Duration.ofDays(1))).relatedTo(x.certificate())))
                .hasMessageContaining("only an ML-KEM-768 encryption certificate names a related certificate");
        assertThat(CertificateProfile.ENVELOPE_SIGNING.accepts(KeyAlgorithm.ML_KEM_768)).isFalse();
        assertThat(KeyAlgorithm.ML_KEM_768.canSign()).isFalse();
    }

    /**
     * Regression: the JDK's PKCS#12 keystore clears the encoded key it stores, and Bouncy Castle's ML-KEM key hands out
     * its own encoding: saving a credential cleared the key it still held (all-zero seed, no longer its certificate's).
     */
    @Test
    void savingACredentialLeavesItsMlKemKeyIntact() throws Exception {
        Credential c = TestPki.create(Suite.PQ_HYBRID).hybridEncryption("seed");
        Keystores.save(c, dir.resolve("k.p12"), "secret".toCharArray());
        assertThat(Credential.matchesMlKem(c.kemPrivateKey(), c.kemCertificate().get().getPublicKey())).isTrue();
        KeyPair kp = KeyAlgorithm.ML_KEM_768.generate();
        assertThat(Credential.matchesMlKem(KeyAlgorithm.seedOnly(KeyAlgorithm.seedOnly(kp.getPrivate())), kp.getPublic())).isTrue();
    }

    @Test
    void federationPkiIssuesHybridEncryptionCredentials() throws Exception {
        FederationPki f = FederationPki.create(dir.resolve("fed"), List.of(AuthorityId.of("IT-DNA")), Suite.PQ_HYBRID,
                java.time.Instant.now(), Duration.ofDays(30));
        FederationPki.Authority a = f.authority(AuthorityId.of("IT-DNA"));
        assertThat(a.encryption().kemCertificate()).isPresent();
        assertThat(a.envelopeSigning().kemCertificate()).isEmpty();
        Credential loaded = Keystores.load(a.dir().resolve("encryption.p12"),
                Passwords.fromFile(a.dir().resolve("encryption.password")));
        assertThat(loaded.kemCertificate()).isPresent();
        assertThat(KeyAlgorithm.of(a.ca().authority().certificate().getPublicKey())).isEqualTo(KeyAlgorithm.ED25519);
    }
}
