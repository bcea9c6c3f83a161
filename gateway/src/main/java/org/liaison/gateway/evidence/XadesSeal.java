package org.liaison.gateway.evidence;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.xml.security.c14n.Canonicalizer;
import org.apache.xml.security.exceptions.XMLSecurityException;
import org.apache.xml.security.signature.ObjectContainer;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.signature.XMLSignatureByteInput;
import org.apache.xml.security.signature.XMLSignatureInput;
import org.apache.xml.security.transforms.Transforms;
import org.apache.xml.security.utils.resolver.ResourceResolverContext;
import org.apache.xml.security.utils.resolver.ResourceResolverException;
import org.apache.xml.security.utils.resolver.ResourceResolverSpi;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The exporting node's seal over an ASiC-E container: one XAdES signature (ETSI EN 319 132-1, baseline
 * B-B; B-T when the node has a TSA: a SignatureTimeStamp over the SignatureValue) in
 * {@code META-INF/signatures001.xml}, inside {@code asic:XAdESSignatures}, with one reference per file of
 * the container (its name as the URI, no transform, SHA-256) and one to the SignedProperties (SigningTime,
 * SigningCertificateV2). Made with Apache Santuario; the certificates and CRLs that validate it travel as
 * files of the container, not as XAdES CertificateValues/RevocationValues (so not B-LT in form).
 *
 * <p><b>Security guarantees.</b> {@link #verify} checks the structure before any cryptography — the
 * signature algorithm and every digest from closed lists, each file reference naming an entry of the
 * container exactly once with no transform, every entry but the mimetype and the signature itself
 * referenced, one SignedProperties reference — then verifies with the certificate the caller's check
 * accepts (never trusting KeyInfo by itself), with Santuario's secure validation on.
 */
public final class XadesSeal {
    public static final String ASIC_NS = "http://uri.etsi.org/02918/v1.2.1#";
    public static final String XADES_NS = "http://uri.etsi.org/01903/v1.3.2#";
    public static final String SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties";
    private static final String SIGNATURE_ID = "liaison-seal";
    private static final String SP_ID = "liaison-seal-signed-properties";
    /** Santuario's secure validation allows 30 references: the files and the SignedProperties. */
    public static final int MAX_FILES = 29;

    private XadesSeal() {}

    /** A seal that verified: the signer, its claimed signing time, and the trusted time of its timestamp (B-T), if any. */
    public record Verified(X509Certificate signer, Instant signingTime, Instant timestamped) {}

    /** Decides whether the certificate a seal names may have made it; returns it, or throws saying why not. */
    @FunctionalInterface
    public interface SignerCheck {
        X509Certificate accept(X509Certificate claimed) throws ProtocolException, GeneralSecurityException;
    }

    /**
     * Seals {@code files} (name → bytes, the container's entries but the mimetype) with {@code signer};
     * with {@code tsa}, adds a signature time-stamp.
     */
    public static byte[] seal(Map<String, byte[]> files, Credential signer, Instant now, TimeStamps.Authority tsa)
            throws ProtocolException, IOException {
        if (files.size() > MAX_FILES) {
            throw new IOException("a container seals at most " + MAX_FILES + " files, this one has " + files.size());
        }
        org.liaison.protocol.dsig.Santuario.init();
        try {
            Document doc = SecureXml.newDocument();
            Element root = doc.createElementNS(ASIC_NS, "asic:XAdESSignatures");
            root.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:asic", ASIC_NS);
            doc.appendChild(root);
            SignatureAlgorithm alg = SignatureAlgorithm.forKey(KeyAlgorithm.of(signer.certificate().getPublicKey()));
            XMLSignature sig = new XMLSignature(doc, "", alg.uri(), 0, SignatureAlgorithm.EXCLUSIVE_C14N,
                    org.liaison.certs.Providers.bouncyCastle(), null);
            sig.setId(SIGNATURE_ID);
            root.appendChild(sig.getElement());
            sig.addResourceResolver(new Entries(files));
            for (String name : files.keySet()) {
                sig.addDocument(name, null, SignatureAlgorithm.SHA256);
            }
            Element qp = doc.createElementNS(XADES_NS, "xades:QualifyingProperties");
            qp.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:xades", XADES_NS);
            qp.setAttributeNS(null, "Target", "#" + SIGNATURE_ID);
            Element sp = child(qp, "SignedProperties");
            sp.setAttributeNS(null, "Id", SP_ID);
            sp.setIdAttributeNS(null, "Id", true);
            Element ssp = child(sp, "SignedSignatureProperties");
            child(ssp, "SigningTime").setTextContent(now.toString());
            Element certDigest = child(child(child(ssp, "SigningCertificateV2"), "Cert"), "CertDigest");
            Element dm = doc.createElementNS(Formats.DSIG_NS, "ds:DigestMethod");
            dm.setAttributeNS(null, "Algorithm", SignatureAlgorithm.SHA256);
            certDigest.appendChild(dm);
            Element dv = doc.createElementNS(Formats.DSIG_NS, "ds:DigestValue");
            dv.setTextContent(Base64.getEncoder().encodeToString(sha256(signer.certificate().getEncoded())));
            certDigest.appendChild(dv);
            ObjectContainer object = new ObjectContainer(doc);
            object.appendChild(qp);
            sig.appendObject(object);
            Transforms t = new Transforms(doc);
            t.addTransform(SignatureAlgorithm.EXCLUSIVE_C14N);
            sig.addDocument("#" + SP_ID, t, SignatureAlgorithm.SHA256, null, SIGNED_PROPERTIES_TYPE);
            sig.addKeyInfo(signer.certificate());
            sig.sign(signer.privateKey());
            if (tsa != null) {
                TimeStamps.Verified token = TimeStamps.request(tsa, sha256(c14n(signatureValue(sig.getElement()))));
                Element usp = child(child(qp, "UnsignedProperties"), "UnsignedSignatureProperties");
                Element ts = child(usp, "SignatureTimeStamp");
                Element cm = doc.createElementNS(Formats.DSIG_NS, "ds:CanonicalizationMethod");
                cm.setAttributeNS(null, "Algorithm", SignatureAlgorithm.EXCLUSIVE_C14N);
                ts.appendChild(cm);
                child(ts, "EncapsulatedTimeStamp").setTextContent(Base64.getEncoder().encodeToString(token.token()));
            }
            return SecureXml.serialize(doc);
        } catch (XMLSecurityException | GeneralSecurityException e) {
            throw new IOException("cannot seal the container: " + e.getMessage(), e);
        }
    }

    /**
     * Verifies the seal {@code xml} over {@code files} (every entry of the container but the mimetype and
     * this signature); {@code tsaChain} checks a signature time-stamp (null: a time-stamp present is reported
     * as unchecked by throwing).
     */
    public static Verified verify(byte[] xml, Map<String, byte[]> files, SignerCheck check, List<X509Certificate> tsaChain)
            throws ProtocolException, GeneralSecurityException {
        org.liaison.protocol.dsig.Santuario.init();
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        Element root = doc.getDocumentElement();
        if (!ASIC_NS.equals(root.getNamespaceURI()) || !"XAdESSignatures".equals(root.getLocalName())) {
            throw new GeneralSecurityException("the seal is not an asic:XAdESSignatures document");
        }
        NodeList sigs = doc.getElementsByTagNameNS(Formats.DSIG_NS, "Signature");
        if (sigs.getLength() != 1 || sigs.item(0).getParentNode() != root) {
            throw new GeneralSecurityException("the seal holds " + sigs.getLength() + " signatures (expected: one)");
        }
        Element signature = (Element) sigs.item(0);
        Element signedInfo = first(signature, Formats.DSIG_NS, "SignedInfo");
        String sigAlg = first(signedInfo, Formats.DSIG_NS, "SignatureMethod").getAttribute("Algorithm");
        SignatureAlgorithm alg = SignatureAlgorithm.fromUri(sigAlg);
        if (alg == null || !SignatureAlgorithm.allSuites().contains(alg) && alg != SignatureAlgorithm.ECDSA_SHA256) {
            throw new GeneralSecurityException("the seal's signature algorithm " + sigAlg + " is not allowed");
        }
        if (!SignatureAlgorithm.EXCLUSIVE_C14N.equals(first(signedInfo, Formats.DSIG_NS, "CanonicalizationMethod").getAttribute("Algorithm"))) {
            throw new GeneralSecurityException("the seal's canonicalization is not exclusive C14N");
        }
        Set<String> referenced = new HashSet<>();
        int signedProperties = 0;
        for (Element ref : children(signedInfo, Formats.DSIG_NS, "Reference")) {
            String uri = ref.getAttribute("URI");
            if (!SignatureAlgorithm.SHA256.equals(first(ref, Formats.DSIG_NS, "DigestMethod").getAttribute("Algorithm"))) {
                throw new GeneralSecurityException("reference '" + uri + "': digest is not SHA-256");
            }
            List<Element> transforms = children(ref, Formats.DSIG_NS, "Transforms");
            if (uri.equals("#" + SP_ID) && SIGNED_PROPERTIES_TYPE.equals(ref.getAttribute("Type"))) {
                signedProperties++;
                List<Element> tt = transforms.isEmpty() ? List.of() : children(transforms.get(0), Formats.DSIG_NS, "Transform");
                if (tt.size() != 1 || !SignatureAlgorithm.EXCLUSIVE_C14N.equals(tt.get(0).getAttribute("Algorithm"))) {
                    throw new GeneralSecurityException("the SignedProperties reference must have exactly one transform, exclusive C14N");
                }
                continue;
            }
            if (!transforms.isEmpty() || ref.hasAttribute("Type") || !files.containsKey(uri) || !referenced.add(uri)) {
                throw new GeneralSecurityException("reference '" + uri + "' does not name one file of the container without a transform");
            }
        }
        if (signedProperties != 1) {
            throw new GeneralSecurityException("the seal has " + signedProperties + " SignedProperties references (expected: 1)");
        }
        for (String name : files.keySet()) {
            if (!referenced.contains(name)) {
                throw new GeneralSecurityException("file '" + name + "' is in the container but not sealed");
            }
        }
        NodeList sps = doc.getElementsByTagNameNS(XADES_NS, "SignedProperties");
        if (sps.getLength() != 1) {
            throw new GeneralSecurityException("expected one xades:SignedProperties, found " + sps.getLength());
        }
        Element sp = (Element) sps.item(0);
        if (!SP_ID.equals(sp.getAttribute("Id"))) {
            throw new GeneralSecurityException("the SignedProperties has another Id than its reference names");
        }
        sp.setIdAttributeNS(null, "Id", true);
        X509Certificate claimed = keyInfoCertificate(signature);
        X509Certificate signer = check.accept(claimed);
        Element certDigest = (Element) sp.getElementsByTagNameNS(XADES_NS, "CertDigest").item(0);
        if (certDigest == null || !Base64.getEncoder().encodeToString(sha256(signer.getEncoded()))
                .equals(first(certDigest, Formats.DSIG_NS, "DigestValue").getTextContent().strip())) {
            throw new GeneralSecurityException("SigningCertificateV2 does not name the certificate that signed");
        }
        try {
            XMLSignature sig = new XMLSignature(signature, "", true, org.liaison.certs.Providers.bouncyCastle());
            sig.addResourceResolver(new Entries(files));
            if (!sig.checkSignatureValue(signer.getPublicKey())) {
                int n = sig.getSignedInfo().getLength();
                for (int i = 0; i < n; i++) {
                    if (!sig.getSignedInfo().getVerificationResult(i)) {
                        throw new GeneralSecurityException("file '" + sig.getSignedInfo().item(i).getURI() + "' was changed after the seal");
                    }
                }
                throw new GeneralSecurityException("the seal's signature does not verify with the exporting node's certificate");
            }
        } catch (XMLSecurityException e) {
            throw new GeneralSecurityException("the seal does not verify: " + e.getMessage());
        }
        Instant signingTime = Instant.parse(sp.getElementsByTagNameNS(XADES_NS, "SigningTime").item(0).getTextContent().strip());
        Instant timestamped = null;
        NodeList tss = doc.getElementsByTagNameNS(XADES_NS, "EncapsulatedTimeStamp");
        if (tss.getLength() > 0) {
            if (tsaChain == null || tsaChain.isEmpty()) {
                throw new GeneralSecurityException("the seal's time-stamp cannot be checked: the container holds no TSA chain");
            }
            byte[] token = Base64.getMimeDecoder().decode(tss.item(0).getTextContent().strip());
            timestamped = TimeStamps.verify(token, sha256(c14n(signatureValue(signature))), tsaChain).time();
        }
        return new Verified(signer, signingTime, timestamped);
    }

    private static Element signatureValue(Element signature) throws GeneralSecurityException {
        return first(signature, Formats.DSIG_NS, "SignatureValue");
    }

    private static byte[] c14n(Node n) throws GeneralSecurityException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Canonicalizer.getInstance(SignatureAlgorithm.EXCLUSIVE_C14N).canonicalizeSubtree(n, out);
            return out.toByteArray();
        } catch (XMLSecurityException e) {
            throw new GeneralSecurityException("cannot canonicalize: " + e.getMessage());
        }
    }

    private static X509Certificate keyInfoCertificate(Element signature) throws GeneralSecurityException {
        NodeList certs = signature.getElementsByTagNameNS(Formats.DSIG_NS, "X509Certificate");
        if (certs.getLength() != 1) {
            throw new GeneralSecurityException("the seal names " + certs.getLength() + " certificates (expected: one, the exporting node's)");
        }
        byte[] der = Base64.getMimeDecoder().decode(certs.item(0).getTextContent());
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Element child(Element parent, String xadesName) {
        Element e = parent.getOwnerDocument().createElementNS(XADES_NS, "xades:" + xadesName);
        parent.appendChild(e);
        return e;
    }

    private static Element first(Element parent, String ns, String name) throws GeneralSecurityException {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && ns.equals(e.getNamespaceURI()) && name.equals(e.getLocalName())) {
                return e;
            }
        }
        throw new GeneralSecurityException("the seal has no " + name + " in " + parent.getLocalName());
    }

    private static List<Element> children(Element parent, String ns, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && ns.equals(e.getNamespaceURI()) && name.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    /** Resolves a reference URI to the bytes of the container entry of that name, and nothing else. */
    private static final class Entries extends ResourceResolverSpi {
        private final Map<String, byte[]> files;

        Entries(Map<String, byte[]> files) {
            this.files = files;
        }

        @Override
        public boolean engineCanResolveURI(ResourceResolverContext context) {
            return context.uriToResolve != null && files.containsKey(context.uriToResolve);
        }

        @Override
        public XMLSignatureInput engineResolveURI(ResourceResolverContext context) throws ResourceResolverException {
            XMLSignatureInput in = new XMLSignatureByteInput(files.get(context.uriToResolve).clone());
            in.setSourceURI(context.uriToResolve);
            return in;
        }
    }
}
