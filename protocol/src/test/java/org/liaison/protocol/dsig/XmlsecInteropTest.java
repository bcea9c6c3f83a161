package org.liaison.protocol.dsig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Pem;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.testing.Xmlsec;
import org.liaison.protocol.xml.SecureXml;
import org.w3c.dom.Document;

/**
 * Our signatures verify with an independent implementation, xmlsec1 (libxmlsec1 + OpenSSL).
 * Debian's xmlsec1 1.2 supports neither Ed25519 nor RSA-PSS, so the document is signed with
 * ECDSA-SHA256 through the same {@link XmlSignatures#sign} code path (same shape: enveloped,
 * URI="", exclusive C14N, SHA-256); only the signature algorithm differs.
 */
class XmlsecInteropTest {
    @TempDir
    Path dir;

    private static boolean xmlsecPresent;

    @BeforeAll
    static void findXmlsec() {
        xmlsecPresent = Xmlsec.present();
    }

    private int xmlsecVerify(Path xml, Path cert) throws Exception {
        Process p = new ProcessBuilder("xmlsec1", "--verify", "--pubkey-cert-pem", cert.toString(), xml.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0) {
            System.err.println(out);
        }
        return p.exitValue();
    }

    @Test
    void xmlsec1VerifiesOurSignatureAndRefusesATamperedCopy() throws Exception {
        assumeTrue(xmlsecPresent, "xmlsec1 is not installed: XML Signature interop not checked (CI installs it)");
        var pki = TestPki.create(Suite.MODERN);
        var kp = KeyAlgorithm.EC_P256.generate();
        var chain = pki.intermediate.issue(CertificateAuthority.Request.of("CN=interop signer", kp.getPublic(),
                CertificateProfile.GATEWAY_TLS, pki.now.minusSeconds(60), pki.now.plusSeconds(3600)));
        Credential signer = Credential.create(kp.getPrivate(), chain);

        Document d = XmlSignaturesTest.doc();
        XmlSignatures.sign(d, signer, SignatureAlgorithm.ECDSA_SHA256);
        Path xml = dir.resolve("signed.xml");
        Files.write(xml, SecureXml.serialize(d));
        Path cert = dir.resolve("signer.pem");
        Pem.writeCertificates(cert, List.of(signer.certificate()));
        assertThat(xmlsecVerify(xml, cert)).isZero();

        String tampered = Files.readString(xml).replace(">100<", ">900<");
        Files.writeString(dir.resolve("tampered.xml"), tampered);
        assertThat(xmlsecVerify(dir.resolve("tampered.xml"), cert)).isNotZero();
    }
}
