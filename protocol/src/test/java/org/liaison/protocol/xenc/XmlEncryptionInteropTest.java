package org.liaison.protocol.xenc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.testing.Xmlsec;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Our XML Encryption as an independent implementation, xmlsec1 (libxmlsec1 + OpenSSL), reads it:
 * given the content key, xmlsec1 decrypts an encrypted manifest to the element we encrypted; and
 * our X25519 EncryptedKey carries no empty RecipientKeyInfo (a KeyInfo must have content).
 */
class XmlEncryptionInteropTest {
    @TempDir
    Path dir;

    private static boolean xmlsecPresent;

    @BeforeAll
    static void findXmlsec() {
        xmlsecPresent = Xmlsec.present();
    }

    static final String MANIFEST = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            + "<Manifest xmlns=\"urn:liaison:xml:1\" id=\"1\"><File name=\"statement.txt\" size=\"7\"/></Manifest>";

    @Test
    void xmlsec1DecryptsAnEncryptedManifestToTheElement() throws Exception {
        assumeTrue(xmlsecPresent, "xmlsec1 is not installed: XML Encryption interop not checked (CI installs it)");
        SecretKey key = ContentEncryption.newContentKey();
        Document doc = SecureXml.newDocument();
        Element ed = ContentEncryption.encrypt(doc, MANIFEST.getBytes(StandardCharsets.UTF_8), key);
        doc.appendChild(ed);
        Path encrypted = dir.resolve("encrypted.xml");
        Files.write(encrypted, SecureXml.serialize(doc));
        Path keyFile = dir.resolve("key.bin");
        Files.write(keyFile, key.getEncoded());

        Process p = new ProcessBuilder("xmlsec1", "--decrypt", "--aeskey", keyFile.toString(), encrypted.toString())
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(err).isTrue();
        assertThat(out).contains("<Manifest xmlns=\"urn:liaison:xml:1\" id=\"1\"><File name=\"statement.txt\" size=\"7\"/></Manifest>");
        // And we read it back to the element's bytes.
        assertThat(new String(ContentEncryption.decrypt(ed, key), StandardCharsets.UTF_8)).isEqualTo(MANIFEST.substring(
                MANIFEST.indexOf("<Manifest")));
    }

    @Test
    void anX25519EncryptedKeyHasNoEmptyRecipientKeyInfoAndStillUnwraps() throws Exception {
        var pki = TestPki.create(Suite.MODERN);
        Credential recipient = pki.issue(CertificateProfile.ENCRYPTION, "AL-PP encryption");
        SecretKey key = ContentEncryption.newContentKey();
        Document doc = SecureXml.newDocument();
        Element ek = ContentEncryption.wrapKey(doc, key, recipient.certificate(), "AL-PP");
        assertThat(ek.getElementsByTagNameNS(Formats.XENC_NS, "RecipientKeyInfo").getLength()).isZero();
        assertThat(ContentEncryption.unwrapKey(ek, recipient.privateKey()).getEncoded()).isEqualTo(key.getEncoded());
    }
}
