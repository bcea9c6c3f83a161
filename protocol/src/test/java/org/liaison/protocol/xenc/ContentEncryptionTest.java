package org.liaison.protocol.xenc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.SecretKey;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.Formats;
import static org.liaison.protocol.testing.Refusals.refusal;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class ContentEncryptionTest {
    private static final byte[] SECRET = "<m:Manifest xmlns:m=\"urn:test\">witness W-17 lives in Durrës</m:Manifest>"
            .getBytes(StandardCharsets.UTF_8);

    record Sealed(Document doc, Element key, Element data, Credential recipient, SecretKey cek) {}

    static Sealed seal(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential recipient = pki.issue(CertificateProfile.ENCRYPTION, "AL-PP encryption");
        Document doc = SecureXml.newDocument();
        Element root = doc.createElementNS("urn:test", "t:Box");
        doc.appendChild(root);
        SecretKey cek = ContentEncryption.newContentKey();
        Element key = ContentEncryption.wrapKey(doc, cek, recipient.certificate(), "AL-PP");
        Element data = ContentEncryption.encrypt(doc, SECRET, cek);
        root.appendChild(key);
        root.appendChild(data);
        // Through the wire: serialize and parse with the hardened parser.
        Document wire = SecureXml.parse(SecureXml.serialize(doc), XmlLimits.DEFAULT);
        return new Sealed(wire, (Element) wire.getElementsByTagNameNS(Formats.XENC_NS, "EncryptedKey").item(0),
                (Element) wire.getElementsByTagNameNS(Formats.XENC_NS, "EncryptedData").item(0), recipient, cek);
    }

    static void flipBase64(Element cipherValue) {
        byte[] b = Base64.getMimeDecoder().decode(cipherValue.getTextContent());
        b[b.length / 2] ^= 0x01;
        cipherValue.setTextContent(Base64.getEncoder().encodeToString(b));
    }

    static Element cipherValue(Element e) {
        return (Element) e.getElementsByTagNameNS(Formats.XENC_NS, "CipherValue").item(0);
    }

    /**
     * Regression: about one X25519 key in 2,500 has an encoding the JDK's DSA key factory also
     * accepts, and Santuario used to resolve the ephemeral key as DSA, so the recipient could not
     * unwrap (a flaky JIT test showed it). Such an ephemeral key must work like any other.
     */
    @org.junit.jupiter.api.Test
    void anEphemeralKeyThatAlsoParsesAsDsaStillUnwraps() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("X25519");
        java.security.KeyPair ambiguous = null;
        for (int i = 0; i < 1_000_000 && ambiguous == null; i++) {
            java.security.KeyPair kp = g.generateKeyPair();
            try {
                java.security.KeyFactory.getInstance("DSA").generatePublic(new java.security.spec.X509EncodedKeySpec(kp.getPublic().getEncoded()));
                ambiguous = kp;
            } catch (java.security.spec.InvalidKeySpecException notDsa) {
                // the usual case
            }
        }
        assertThat(ambiguous).as("an X25519 key whose encoding the DSA factory accepts").isNotNull();
        TestPki pki = TestPki.create(Suite.MODERN);
        Credential recipient = pki.issue(CertificateProfile.ENCRYPTION, "AL-PP encryption");
        Document doc = SecureXml.newDocument();
        Element root = doc.createElementNS("urn:test", "t:Box");
        doc.appendChild(root);
        SecretKey cek = ContentEncryption.newContentKey();
        root.appendChild(ContentEncryption.wrapKey(doc, cek, recipient.certificate(), "AL-PP", ambiguous));
        Document wire = SecureXml.parse(SecureXml.serialize(doc), XmlLimits.DEFAULT);
        Element key = (Element) wire.getElementsByTagNameNS(Formats.XENC_NS, "EncryptedKey").item(0);
        assertThat(ContentEncryption.unwrapKey(key, recipient.privateKey()).getEncoded()).isEqualTo(cek.getEncoded());
    }

    /**
     * The ephemeral X25519 key pair of a wrap comes from Bouncy Castle (faster than SunEC's): a fresh one per wrap, whose
     * wrap the recipient's own key (as a PKCS#12 file gives it: the JDK's) unwraps.
     */
    @org.junit.jupiter.api.Test
    void eachWrapHasItsOwnEphemeralKeyFromBouncyCastleAndUnwrapsWithTheJdksKey() throws Exception {
        TestPki pki = TestPki.create(Suite.MODERN);
        Credential recipient = pki.issue(CertificateProfile.ENCRYPTION, "AL-PP encryption");
        java.security.KeyPair made = org.apache.xml.security.utils.KeyUtils.generateEphemeralDHKeyPair(recipient.certificate().getPublicKey(),
                ContentEncryption.EPHEMERAL_KEYS);
        assertThat(made.getPrivate().getClass().getName()).startsWith("org.bouncycastle.");
        java.util.Set<String> originators = new java.util.HashSet<>();
        for (int i = 0; i < 3; i++) {
            Document doc = SecureXml.newDocument();
            Element root = doc.createElementNS("urn:test", "t:Box");
            doc.appendChild(root);
            SecretKey cek = ContentEncryption.newContentKey();
            root.appendChild(ContentEncryption.wrapKey(doc, cek, recipient.certificate(), "AL-PP"));
            Document wire = SecureXml.parse(SecureXml.serialize(doc), XmlLimits.DEFAULT);
            Element key = (Element) wire.getElementsByTagNameNS(Formats.XENC_NS, "EncryptedKey").item(0);
            originators.add(((Element) key.getElementsByTagNameNS(Formats.XENC_NS, "OriginatorKeyInfo").item(0)).getTextContent().strip());
            assertThat(ContentEncryption.unwrapKey(key, recipient.privateKey()).getEncoded()).isEqualTo(cek.getEncoded());
        }
        assertThat(originators).hasSize(3);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void roundTripForEachSuite(Suite suite) throws Exception {
        Sealed s = seal(suite);
        assertThat(s.key().getAttribute("Recipient")).isEqualTo("AL-PP");
        SecretKey cek = ContentEncryption.unwrapKey(s.key(), s.recipient().privateKey());
        assertThat(cek.getEncoded()).isEqualTo(s.cek().getEncoded());
        assertThat(ContentEncryption.decrypt(s.data(), cek)).isEqualTo(SECRET);
        assertThat(new String(SecureXml.serialize(s.doc()), StandardCharsets.UTF_8)).doesNotContain("Durrës");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void flippedBitInCiphertextOrTagIsOneUniformError(Suite suite) throws Exception {
        Sealed s = seal(suite);
        flipBase64(cipherValue(s.data()));
        ProtocolException e = refusal(() -> ContentEncryption.decrypt(s.data(), s.cek()));
        assertThat(e.code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
        assertThat(e.getMessage()).isEqualTo("the message cannot be decrypted with this gateway's key");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void flippedBitInTheNonceIsDetected(Suite suite) throws Exception {
        Sealed s = seal(suite);
        Element cv = cipherValue(s.data());
        byte[] b = Base64.getMimeDecoder().decode(cv.getTextContent());
        b[0] ^= 0x01; // the 12-byte IV comes first
        cv.setTextContent(Base64.getEncoder().encodeToString(b));
        assertThat(refusal(() -> ContentEncryption.decrypt(s.data(), s.cek())).code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void flippedBitInTheWrappedKeyIsTheSameUniformError(Suite suite) throws Exception {
        Sealed s = seal(suite);
        flipBase64(cipherValue(s.key()));
        ProtocolException e = refusal(() -> ContentEncryption.unwrapKey(s.key(), s.recipient().privateKey()));
        assertThat(e.code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
        assertThat(e.getMessage()).isEqualTo("the message cannot be decrypted with this gateway's key");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void anotherRecipientsKeyCannotUnwrap(Suite suite) throws Exception {
        Sealed s = seal(suite);
        Credential other = TestPki.create(suite).issue(CertificateProfile.ENCRYPTION, "US-OIA encryption");
        assertThat(refusal(() -> ContentEncryption.unwrapKey(s.key(), other.privateKey())).code())
                .isEqualTo(ErrorCode.DECRYPTION_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void aesCbcSubstitutedInTheAlgorithmIsRefusedBeforeDecrypting(Suite suite) throws Exception {
        Sealed s = seal(suite);
        ((Element) s.data().getElementsByTagNameNS(Formats.XENC_NS, "EncryptionMethod").item(0))
                .setAttribute("Algorithm", "http://www.w3.org/2001/04/xmlenc#aes256-cbc");
        ProtocolException e = refusal(() -> ContentEncryption.decrypt(s.data(), s.cek()));
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(e.getMessage()).contains("aes256-cbc");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void rsa15SubstitutedInTheKeyAlgorithmIsRefused(Suite suite) throws Exception {
        Sealed s = seal(suite);
        ((Element) s.key().getElementsByTagNameNS(Formats.XENC_NS, "EncryptionMethod").item(0))
                .setAttribute("Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5");
        assertThat(refusal(() -> ContentEncryption.unwrapKey(s.key(), s.recipient().privateKey())).code())
                .isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void cipherReferenceIsRefused(Suite suite) throws Exception {
        Sealed s = seal(suite);
        Element cipherData = (Element) s.data().getElementsByTagNameNS(Formats.XENC_NS, "CipherData").item(0);
        Element ref = s.doc().createElementNS(Formats.XENC_NS, "xenc:CipherReference");
        ref.setAttribute("URI", "file:///etc/passwd");
        cipherData.replaceChild(ref, cipherValue(s.data()));
        assertThat(refusal(() -> ContentEncryption.decrypt(s.data(), s.cek())).getMessage()).contains("CipherReference");
    }
}
