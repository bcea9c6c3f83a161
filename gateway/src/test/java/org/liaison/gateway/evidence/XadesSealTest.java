package org.liaison.gateway.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Pem;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;

/**
 * The container's seal: B-LT (the signer's certificate and the CRLs inside the signature, checked from
 * there), and beyond Santuario's 30 references per SignedInfo: a 100-file container (a JIT message with many
 * members' receipts, notices and evidences) is sealed through ds:Manifests and every file is still checked.
 */
class XadesSealTest {
    @TempDir
    Path dir;

    private final TestPki pki;
    private final Credential node;
    private final List<X509CRL> crls;

    XadesSealTest() throws Exception {
        pki = TestPki.create(Suite.MODERN, "Seal");
        node = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "gw.example");
        crls = pki.crls();
    }

    private static Map<String, byte[]> files(int n) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put("evidence/" + String.format("%03d", i) + "-delivered.xml", ("<e n='" + i + "'/>").getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    private byte[] seal(Map<String, byte[]> files) throws Exception {
        return XadesSeal.seal(files, node, Instant.now(), null, List.of(node.certificate(), pki.intermediate.certificate()), crls);
    }

    /** Accepts the node's certificate when the seal's CRLs are the CA's. */
    private final XadesSeal.SignerCheck check = (claimed, revocationValues) -> accept(revocationValues);

    private X509Certificate accept(List<X509CRL> revocationValues) {
        assertThat(revocationValues).containsAll(crls);
        return node.certificate();
    }

    @Test
    void aHundredFileContainerIsSealedThroughManifestsAndEachFileIsChecked() throws Exception {
        Map<String, byte[]> files = files(100);
        byte[] seal = seal(files);
        String xml = new String(seal, StandardCharsets.UTF_8);
        assertThat(xml).contains("#Manifest").contains("liaison-seal-files-3");
        XadesSeal.Verified v = XadesSeal.verify(seal, files, check, null);
        assertThat(v.signer()).isEqualTo(node.certificate());
        assertThat(v.level()).isEqualTo("B-B"); // no TSA here: the validation data without a time-stamp

        // a file changed (one in the last Manifest), a file left out, a file added: each refused
        Map<String, byte[]> changed = new LinkedHashMap<>(files);
        changed.put("evidence/099-delivered.xml", "<e n='changed'/>".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> XadesSeal.verify(seal, changed, check, null)).hasMessageContaining("evidence/099-delivered.xml")
                .hasMessageContaining("changed after the seal");
        Map<String, byte[]> added = new LinkedHashMap<>(files);
        added.put("evidence/extra.xml", new byte[] {1});
        assertThatThrownBy(() -> XadesSeal.verify(seal, added, check, null)).hasMessageContaining("not sealed");

        // a Manifest's digest rewritten to match a changed file: the signature over the Manifest fails
        byte[] other = "<e n='other'/>".getBytes(StandardCharsets.UTF_8);
        String before = java.util.Base64.getEncoder().encodeToString(XadesSeal.sha256(files.get("evidence/050-delivered.xml")));
        String after = java.util.Base64.getEncoder().encodeToString(XadesSeal.sha256(other));
        assertThat(xml).contains(before);
        byte[] rewritten = xml.replace(before, after).getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> swapped = new LinkedHashMap<>(files);
        swapped.put("evidence/050-delivered.xml", other);
        assertThatThrownBy(() -> XadesSeal.verify(rewritten, swapped, check, null)).hasMessageContaining("list of files (ds:Manifest");
    }

    @Test
    void aSmallContainerReferencesItsFilesDirectly() throws Exception {
        Map<String, byte[]> files = files(XadesSeal.MAX_DIRECT);
        byte[] seal = seal(files);
        assertThat(new String(seal, StandardCharsets.UTF_8)).doesNotContain("#Manifest");
        assertThat(XadesSeal.verify(seal, files, check, null).signer()).isEqualTo(node.certificate());
        assertThatThrownBy(() -> seal(files(XadesSeal.MAX_FILES + 1))).hasMessageContaining("at most");
    }

    @Test
    void theSealCarriesItsValidationDataAndIsRefusedWithoutIt() throws Exception {
        Map<String, byte[]> files = files(3);
        String xml = new String(seal(files), StandardCharsets.UTF_8);
        assertThat(xml).contains("xades:CertificateValues").contains("xades:EncapsulatedCRLValue");
        // the CRLs taken out of the (unsigned) RevocationValues: not B-LT
        String noCrl = xml.replaceAll("(?s)<xades:EncapsulatedCRLValue>.*?</xades:EncapsulatedCRLValue>", "");
        assertThatThrownBy(() -> XadesSeal.verify(noCrl.getBytes(StandardCharsets.UTF_8), files, check, null))
                .hasMessageContaining("RevocationValues");
        // the signer's certificate taken out of the CertificateValues: not B-LT
        X509Certificate ca = pki.intermediate.certificate();
        String onlyCa = xml.replaceFirst("(?s)<xades:EncapsulatedX509Certificate>.*?</xades:EncapsulatedX509Certificate>", "");
        assertThat(onlyCa).contains(java.util.Base64.getEncoder().encodeToString(ca.getEncoded()));
        assertThatThrownBy(() -> XadesSeal.verify(onlyCa.getBytes(StandardCharsets.UTF_8), files, check, null))
                .hasMessageContaining("CertificateValues");
    }

    /**
     * xmlsec1, an independent implementation, verifies a seal over the container's files unpacked beside it
     * (xmlsec1 1.2 knows no Ed25519: an ECDSA P-256 node key goes through the same sealing path), and refuses
     * it once a file changed.
     */
    @Test
    void xmlsec1VerifiesTheSealOverTheUnpackedFilesAndRefusesAChangedFile() throws Exception {
        assumeTrue(xmlsec1Present(), "xmlsec1 is not installed: the seal's interop was not checked (CI installs xmlsec1)");
        var kp = KeyAlgorithm.EC_P256.generate();
        var chain = pki.intermediate.issue(CertificateAuthority.Request.of("CN=gw.example", kp.getPublic(), CertificateProfile.GATEWAY_TLS,
                pki.now.minusSeconds(60), pki.now.plusSeconds(3600)));
        Credential ec = Credential.create(kp.getPrivate(), chain);
        Map<String, byte[]> files = files(5);
        byte[] seal = XadesSeal.seal(files, ec, Instant.now(), null, List.of(ec.certificate()), crls);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.createDirectories(dir.resolve(f.getKey()).getParent());
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
        // beside the files (the references are relative to the container's root)
        Path signature = Files.write(dir.resolve("signatures001.xml"), seal);
        Path cert = dir.resolve("node.pem");
        Pem.writeCertificates(cert, List.of(ec.certificate()));
        assertThat(xmlsec1(signature, cert)).isZero();
        Files.writeString(dir.resolve("evidence/002-delivered.xml"), "<e n='changed'/>");
        assertThat(xmlsec1(signature, cert)).isNotZero();
    }

    private static boolean xmlsec1Present() {
        try {
            Process p = new ProcessBuilder("xmlsec1", "--version").redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static int xmlsec1(Path xml, Path cert) throws Exception {
        Process p = new ProcessBuilder("xmlsec1", "--verify", "--pubkey-cert-pem", cert.toString(), "--id-attr:Id",
                XadesSeal.XADES_NS + ":SignedProperties", xml.toString()).directory(xml.getParent().toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0) {
            System.out.println("xmlsec1: " + out);
        }
        return p.exitValue();
    }
}
