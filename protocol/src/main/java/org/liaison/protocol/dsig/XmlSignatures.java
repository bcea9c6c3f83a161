package org.liaison.protocol.dsig;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.apache.xml.security.exceptions.XMLSecurityException;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.transforms.Transforms;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Providers;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.Formats;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Enveloped XML signatures over whole documents, with Apache Santuario.
 *
 * <p>Every Liaison signature has one shape: a single {@code ds:Signature}, the last child of the
 * root element, with exclusive C14N, one allowed signature algorithm, and exactly one
 * {@code Reference URI=""} whose transforms are exactly enveloped-signature then exclusive C14N
 * and whose digest is SHA-256; a {@code KeyInfo} holding at most one X.509 certificate.
 *
 * <p><b>Security guarantees.</b> {@link #verify} checks that shape — every algorithm against a
 * closed allow-list, no {@code ds:Object} or {@code ds:Manifest}, no other reference — before any
 * cryptographic work. Because the one reference is the whole document, the content a caller
 * processes (the root element it was given) is exactly what was signed: there is no Id to
 * re-point, so signature-wrapping has nothing to move. The verification key never comes from
 * {@code KeyInfo}: a {@link SignerResolver} validates the claimed certificate or supplies the
 * expected one. Santuario's secure validation is on.
 */
public final class XmlSignatures {
    private XmlSignatures() {}

    /** Signs {@code doc} in place, appending the signature as the root's last child. */
    public static void sign(Document doc, Credential signer) throws ProtocolException {
        KeyAlgorithm key;
        try {
            key = KeyAlgorithm.of(signer.certificate().getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, e.getMessage());
        }
        sign(doc, signer, SignatureAlgorithm.forKey(key));
    }

    public static void sign(Document doc, Credential signer, SignatureAlgorithm algorithm) throws ProtocolException {
        sign(doc, signer, algorithm, PROVIDER);
    }

    /**
     * The JCA provider Santuario signs and verifies with: Bouncy Castle, which is 7–14× faster than
     * the JDK's SunEC for Ed25519 and ECDSA and as fast for RSA (see {@code Providers}), and the only
     * one that knows RSA-PSS by Santuario's name for it.
     */
    static final java.security.Provider PROVIDER = Providers.bouncyCastle();

    static void sign(Document doc, Credential signer, SignatureAlgorithm algorithm, java.security.Provider provider)
            throws ProtocolException {
        Santuario.init();
        try {
            XMLSignature sig = new XMLSignature(doc, "", algorithm.uri(), 0, SignatureAlgorithm.EXCLUSIVE_C14N, provider, null);
            doc.getDocumentElement().appendChild(sig.getElement());
            Transforms transforms = new Transforms(doc);
            transforms.addTransform(SignatureAlgorithm.ENVELOPED);
            transforms.addTransform(SignatureAlgorithm.EXCLUSIVE_C14N);
            sig.addDocument("", transforms, SignatureAlgorithm.SHA256);
            sig.addKeyInfo(signer.certificate());
            sig.sign(providerKey(signer.privateKey(), provider));
        } catch (XMLSecurityException e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "cannot sign: " + e.getMessage(), e);
        }
    }

    /**
     * Each Ed25519 signing key in Bouncy Castle's own form, made once per key. A key read from a PKCS#12 file is the
     * JDK's: Bouncy Castle takes it by its encoding at every signature and derives its public key again each time (a
     * scalar multiplication: as much work as the signature itself). A process signs with a handful of keys.
     */
    private static final java.util.Map<java.security.PrivateKey, java.security.PrivateKey> BC_KEYS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    static java.security.PrivateKey providerKey(java.security.PrivateKey key, java.security.Provider provider) {
        if (provider != PROVIDER || key.getClass().getName().startsWith("org.bouncycastle.")
                || !(key instanceof java.security.interfaces.EdECPrivateKey)
                || !"Ed25519".equals(((java.security.interfaces.EdECPrivateKey) key).getParams().getName())) {
            return key;
        }
        java.security.PrivateKey bc = BC_KEYS.get(key);
        if (bc == null) {
            try {
                bc = java.security.KeyFactory.getInstance("Ed25519", provider)
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(key.getEncoded()));
            } catch (GeneralSecurityException | RuntimeException e) {
                return key; // signed as given
            }
            BC_KEYS.put(key, bc);
        }
        return bc;
    }

    /** A verified signature: the document's root, and the certificate whose key verified it. */
    public record Verified(Element root, X509Certificate signer, SignatureAlgorithm algorithm) {}

    /**
     * Verifies the one signature of {@code doc}.
     *
     * @param allowed the signature algorithms acceptable for this signer
     * @throws ProtocolException ALGORITHM_REJECTED or SIGNATURE_STRUCTURE_REJECTED before any crypto work,
     *     SIGNER_NOT_TRUSTED from the resolver, SIGNATURE_INVALID when the signature does not verify
     */
    public static Verified verify(Document doc, Set<SignatureAlgorithm> allowed, SignerResolver resolver)
            throws ProtocolException {
        return verify(doc, allowed, resolver, PROVIDER);
    }

    static Verified verify(Document doc, Set<SignatureAlgorithm> allowed, SignerResolver resolver, java.security.Provider provider)
            throws ProtocolException {
        Santuario.init();
        Element root = doc.getDocumentElement();
        Element signature = checkShape(root);
        SignatureAlgorithm algorithm = checkAlgorithms(signature, allowed);
        X509Certificate claimed = claimedCertificate(signature);
        X509Certificate signer = resolver.resolve(claimed);
        try {
            XMLSignature sig = new XMLSignature(signature, "", true, provider);
            if (!sig.checkSignatureValue(signer.getPublicKey())) {
                throw new ProtocolException(ErrorCode.SIGNATURE_INVALID,
                        "the signature does not verify: the document was changed or signed by another key");
            }
            if (sig.getSignedInfo().getLength() != 1 || !sig.getSignedInfo().getVerificationResult(0)) {
                throw new ProtocolException(ErrorCode.SIGNATURE_INVALID, "the signed content does not match its digest");
            }
        } catch (XMLSecurityException e) {
            throw new ProtocolException(ErrorCode.SIGNATURE_INVALID, "the signature does not verify: " + e.getMessage());
        }
        return new Verified(root, signer, algorithm);
    }

    /** Exactly one ds:Signature, the last element child of the root; no ds:Object or ds:Manifest anywhere. */
    private static Element checkShape(Element root) throws ProtocolException {
        NodeList all = root.getOwnerDocument().getElementsByTagNameNS(Formats.DSIG_NS, "Signature");
        if (all.getLength() != 1) {
            throw structure("expected exactly one ds:Signature, found " + all.getLength());
        }
        Element signature = (Element) all.item(0);
        if (signature.getParentNode() != root || lastElementChild(root) != signature) {
            throw structure("the ds:Signature must be the last child of <" + root.getLocalName() + ">");
        }
        for (String forbidden : new String[] {"Object", "Manifest"}) {
            if (root.getOwnerDocument().getElementsByTagNameNS(Formats.DSIG_NS, forbidden).getLength() > 0) {
                throw structure("ds:" + forbidden + " is not allowed");
            }
        }
        List<Element> parts = children(signature);
        if (parts.size() < 2 || parts.size() > 3 || !is(parts.get(0), "SignedInfo") || !is(parts.get(1), "SignatureValue")
                || (parts.size() == 3 && !is(parts.get(2), "KeyInfo"))) {
            throw structure("ds:Signature must hold SignedInfo, SignatureValue and optionally KeyInfo, nothing else");
        }
        return signature;
    }

    private static SignatureAlgorithm checkAlgorithms(Element signature, Set<SignatureAlgorithm> allowed) throws ProtocolException {
        Element signedInfo = children(signature).get(0);
        List<Element> si = children(signedInfo);
        if (si.size() != 3 || !is(si.get(0), "CanonicalizationMethod") || !is(si.get(1), "SignatureMethod")
                || !is(si.get(2), "Reference")) {
            throw structure("SignedInfo must hold CanonicalizationMethod, SignatureMethod and exactly one Reference");
        }
        requireAlgorithm(si.get(0), SignatureAlgorithm.EXCLUSIVE_C14N, "canonicalization");
        String sigUri = si.get(1).getAttribute("Algorithm");
        SignatureAlgorithm algorithm = SignatureAlgorithm.fromUri(sigUri);
        if (algorithm == null || !allowed.contains(algorithm)) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "signature algorithm " + sigUri + " is not allowed");
        }
        if (!children(si.get(1)).isEmpty()) {
            throw structure("SignatureMethod must have no parameters");
        }
        Element reference = si.get(2);
        if (!reference.hasAttribute("URI") || !reference.getAttribute("URI").isEmpty()) {
            throw structure("the Reference must be URI=\"\" (the whole document), not \"" + reference.getAttribute("URI") + "\"");
        }
        if (reference.hasAttribute("Type") || reference.hasAttribute("Id")) {
            throw structure("the Reference must have no Type or Id");
        }
        List<Element> ref = children(reference);
        if (ref.size() != 3 || !is(ref.get(0), "Transforms") || !is(ref.get(1), "DigestMethod") || !is(ref.get(2), "DigestValue")) {
            throw structure("the Reference must hold Transforms, DigestMethod and DigestValue");
        }
        List<Element> transforms = children(ref.get(0));
        if (transforms.size() != 2) {
            throw structure("expected exactly 2 transforms (enveloped-signature, exclusive C14N), found " + transforms.size());
        }
        requireAlgorithm(transforms.get(0), SignatureAlgorithm.ENVELOPED, "first transform");
        requireAlgorithm(transforms.get(1), SignatureAlgorithm.EXCLUSIVE_C14N, "second transform");
        requireAlgorithm(ref.get(1), SignatureAlgorithm.SHA256, "digest");
        return algorithm;
    }

    private static void requireAlgorithm(Element e, String expected, String what) throws ProtocolException {
        String actual = e.getAttribute("Algorithm");
        if (!expected.equals(actual)) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, what + " algorithm " + actual + " is not allowed (expected "
                    + expected + ")");
        }
        if (!children(e).isEmpty()) {
            throw structure(what + " must have no parameters");
        }
    }

    /** The certificate a signature claims, if its KeyInfo is exactly X509Data/X509Certificate; else an error. */
    private static X509Certificate claimedCertificate(Element signature) throws ProtocolException {
        List<Element> parts = children(signature);
        if (parts.size() < 3) {
            return null;
        }
        List<Element> keyInfo = children(parts.get(2));
        if (keyInfo.size() != 1 || !is(keyInfo.get(0), "X509Data")) {
            throw structure("KeyInfo may hold only one X509Data");
        }
        List<Element> data = children(keyInfo.get(0));
        if (data.size() != 1 || !is(data.get(0), "X509Certificate")) {
            throw structure("X509Data may hold only one X509Certificate");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(data.get(0).getTextContent());
            // The JDK's factory keeps the certificates it read, by their bytes: the same bytes give the same certificate,
            // read once (who may sign is still decided by the resolver, for each signature).
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw structure("the certificate in KeyInfo cannot be read");
        }
    }

    private static ProtocolException structure(String message) {
        return new ProtocolException(ErrorCode.SIGNATURE_STRUCTURE_REJECTED, message);
    }

    private static boolean is(Element e, String dsigName) {
        return Formats.DSIG_NS.equals(e.getNamespaceURI()) && dsigName.equals(e.getLocalName());
    }

    /** Element children; any non-whitespace text between them is refused by callers through the schema. */
    static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.ELEMENT_NODE) {
                out.add((Element) n);
            }
        }
        return out;
    }

    private static Element lastElementChild(Element e) {
        Node n = e.getLastChild();
        while (n != null && n.getNodeType() != Node.ELEMENT_NODE) {
            n = n.getPreviousSibling();
        }
        return (Element) n;
    }
}
