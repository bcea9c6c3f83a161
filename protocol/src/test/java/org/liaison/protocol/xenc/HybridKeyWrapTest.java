package org.liaison.protocol.xenc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.Refusals.refusal;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Consumer;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class HybridKeyWrapTest {
    private static final byte[] SECRET = "<m:Manifest xmlns:m=\"urn:test\">witness W-17 lives in Durrës</m:Manifest>"
            .getBytes(StandardCharsets.UTF_8);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HybridKem.KeyPair RECIPIENT = HybridKem.generate(RANDOM);

    record Sealed(Document doc, Element key, Element data, SecretKey cek) {}

    /** A content key wrapped for RECIPIENT and a message under it, serialized and parsed again with the hardened parser. */
    static Sealed seal() throws Exception {
        Document doc = SecureXml.newDocument();
        Element root = doc.createElementNS("urn:test", "t:Box");
        doc.appendChild(root);
        SecretKey cek = ContentEncryption.newContentKey();
        root.appendChild(ContentEncryption.wrapKey(doc, cek, RECIPIENT.publicKey(), "AL-PP"));
        root.appendChild(ContentEncryption.encrypt(doc, SECRET, cek));
        Document wire = SecureXml.parse(SecureXml.serialize(doc), XmlLimits.DEFAULT);
        return new Sealed(wire, (Element) wire.getElementsByTagNameNS(Formats.XENC_NS, "EncryptedKey").item(0),
                (Element) wire.getElementsByTagNameNS(Formats.XENC_NS, "EncryptedData").item(0), cek);
    }

    static Element one(Element in, String ns, String local) {
        return (Element) in.getElementsByTagNameNS(ns, local).item(0);
    }

    @Test
    void aContentKeyWrappedForAHybridKeyRoundTrips() throws Exception {
        Sealed s = seal();
        assertThat(s.key().getAttribute("Recipient")).isEqualTo("AL-PP");
        assertThat(one(s.key(), Formats.NS, "HybridKemCiphertext").getAttribute("Algorithm"))
                .isEqualTo("urn:liaison:xml:1#kem-x25519-mlkem768");
        SecretKey cek = ContentEncryption.unwrapKey(s.key(), RECIPIENT.privateKey());
        assertThat(cek.getEncoded()).isEqualTo(s.cek().getEncoded());
        assertThat(ContentEncryption.decrypt(s.data(), cek)).isEqualTo(SECRET);
    }

    @Test
    void anotherHybridKeyCannotUnwrap() throws Exception {
        Sealed s = seal();
        assertThat(refusal(() -> ContentEncryption.unwrapKey(s.key(), HybridKem.generate(RANDOM).privateKey())).code())
                .isEqualTo(ErrorCode.DECRYPTION_FAILED);
    }

    @Test
    void aTamperedCiphertextOrWrappedKeyCannotBeUnwrapped() throws Exception {
        for (String local : new String[] {"X25519Ciphertext", "MLKEM768Ciphertext"}) {
            Sealed s = seal();
            ContentEncryptionTest.flipBase64(one(s.key(), Formats.NS, local));
            assertThat(refusal(() -> ContentEncryption.unwrapKey(s.key(), RECIPIENT.privateKey())).code()).as(local)
                    .isEqualTo(ErrorCode.DECRYPTION_FAILED);
        }
        Sealed s = seal();
        ContentEncryptionTest.flipBase64(ContentEncryptionTest.cipherValue(s.key()));
        assertThat(refusal(() -> ContentEncryption.unwrapKey(s.key(), RECIPIENT.privateKey())).code())
                .isEqualTo(ErrorCode.DECRYPTION_FAILED);
    }

    /**
     * Each malformed EncryptedKey is refused with its own code and a message naming the fault; the
     * same refusal comes with no key at all (null), which shows that it comes before any key is used.
     */
    private static ProtocolException refusedBeforeTheKey(Consumer<Element> tamper, ErrorCode code, String message) throws Exception {
        Sealed s = seal();
        tamper.accept(s.key());
        ProtocolException withKey = refusal(() -> ContentEncryption.unwrapKey(s.key(), RECIPIENT.privateKey()));
        assertThat(withKey.code()).isEqualTo(code);
        assertThat(withKey.getMessage()).contains(message);
        ProtocolException withoutKey = refusal(() -> ContentEncryption.unwrapKey(s.key(), (HybridKem.PrivateKey) null));
        assertThat(withoutKey.code()).isEqualTo(code);
        assertThat(withoutKey.getMessage()).isEqualTo(withKey.getMessage());
        return withKey;
    }

    @Test
    void anUnknownKemAlgorithmIsRefused() throws Exception {
        refusedBeforeTheKey(k -> one(k, Formats.NS, "HybridKemCiphertext").setAttribute("Algorithm", "urn:liaison:xml:1#kem-x25519-mlkem1024"),
                ErrorCode.ALGORITHM_REJECTED, "urn:liaison:xml:1#kem-x25519-mlkem1024 is not allowed");
        refusedBeforeTheKey(k -> one(k, Formats.NS, "HybridKemCiphertext").removeAttribute("Algorithm"),
                ErrorCode.ALGORITHM_REJECTED, "HybridKemCiphertext algorithm '' is not urn:liaison:xml:1#kem-x25519-mlkem768");
    }

    @Test
    void anotherKeyWrapAlgorithmIsRefused() throws Exception {
        refusedBeforeTheKey(k -> one(k, Formats.XENC_NS, "EncryptionMethod").setAttribute("Algorithm",
                "http://www.w3.org/2001/04/xmlenc#kw-aes128"), ErrorCode.ALGORITHM_REJECTED, "kw-aes128 is not allowed");
        refusedBeforeTheKey(k -> one(k, Formats.XENC_NS, "EncryptionMethod").setAttribute("Algorithm",
                "http://www.w3.org/2009/xmlenc11#rsa-oaep"), ErrorCode.ALGORITHM_REJECTED, "rsa-oaep is not allowed");
    }

    /** A hybrid EncryptedKey offered to a classical key, and a classical one offered to a hybrid key: both refused. */
    @Test
    void mismatchedAlgorithmsAreRefusedEitherWay() throws Exception {
        Sealed hybrid = seal();
        ContentEncryptionTest.Sealed classical = ContentEncryptionTest.seal(Suite.MODERN);
        ProtocolException e = refusal(() -> ContentEncryption.unwrapKey(hybrid.key(), classical.recipient().privateKey()));
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(e.getMessage()).contains("kem-x25519-mlkem768 is not allowed");
        ProtocolException f = refusal(() -> ContentEncryption.unwrapKey(classical.key(), RECIPIENT.privateKey()));
        assertThat(f.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(f.getMessage()).contains("is not allowed");
    }

    @Test
    void ciphertextsOfTheWrongSizeAreRefused() throws Exception {
        refusedBeforeTheKey(k -> resize(one(k, Formats.NS, "X25519Ciphertext"), 31), ErrorCode.SCHEMA_INVALID,
                "X25519Ciphertext must hold 32 bytes, not 31");
        refusedBeforeTheKey(k -> resize(one(k, Formats.NS, "MLKEM768Ciphertext"), 1089), ErrorCode.SCHEMA_INVALID,
                "MLKEM768Ciphertext must hold 1088 bytes, not 1089");
        refusedBeforeTheKey(k -> resize(ContentEncryptionTest.cipherValue(k), 48), ErrorCode.SCHEMA_INVALID,
                "CipherValue must hold 40 bytes, not 48");
    }

    @Test
    void swappedCiphertextsAreRefused() throws Exception {
        // The contents swapped: each element then holds the other's size.
        refusedBeforeTheKey(k -> {
            Element x = one(k, Formats.NS, "X25519Ciphertext");
            Element m = one(k, Formats.NS, "MLKEM768Ciphertext");
            String t = x.getTextContent();
            x.setTextContent(m.getTextContent());
            m.setTextContent(t);
        }, ErrorCode.SCHEMA_INVALID, "X25519Ciphertext must hold 32 bytes, not 1088");
        // The elements swapped, contents and all: the order is fixed.
        refusedBeforeTheKey(k -> {
            Element x = one(k, Formats.NS, "X25519Ciphertext");
            x.getParentNode().appendChild(x);
        }, ErrorCode.SCHEMA_INVALID, "has MLKEM768Ciphertext where X25519Ciphertext belongs");
    }

    @Test
    void truncatedOrMissingPartsAreRefused() throws Exception {
        refusedBeforeTheKey(k -> {
            Element m = one(k, Formats.NS, "MLKEM768Ciphertext");
            m.setTextContent(m.getTextContent().substring(0, m.getTextContent().length() - 3));
        }, ErrorCode.SCHEMA_INVALID, "MLKEM768Ciphertext is not base64");
        refusedBeforeTheKey(k -> {
            Element m = one(k, Formats.NS, "MLKEM768Ciphertext");
            m.getParentNode().removeChild(m);
        }, ErrorCode.SCHEMA_INVALID, "must contain X25519Ciphertext then MLKEM768Ciphertext, found 1 element(s)");
        refusedBeforeTheKey(k -> {
            Element ki = one(k, Formats.DSIG_NS, "KeyInfo");
            ki.getParentNode().removeChild(ki);
        }, ErrorCode.SCHEMA_INVALID, "must contain EncryptionMethod, KeyInfo and CipherData, found 2 element(s)");
        refusedBeforeTheKey(k -> one(k, Formats.NS, "X25519Ciphertext").setTextContent(""), ErrorCode.SCHEMA_INVALID,
                "X25519Ciphertext must hold 32 bytes, not 0");
    }

    @Test
    void extraOrForeignContentIsRefused() throws Exception {
        refusedBeforeTheKey(k -> {
            Element ct = one(k, Formats.NS, "HybridKemCiphertext");
            ct.appendChild(ct.getOwnerDocument().createElementNS(Formats.NS, "l:X25519Ciphertext"));
        }, ErrorCode.SCHEMA_INVALID, "found 3 element(s)");
        refusedBeforeTheKey(k -> {
            Element ki = one(k, Formats.DSIG_NS, "KeyInfo");
            Element rm = ki.getOwnerDocument().createElementNS(Formats.DSIG_NS, "ds:RetrievalMethod");
            rm.setAttribute("URI", "http://example.org/key");
            ki.appendChild(rm);
        }, ErrorCode.ALGORITHM_REJECTED, "may not contain RetrievalMethod");
        refusedBeforeTheKey(k -> one(k, Formats.NS, "X25519Ciphertext").appendChild(k.getOwnerDocument().createComment("x")),
                ErrorCode.SCHEMA_INVALID, "X25519Ciphertext must contain only base64 text");
    }

    /** Base64 text is strict: the JDK's MIME decoder would skip a stray character, this one refuses it. */
    @Test
    void characterOutsideBase64IsRefused() throws Exception {
        refusedBeforeTheKey(k -> {
            Element x = one(k, Formats.NS, "X25519Ciphertext");
            x.setTextContent("*" + x.getTextContent());
        }, ErrorCode.SCHEMA_INVALID, "X25519Ciphertext is not base64");
    }

    private static void resize(Element e, int size) {
        byte[] b = Base64.getDecoder().decode(e.getTextContent());
        e.setTextContent(Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b, size)));
    }
}
