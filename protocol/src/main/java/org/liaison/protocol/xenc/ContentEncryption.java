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
 *   <li>{@code rsa} recipients: RSA-OAEP ({@code xmlenc11#rsa-oaep}) with SHA-256 and MGF1-SHA-256.</li>
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
                params.setOriginatorKeyPair(ephemeral != null ? ephemeral
                        : org.apache.xml.security.utils.KeyUtils.generateEphemeralDHKeyPair(pub, null));
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
