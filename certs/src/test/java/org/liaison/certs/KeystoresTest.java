package org.liaison.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CRLReason;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.liaison.certs.testing.TestPki;

class KeystoresTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(CertificateProfile.class)
    void credentialRoundTripsThroughPkcs12(CertificateProfile profile) throws Exception {
        if (profile.isCa()) {
            return;
        }
        TestPki pki = TestPki.create(Suite.MODERN);
        Credential c = pki.issue(profile, "round trip");
        Path file = dir.resolve("c.p12");
        Keystores.save(c, file, "secret".toCharArray());
        Credential back = Keystores.load(file, "secret".toCharArray());
        assertThat(back.chain()).isEqualTo(c.chain());
        assertThat(back.fingerprint()).isEqualTo(c.fingerprint());
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void wrongPasswordIsNamed() throws Exception {
        TestPki pki = TestPki.create(Suite.MODERN);
        Path file = dir.resolve("c.p12");
        Keystores.save(pki.issue(CertificateProfile.INVESTIGATOR, "x"), file, "right".toCharArray());
        assertThatThrownBy(() -> Keystores.load(file, "wrong".toCharArray()))
                .hasMessage("cannot open keystore " + file + ": the password is wrong");
    }

    @Test
    void keyThatDoesNotMatchItsCertificateIsRefusedAtLoad() throws Exception {
        TestPki pki = TestPki.create(Suite.MODERN);
        Credential a = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "a");
        Credential b = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "b");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("liaison", a.privateKey(), "pw".toCharArray(), b.chain().toArray(new Certificate[0]));
        Path file = dir.resolve("mixed.p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, "pw".toCharArray());
        }
        assertThatThrownBy(() -> Keystores.load(file, "pw".toCharArray()))
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("the private key does not match its certificate CN=b");
    }

    @Test
    void mismatchedX25519AndRsaKeysAreRefused() throws Exception {
        for (Suite suite : Suite.values()) {
            TestPki pki = TestPki.create(suite);
            Credential a = pki.issue(CertificateProfile.ENCRYPTION, "a");
            Credential b = pki.issue(CertificateProfile.ENCRYPTION, "b");
            assertThat(Credential.matches(a.privateKey(), a.certificate().getPublicKey())).isTrue();
            assertThat(Credential.matches(a.privateKey(), b.certificate().getPublicKey())).isFalse();
        }
    }

    @Test
    void passwordFileIsCreatedOwnerOnlyAndReadBack() throws Exception {
        Path pw = dir.resolve("pw");
        char[] first = Passwords.fromFileOrCreate(pw);
        assertThat(first.length).isGreaterThanOrEqualTo(40);
        assertThat(Passwords.fromFileOrCreate(pw)).isEqualTo(first);
        assertThat(Files.getPosixFilePermissions(pw)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE);
        Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> Passwords.fromFile(dir.resolve("empty"))).hasMessageContaining("is empty");
    }

    @Test
    void caStoreIssuesRevokesAndPublishesCrl() throws Exception {
        Instant now = Instant.now();
        CertificateAuthority ca = CertificateAuthority.createRoot("CN=IT-DNA CA,O=Direzione Nazionale Antimafia,C=IT",
                KeyAlgorithm.ED25519, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), 0);
        CaStore store = CaStore.create(dir.resolve("ca"), ca, "pw".toCharArray());
        var kp = KeyAlgorithm.ED25519.generate();
        var chain = store.issue(CertificateAuthority.Request.of("CN=Investigator", kp.getPublic(), CertificateProfile.INVESTIGATOR,
                now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30))));
        BigInteger serial = chain.get(0).getSerialNumber();

        CaStore reopened = CaStore.open(dir.resolve("ca"), "pw".toCharArray());
        assertThat(reopened.issuedSerials()).containsExactly(serial);
        assertThatThrownBy(() -> reopened.revoke(BigInteger.TEN, CRLReason.KEY_COMPROMISE, now))
                .hasMessageContaining("was not issued by this CA");
        reopened.revoke(serial, CRLReason.KEY_COMPROMISE, now);
        assertThatThrownBy(() -> reopened.revoke(serial, CRLReason.SUPERSEDED, now)).hasMessageContaining("already revoked");

        X509CRL crl = reopened.writeCrl(now, Duration.ofDays(7));
        assertThat(crl.getRevokedCertificate(serial).getRevocationReason()).isEqualTo(CRLReason.KEY_COMPROMISE);
        X509CRL second = reopened.writeCrl(now.plusSeconds(1), Duration.ofDays(7));
        assertThat(Pem.readCrl(dir.resolve("ca").resolve(CaStore.CRL)).getEncoded()).isEqualTo(second.getEncoded());
        assertThatThrownBy(() -> CaStore.create(dir.resolve("ca"), ca, "pw".toCharArray())).hasMessageContaining("refusing to overwrite");
    }
}
