package org.liaison.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.liaison.certs.testing.TestPki;

/** Our validator and OpenSSL, an independent implementation, agree on good and revoked chains. */
class OpensslInteropTest {
    @TempDir
    Path dir;

    private static boolean opensslPresent;

    @BeforeAll
    static void findOpenssl() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            opensslPresent = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            opensslPresent = false;
        }
    }

    private record Result(int exit, String output) {}

    private Result opensslVerify(TestPki pki, Credential leaf) throws Exception {
        Pem.writeCertificates(dir.resolve("root.pem"), List.of(pki.root.certificate()));
        Pem.writeCertificates(dir.resolve("inter.pem"), pki.intermediates());
        Pem.writeCertificates(dir.resolve("leaf.pem"), List.of(leaf.certificate()));
        StringBuilder crls = new StringBuilder();
        for (X509CRL crl : pki.crls()) {
            crls.append(Pem.crl(crl));
        }
        Files.writeString(dir.resolve("crls.pem"), crls);
        List<String> cmd = new ArrayList<>(List.of("openssl", "verify", "-CAfile", "root.pem", "-untrusted", "inter.pem",
                "-CRLfile", "crls.pem", "-crl_check_all", "leaf.pem"));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void opensslAndWeAcceptTheSameGoodChain(Suite suite) throws Exception {
        assumeTrue(opensslPresent, "openssl is not installed: interop not checked (CI installs it)");
        TestPki pki = TestPki.create(suite);
        Credential leaf = pki.issue(CertificateProfile.GATEWAY_TLS, "gateway");
        Result r = opensslVerify(pki, leaf);
        assertThat(r.output()).contains("leaf.pem: OK");
        assertThat(r.exit()).isZero();
        pki.validator().validate(leaf.certificate(), pki.intermediates(), Purpose.TLS_SERVER, pki.now);

        // openssl's fingerprint and ours name the certificate the same way.
        Process fp = new ProcessBuilder("openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", "leaf.pem")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(fp.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(out).endsWith("=" + leaf.fingerprint().colonHex());
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void opensslAndWeRejectTheSameRevokedChain(Suite suite) throws Exception {
        assumeTrue(opensslPresent, "openssl is not installed: interop not checked (CI installs it)");
        TestPki pki = TestPki.create(suite);
        Credential leaf = pki.issue(CertificateProfile.INVESTIGATOR, "revoked investigator");
        pki.revoke(leaf.certificate(), CRLReason.KEY_COMPROMISE);
        Result r = opensslVerify(pki, leaf);
        assertThat(r.output()).contains("certificate revoked");
        assertThat(r.exit()).isNotZero();
        assertThatThrownBy(() -> pki.validator().validate(leaf.certificate(), pki.intermediates(), Purpose.INVESTIGATOR, pki.now))
                .isInstanceOfSatisfying(CertificateRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(CertificateRejectedException.Reason.REVOKED));
    }

    /**
     * Operators must be able to inspect, back up and import their keys with standard tools: OpenSSL
     * reads every keystore we write (PKCS#8 version 1 inside, for Ed25519 and X25519 too), and the
     * private key it extracts is the one we use (its public key matches the certificate's).
     */
    @ParameterizedTest
    @EnumSource(Suite.class)
    void opensslReadsOurKeystoresAndFindsTheSameKey(Suite suite) throws Exception {
        assumeTrue(opensslPresent, "openssl is not installed: interop not checked (CI installs it)");
        TestPki pki = TestPki.create(suite, "Interop");
        for (CertificateProfile profile : List.of(CertificateProfile.ENCRYPTION, CertificateProfile.ENVELOPE_SIGNING,
                CertificateProfile.GATEWAY_TLS, CertificateProfile.INVESTIGATOR)) {
            Credential c = pki.issue(profile, "interop " + profile);
            Path p12 = dir.resolve(profile + ".p12");
            Keystores.save(c, p12, "pw".toCharArray());
            Process p = new ProcessBuilder("openssl", "pkcs12", "-in", p12.toString(), "-nocerts", "-nodes", "-passin", "pass:pw",
                    "-out", dir.resolve(profile + ".key").toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0).as(profile + ": " + out).isTrue();
            Process pub = new ProcessBuilder("openssl", "pkey", "-in", dir.resolve(profile + ".key").toString(), "-pubout", "-outform",
                    "DER").start();
            byte[] spki = pub.getInputStream().readAllBytes();
            assertThat(pub.waitFor(20, TimeUnit.SECONDS) && pub.exitValue() == 0).isTrue();
            assertThat(spki).as(profile.toString()).isEqualTo(c.certificate().getPublicKey().getEncoded());
            // And we read back what we wrote.
            assertThat(Keystores.load(p12, "pw".toCharArray()).certificate()).isEqualTo(c.certificate());
        }
    }
}
