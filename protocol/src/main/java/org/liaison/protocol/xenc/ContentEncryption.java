package org.liaison.protocol.xenc;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.apache.xml.security.encryption.EncryptedData;
import org.apache.xml.security.encryption.EncryptedKey;
import org.apache.xml.security.encryption.XMLCipher;
import org.apache.xml.security.encryption.params.HKDFParams;
import org.apache.xml.security.encryption.params.KeyAgreementParameters;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.utils.EncryptionConstants;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.Santuario;
import org.liaison.protocol.xml.Formats;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * XML Encryption with Apache Santuario: one AES-256 content key per message, wrapped once per
 * recipient authority, and data encrypted with AES-256-GCM.
 *
 * <ul>
 *   <li>{@code modern} recipients (X25519 key): ECDH-ES key agreement with a fresh ephemeral key
 *       ({@code xmldsig-more#x25519}), HKDF-SHA256 with a random salt, AES-256 key wrap — the
 *       combination eDelivery AS4 2.0 uses;</li>
 *   <li>{@code rsa} recipients: RSA-OAEP ({@code xmlenc11#rsa-oaep}) with SHA-256 and MGF1-SHA-256;</li>
 *   <li>hybrid recipients (X25519 + ML-KEM-768, the coming {@code pq-hybrid} suite): the {@link HybridKem}
 *       ({@code urn:liaison:xml:1#kem-x25519-mlkem768}), its two ciphertexts in an
 *       {@code l:HybridKemCiphertext} in the KeyInfo, AES-256 key wrap under the derived key.</li>
 * </ul>
 *
 * <p><b>Security guarantees.</b> Before any decryption, every {@code Algorithm} in the
 * {@code EncryptedKey} or {@code EncryptedData} must be in a closed allow-list (so AES-CBC,
 * RSA 1.5, SHA-1 and friends are refused), and {@code CipherReference} and
 * {@code RetrievalMethod} (which would fetch data) are refused. Every failure after that
 * point gives one uniform DECRYPTION_FAILED error, whatever went wrong.
 */
public final class ContentEncryption {
    static final String AES_256_GCM = XMLCipher.AES_256_GCM;
    private static final byte[] HKDF_INFO = "liaison envelope key-wrap v1".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> KEY_ALGORITHMS = Set.of(XMLCipher.AES_256_KeyWrap,
            EncryptionConstants.ALGO_ID_KEYAGREEMENT_X25519, EncryptionConstants.ALGO_ID_KEYDERIVATION_HKDF,
            XMLSignature.ALGO_ID_MAC_HMAC_SHA256, XMLCipher.RSA_OAEP_11, EncryptionConstants.MGF1_SHA256,
            "http://www.w3.org/2001/04/xmlenc#sha256");
    private static final Set<String> DATA_ALGORITHMS = Set.of(AES_256_GCM);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Where the ephemeral X25519 key pair of a key wrap is made (see {@code wrapKey}). */
    static final java.security.Provider EPHEMERAL_KEYS = org.liaison.certs.Providers.bouncyCastle();

    private ContentEncryption() {}

    /** A fresh AES-256 content key. */
    public static SecretKey newContentKey() {
        try {
            KeyGenerator g = KeyGenerator.getInstance("AES");
            g.init(256, RANDOM);
            return g.generateKey();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available", e);
        }
    }

    private static final byte[] MANIFEST_INFO = "liaison manifest v2".getBytes(StandardCharsets.US_ASCII);

    /**
     * The key the manifest is encrypted under (envelope format 2): HKDF-SHA256 of the content key
     * with its own label, so that the content key itself only ever feeds key derivations (the
     * payload keys use another label, see PayloadCipher).
     */
    public static SecretKey manifestKey(SecretKey contentKey) {
        org.bouncycastle.crypto.generators.HKDFBytesGenerator hkdf =
                new org.bouncycastle.crypto.generators.HKDFBytesGenerator(new org.bouncycastle.crypto.digests.SHA256Digest());
        hkdf.init(new org.bouncycastle.crypto.params.HKDFParameters(contentKey.getEncoded(), null, MANIFEST_INFO));
        byte[] k = new byte[32];
        hkdf.generateBytes(k, 0, k.length);
        return new SecretKeySpec(k, "AES");
    }

    /** Wraps {@code contentKey} for the holder of {@code recipient} (an encryption certificate); returns an xenc:EncryptedKey. */
    public static Element wrapKey(Document doc, SecretKey contentKey, X509Certificate recipient, String recipientId)
            throws ProtocolException {
        return wrapKey(doc, contentKey, recipient, recipientId, null);
    }

    /** As above; {@code ephemeral} (X25519 only, tests) replaces the fresh ephemeral key pair. */
    static Element wrapKey(Document doc, SecretKey contentKey, X509Certificate recipient, String recipientId,
            java.security.KeyPair ephemeral) throws ProtocolException {
        Santuario.init();
        PublicKey pub = recipient.getPublicKey();
        try {
            KeyAlgorithm alg = KeyAlgorithm.of(pub);
            XMLCipher cipher;
            EncryptedKey ek;
            if (alg == KeyAlgorithm.X25519) {
                cipher = XMLCipher.getInstance(XMLCipher.AES_256_KeyWrap);
                cipher.init(XMLCipher.WRAP_MODE, pub);
                byte[] salt = new byte[32];
                RANDOM.nextBytes(salt);
                HKDFParams kdf = HKDFParams.createBuilder(256, XMLSignature.ALGO_ID_MAC_HMAC_SHA256).salt(salt).info(HKDF_INFO).build();
                KeyAgreementParameters params = new KeyAgreementParameters(KeyAgreementParameters.ActorType.ORIGINATOR,
                        EncryptionConstants.ALGO_ID_KEYAGREEMENT_X25519, kdf);
                params.setRecipientPublicKey(pub);
                // The ephemeral key pair from Bouncy Castle: a fixed-base multiplication there is several times faster than
                // SunEC's ladder (a third of a seal's key wrap, measured by bench-messages); the agreement stays as Santuario
                // makes it.
                params.setOriginatorKeyPair(ephemeral != null ? ephemeral
                        : org.apache.xml.security.utils.KeyUtils.generateEphemeralDHKeyPair(pub, EPHEMERAL_KEYS));
                ek = cipher.encryptKey(doc, contentKey, params, null);
            } else if (alg == KeyAlgorithm.RSA_3072) {
                cipher = XMLCipher.getInstance(XMLCipher.RSA_OAEP_11, null, "http://www.w3.org/2001/04/xmlenc#sha256");
                cipher.init(XMLCipher.WRAP_MODE, pub);
                ek = cipher.encryptKey(doc, contentKey, EncryptionConstants.MGF1_SHA256, null);
            } else {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "cannot encrypt to a " + alg.id() + " key");
            }
            ek.setRecipient(recipientId);
            Element out = cipher.martial(doc, ek);
            // Santuario writes an empty xenc:RecipientKeyInfo for key agreement; the schema requires a KeyInfo
            // to have content, and the recipient is named by the Recipient attribute: leave it out.
            NodeList rki = out.getElementsByTagNameNS(Formats.XENC_NS, "RecipientKeyInfo");
            for (int i = rki.getLength() - 1; i >= 0; i--) {
                Element r = (Element) rki.item(i);
                if (r.getElementsByTagNameNS("*", "*").getLength() == 0 && r.getTextContent().isBlank()) {
                    r.getParentNode().removeChild(r);
                }
            }
            return out;
        } catch (org.apache.xml.security.exceptions.XMLSecurityException | GeneralSecurityException e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "cannot wrap the content key for " + recipientId + ": " + e.getMessage(), e);
        }
    }

    /** Unwraps the content key from an xenc:EncryptedKey with this authority's encryption key. */
    public static SecretKey unwrapKey(Element encryptedKey, PrivateKey key) throws ProtocolException {
        Santuario.init();
        checkAlgorithms(encryptedKey, "EncryptedKey", KEY_ALGORITHMS);
        try {
            XMLCipher cipher = XMLCipher.getInstance();
            cipher.init(XMLCipher.UNWRAP_MODE, key);
            cipher.setSecureValidation(true);
            EncryptedKey ek = cipher.loadEncryptedKey(encryptedKey.getOwnerDocument(), encryptedKey);
            Key k = cipher.decryptKey(ek, AES_256_GCM);
            byte[] raw = k.getEncoded();
            if (raw == null || raw.length != 32) {
                throw uniform();
            }
            return new SecretKeySpec(raw, "AES");
        } catch (org.apache.xml.security.exceptions.XMLSecurityException | RuntimeException e) {
            throw uniform();
        }
    }

    /** The allow-list of a hybrid EncryptedKey: AES-256 key wrap under the key the hybrid KEM derives. */
    private static final Set<String> HYBRID_KEY_ALGORITHMS = Set.of(XMLCipher.AES_256_KeyWrap, HybridKem.ALGORITHM);
    static final String HYBRID_CIPHERTEXT = "HybridKemCiphertext";
    static final String HYBRID_X25519 = "X25519Ciphertext";
    static final String HYBRID_MLKEM = "MLKEM768Ciphertext";
    private static final int WRAPPED_KEY_BYTES = 40; // RFC 3394 wrap of a 32-byte key

    /**
     * Wraps {@code contentKey} for the holder of a hybrid ({@code pq-hybrid}) key: a fresh
     * {@link HybridKem} encapsulation gives a 32-byte key-encryption key, under which the content
     * key is wrapped with AES-256 key wrap (RFC 3394). Returns
     * <pre>{@code
     * <xenc:EncryptedKey Recipient="…">
     *   <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#kw-aes256"/>
     *   <ds:KeyInfo>
     *     <l:HybridKemCiphertext Algorithm="urn:liaison:xml:1#kem-x25519-mlkem768">
     *       <l:X25519Ciphertext>base64, 32 bytes</l:X25519Ciphertext>
     *       <l:MLKEM768Ciphertext>base64, 1088 bytes</l:MLKEM768Ciphertext>
     *     </l:HybridKemCiphertext>
     *   </ds:KeyInfo>
     *   <xenc:CipherData><xenc:CipherValue>base64, 40 bytes</xenc:CipherValue></xenc:CipherData>
     * </xenc:EncryptedKey>}</pre>
     */
    public static Element wrapKey(Document doc, SecretKey contentKey, HybridKem.PublicKey recipient, String recipientId)
            throws ProtocolException {
        HybridKem.Encapsulation enc = HybridKem.encapsulate(recipient, RANDOM);
        byte[] wrapped;
        try {
            javax.crypto.Cipher kw = javax.crypto.Cipher.getInstance("AESWrap");
            kw.init(javax.crypto.Cipher.WRAP_MODE, new SecretKeySpec(enc.secret(), "AES"));
            wrapped = kw.wrap(contentKey);
        } catch (GeneralSecurityException e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "cannot wrap the content key for " + recipientId + ": " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(enc.secret(), (byte) 0);
        }
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        Element ek = doc.createElementNS(Formats.XENC_NS, "xenc:EncryptedKey");
        ek.setAttribute("Recipient", recipientId);
        Element method = doc.createElementNS(Formats.XENC_NS, "xenc:EncryptionMethod");
        method.setAttribute("Algorithm", XMLCipher.AES_256_KeyWrap);
        ek.appendChild(method);
        Element keyInfo = doc.createElementNS(Formats.DSIG_NS, "ds:KeyInfo");
        Element ct = doc.createElementNS(Formats.NS, "l:" + HYBRID_CIPHERTEXT);
        ct.setAttribute("Algorithm", HybridKem.ALGORITHM);
        Element x = doc.createElementNS(Formats.NS, "l:" + HYBRID_X25519);
        x.setTextContent(b64.encodeToString(enc.x25519Ciphertext()));
        Element m = doc.createElementNS(Formats.NS, "l:" + HYBRID_MLKEM);
        m.setTextContent(b64.encodeToString(enc.mlkemCiphertext()));
        ct.appendChild(x);
        ct.appendChild(m);
        keyInfo.appendChild(ct);
        ek.appendChild(keyInfo);
        Element data = doc.createElementNS(Formats.XENC_NS, "xenc:CipherData");
        Element value = doc.createElementNS(Formats.XENC_NS, "xenc:CipherValue");
        value.setTextContent(b64.encodeToString(wrapped));
        data.appendChild(value);
        ek.appendChild(data);
        return ek;
    }

    /**
     * Unwraps the content key from an xenc:EncryptedKey made by {@link #wrapKey(Document, SecretKey,
     * HybridKem.PublicKey, String)}. The whole structure is checked before the key is touched: an
     * unknown or classical algorithm is ALGORITHM_REJECTED, a missing, extra or misplaced element, bad
     * base64 or a ciphertext of the wrong size is SCHEMA_INVALID. After that, every failure is the
     * uniform DECRYPTION_FAILED.
     */
    public static SecretKey unwrapKey(Element encryptedKey, HybridKem.PrivateKey key) throws ProtocolException {
        checkAlgorithms(encryptedKey, "EncryptedKey", HYBRID_KEY_ALGORITHMS);
        java.util.List<Element> parts = children(encryptedKey, "EncryptedKey");
        expect(parts, 3, "EncryptedKey", "EncryptionMethod, KeyInfo and CipherData");
        Element method = expect(parts.get(0), Formats.XENC_NS, "EncryptionMethod");
        if (!XMLCipher.AES_256_KeyWrap.equals(method.getAttribute("Algorithm"))) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "a hybrid EncryptedKey must be wrapped with "
                    + XMLCipher.AES_256_KeyWrap + ", not " + method.getAttribute("Algorithm"));
        }
        expect(children(method, "EncryptionMethod"), 0, "EncryptionMethod", "nothing");
        Element keyInfo = expect(parts.get(1), Formats.DSIG_NS, "KeyInfo");
        java.util.List<Element> ki = children(keyInfo, "KeyInfo");
        expect(ki, 1, "KeyInfo", "one " + HYBRID_CIPHERTEXT);
        Element ct = expect(ki.get(0), Formats.NS, HYBRID_CIPHERTEXT);
        if (!HybridKem.ALGORITHM.equals(ct.getAttribute("Algorithm"))) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, HYBRID_CIPHERTEXT + " algorithm '" + ct.getAttribute("Algorithm")
                    + "' is not " + HybridKem.ALGORITHM);
        }
        java.util.List<Element> cts = children(ct, HYBRID_CIPHERTEXT);
        expect(cts, 2, HYBRID_CIPHERTEXT, HYBRID_X25519 + " then " + HYBRID_MLKEM);
        byte[] ctX = base64(expect(cts.get(0), Formats.NS, HYBRID_X25519), HybridKem.X25519_BYTES);
        byte[] ctM = base64(expect(cts.get(1), Formats.NS, HYBRID_MLKEM), HybridKem.MLKEM_CIPHERTEXT_BYTES);
        Element data = expect(parts.get(2), Formats.XENC_NS, "CipherData");
        java.util.List<Element> cd = children(data, "CipherData");
        expect(cd, 1, "CipherData", "one CipherValue");
        byte[] wrapped = base64(expect(cd.get(0), Formats.XENC_NS, "CipherValue"), WRAPPED_KEY_BYTES);
        // Only now is the key used.
        byte[] kek = HybridKem.decapsulate(key, ctX, ctM);
        try {
            javax.crypto.Cipher kw = javax.crypto.Cipher.getInstance("AESWrap");
            kw.init(javax.crypto.Cipher.UNWRAP_MODE, new SecretKeySpec(kek, "AES"));
            Key k = kw.unwrap(wrapped, "AES", javax.crypto.Cipher.SECRET_KEY);
            byte[] raw = k.getEncoded();
            if (raw == null || raw.length != 32) {
                throw uniform();
            }
            return new SecretKeySpec(raw, "AES");
        } catch (GeneralSecurityException | RuntimeException e) {
            throw uniform();
        } finally {
            java.util.Arrays.fill(kek, (byte) 0);
        }
    }

    /** The child elements of {@code e}; any other content but white space (text, comments, processing instructions) is refused. */
    private static java.util.List<Element> children(Element e, String what) throws ProtocolException {
        java.util.List<Element> out = new java.util.ArrayList<>();
        for (org.w3c.dom.Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == org.w3c.dom.Node.ELEMENT_NODE) {
                out.add((Element) n);
            } else if (n.getNodeType() != org.w3c.dom.Node.TEXT_NODE || !n.getNodeValue().isBlank()) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, what + " may contain only elements");
            }
        }
        return out;
    }

    private static void expect(java.util.List<Element> children, int count, String what, String expected) throws ProtocolException {
        if (children.size() != count) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a hybrid " + what + " must contain " + expected + ", found "
                    + children.size() + " element(s)");
        }
    }

    private static Element expect(Element e, String ns, String local) throws ProtocolException {
        if (!ns.equals(e.getNamespaceURI()) || !local.equals(e.getLocalName())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a hybrid EncryptedKey has " + e.getLocalName()
                    + " where " + local + " belongs");
        }
        return e;
    }

    /** Strict base64 of a text-only element (XML white space allowed between characters), of exactly {@code size} bytes. */
    private static byte[] base64(Element e, int size) throws ProtocolException {
        for (org.w3c.dom.Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() != org.w3c.dom.Node.TEXT_NODE) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getLocalName() + " must contain only base64 text");
            }
        }
        byte[] b;
        try {
            b = java.util.Base64.getDecoder().decode(e.getTextContent().replaceAll("[ \\t\\r\\n]", ""));
        } catch (IllegalArgumentException bad) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getLocalName() + " is not base64");
        }
        if (b.length != size) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getLocalName() + " must hold " + size + " bytes, not " + b.length);
        }
        return b;
    }

    /**
     * Encrypts an XML element given as a serialized document (e.g. a signed manifest, exactly as
     * signed); returns an xenc:EncryptedData of {@code Type="…#Element"}. XML Encryption defines the
     * plaintext of such data as an element's serialization, so a leading XML declaration is left out
     * (independent implementations refuse to decrypt one); signatures over exclusive C14N do not see it.
     */
    public static Element encrypt(Document doc, byte[] elementXml, SecretKey contentKey) throws ProtocolException {
        Santuario.init();
        try {
            XMLCipher cipher = XMLCipher.getInstance(AES_256_GCM);
            cipher.init(XMLCipher.ENCRYPT_MODE, contentKey);
            EncryptedData ed = cipher.encryptData(doc, EncryptionConstants.TYPE_ELEMENT,
                    new ByteArrayInputStream(withoutDeclaration(elementXml)));
            return cipher.martial(doc, ed);
        } catch (Exception e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "cannot encrypt: " + e.getMessage(), e);
        }
    }

    /** The bytes after a leading {@code <?xml …?>} declaration and the white space after it (UTF-8 only: the format's encoding). */
    static byte[] withoutDeclaration(byte[] xml) {
        int start = 0;
        if (xml.length >= 3 && (xml[0] & 0xff) == 0xEF && (xml[1] & 0xff) == 0xBB && (xml[2] & 0xff) == 0xBF) {
            start = 3; // a byte-order mark
        }
        byte[] decl = "<?xml".getBytes(StandardCharsets.US_ASCII);
        if (xml.length - start < decl.length || !java.util.Arrays.equals(xml, start, start + decl.length, decl, 0, decl.length)) {
            return start == 0 ? xml : java.util.Arrays.copyOfRange(xml, start, xml.length);
        }
        int end = start + decl.length;
        while (end + 1 < xml.length && !(xml[end] == '?' && xml[end + 1] == '>')) {
            end++;
        }
        end += 2;
        while (end < xml.length && (xml[end] == ' ' || xml[end] == '\n' || xml[end] == '\r' || xml[end] == '\t')) {
            end++;
        }
        return java.util.Arrays.copyOfRange(xml, Math.min(end, xml.length), xml.length);
    }

    /** Decrypts an xenc:EncryptedData made by {@link #encrypt}; returns the exact plaintext bytes. */
    public static byte[] decrypt(Element encryptedData, SecretKey contentKey) throws ProtocolException {
        Santuario.init();
        checkAlgorithms(encryptedData, "EncryptedData", DATA_ALGORITHMS);
        if (encryptedData.hasAttribute("Type") && !EncryptionConstants.TYPE_ELEMENT.equals(encryptedData.getAttribute("Type"))) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "EncryptedData of type " + encryptedData.getAttribute("Type")
                    + " is not allowed");
        }
        try {
            XMLCipher cipher = XMLCipher.getInstance(AES_256_GCM);
            cipher.init(XMLCipher.DECRYPT_MODE, contentKey);
            cipher.setSecureValidation(true);
            return cipher.decryptToByteArray(encryptedData);
        } catch (Exception e) {
            throw uniform();
        }
    }

    private static ProtocolException uniform() {
        return new ProtocolException(ErrorCode.DECRYPTION_FAILED, "the message cannot be decrypted with this gateway's key");
    }

    /** Every Algorithm attribute within {@code e} must be allowed; nothing may point outside the document. */
    private static void checkAlgorithms(Element e, String what, Set<String> allowed) throws ProtocolException {
        if (!Formats.XENC_NS.equals(e.getNamespaceURI()) || !what.equals(e.getLocalName())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "expected xenc:" + what + ", got " + e.getLocalName());
        }
        NodeList all = e.getElementsByTagNameNS("*", "*");
        for (int i = -1; i < all.getLength(); i++) {
            Element x = i < 0 ? e : (Element) all.item(i);
            String local = x.getLocalName();
            if ("CipherReference".equals(local) || "RetrievalMethod".equals(local) || "X509Data".equals(local)) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, what + " may not contain " + local);
            }
            if (x.hasAttribute("Algorithm") && !allowed.contains(x.getAttribute("Algorithm"))) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, what + " algorithm " + x.getAttribute("Algorithm")
                        + " is not allowed");
            }
        }
        if (e.getElementsByTagNameNS(Formats.XENC_NS, "EncryptionMethod").getLength() == 0) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, what + " names no EncryptionMethod");
        }
    }
}
