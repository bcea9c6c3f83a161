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
import org.liaison.certs.Providers;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.Santuario;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The exporting node's seal over an ASiC-E container: one XAdES signature (ETSI EN 319 132-1) in
 * {@code META-INF/signatures001.xml}, inside {@code asic:XAdESSignatures}, with one reference per file of
 * the container (its name as the URI, no transform, SHA-256) and one to the SignedProperties (SigningTime,
 * SigningCertificateV2). Made with Apache Santuario. The unsigned properties carry the validation data
 * (EN 319 132-1 clause 5.5): {@code xades:CertificateValues} (the signer's certificate, its national CA,
 * the TSA's chain) and {@code xades:RevocationValues} (the CRLs in force at the signing time), after a
 * {@code SignatureTimeStamp} over the SignatureValue when the node has a TSA: baseline B-LT (B-B with the
 * validation data when no TSA is configured). The verifier checks the signer with the CRLs in the seal.
 *
 * <p>Santuario's secure validation allows {@value #MAX_REFERENCES} references per SignedInfo or
 * Manifest. Up to {@value #MAX_DIRECT} files are referenced from the SignedInfo directly (every XAdES
 * verifier and xmlsec1 check each); a larger container references them from {@code ds:Manifest}s of up to
 * {@value #MAX_REFERENCES} files each, held in {@code ds:Object}s of the signature and each referenced from
 * the SignedInfo (Type {@code #Manifest}, exclusive C14N): the signature covers each Manifest and the
 * verifier checks every Manifest reference (Santuario following the Manifests, secure validation still
 * on, no global limit raised), up to {@value #MAX_FILES} files.
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
    /** Santuario's secure validation allows 30 references per SignedInfo or Manifest. */
    public static final int MAX_REFERENCES = 30;
    /** Files referenced from the SignedInfo itself (with the SignedProperties, 30). */
    public static final int MAX_DIRECT = MAX_REFERENCES - 1;
    /** Files a seal covers at most: 29 Manifests of 30. */
    public static final int MAX_FILES = MAX_DIRECT * MAX_REFERENCES;
    public static final String MANIFEST_TYPE = "http://www.w3.org/2000/09/xmldsig#Manifest";
    private static final String MANIFEST_ID = "liaison-seal-files-";

    private XadesSeal() {}

    /**
     * A seal that verified: the signer, its claimed signing time, the trusted time of its timestamp (B-T), if
     * any, and its baseline level ("B-LT", or "B-B" with validation data when not time-stamped).
     */
    public record Verified(X509Certificate signer, Instant signingTime, Instant timestamped, String level) {}

    /**
     * Decides whether the certificate a seal names may have made it, with the CRLs the seal carries
     * (its RevocationValues); returns it, or throws saying why not.
     */
    @FunctionalInterface
    public interface SignerCheck {
        X509Certificate accept(X509Certificate claimed, List<java.security.cert.X509CRL> revocationValues)
                throws ProtocolException, GeneralSecurityException;
    }

    /**
     * Seals {@code files} (name → bytes, the container's entries but the mimetype) with {@code signer};
     * with {@code tsa}, adds a signature time-stamp.
     */
    public static byte[] seal(Map<String, byte[]> files, Credential signer, Instant now, TimeStamps.Authority tsa,
            List<X509Certificate> certificateValues, List<java.security.cert.X509CRL> revocationValues) throws ProtocolException, IOException {
        if (files.size() > MAX_FILES) {
            throw new IOException("a container seals at most " + MAX_FILES + " files, this one has " + files.size());
        }
        Santuario.init();
        try {
            Document doc = SecureXml.newDocument();
            Element root = doc.createElementNS(ASIC_NS, "asic:XAdESSignatures");
            root.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:asic", ASIC_NS);
            doc.appendChild(root);
            SignatureAlgorithm alg = SignatureAlgorithm.forKey(KeyAlgorithm.of(signer.certificate().getPublicKey()));
            XMLSignature sig = new XMLSignature(doc, "", alg.uri(), 0, SignatureAlgorithm.EXCLUSIVE_C14N,
                    Providers.bouncyCastle(), null);
            sig.setId(SIGNATURE_ID);
            root.appendChild(sig.getElement());
            sig.addResourceResolver(new Entries(files));
            List<String> names = new ArrayList<>(files.keySet());
            List<String> manifests = new ArrayList<>();
            if (names.size() <= MAX_DIRECT) {
                for (String name : names) {
                    sig.addDocument(name, null, SignatureAlgorithm.SHA256);
                }
            } else {
                for (int i = 0; i * MAX_REFERENCES < names.size(); i++) {
                    org.apache.xml.security.signature.Manifest m = new org.apache.xml.security.signature.Manifest(doc);
                    m.setId(MANIFEST_ID + i);
                    m.addResourceResolver(new Entries(files));
                    for (String name : names.subList(i * MAX_REFERENCES, Math.min(names.size(), (i + 1) * MAX_REFERENCES))) {
                        m.addDocument(null, name, null, SignatureAlgorithm.SHA256, null, null);
                    }
                    m.generateDigestValues();
                    ObjectContainer holder = new ObjectContainer(doc);
                    holder.appendChild(m.getElement());
                    sig.appendObject(holder);
                    manifests.add(MANIFEST_ID + i);
                }
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
            for (String id : manifests) {
                Transforms mt = new Transforms(doc);
                mt.addTransform(SignatureAlgorithm.EXCLUSIVE_C14N);
                sig.addDocument("#" + id, mt, SignatureAlgorithm.SHA256, null, MANIFEST_TYPE);
            }
            sig.addKeyInfo(signer.certificate());
            sig.sign(signer.privateKey());
            Element usp = child(child(qp, "UnsignedProperties"), "UnsignedSignatureProperties");
            if (tsa != null) {
                TimeStamps.Verified token = TimeStamps.request(tsa, sha256(c14n(signatureValue(sig.getElement()))));
                Element ts = child(usp, "SignatureTimeStamp");
                Element cm = doc.createElementNS(Formats.DSIG_NS, "ds:CanonicalizationMethod");
                cm.setAttributeNS(null, "Algorithm", SignatureAlgorithm.EXCLUSIVE_C14N);
                ts.appendChild(cm);
                child(ts, "EncapsulatedTimeStamp").setTextContent(Base64.getEncoder().encodeToString(token.token()));
            }
            Element cv = child(usp, "CertificateValues");
            java.util.Set<X509Certificate> certs = new java.util.LinkedHashSet<>(certificateValues);
            for (X509Certificate c : certs) {
                child(cv, "EncapsulatedX509Certificate").setTextContent(Base64.getEncoder().encodeToString(c.getEncoded()));
            }
            Element crlValues = child(child(usp, "RevocationValues"), "CRLValues");
            for (java.security.cert.X509CRL c : revocationValues) {
                child(crlValues, "EncapsulatedCRLValue").setTextContent(Base64.getEncoder().encodeToString(c.getEncoded()));
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
        Santuario.init();
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
        Map<String, String> digests = new java.util.LinkedHashMap<>();
        int signedProperties = 0;
        List<Element> fileRefs = new ArrayList<>();
        Set<String> manifestIds = new HashSet<>();
        for (Element ref : children(signedInfo, Formats.DSIG_NS, "Reference")) {
            String uri = ref.getAttribute("URI");
            if (uri.startsWith("#" + MANIFEST_ID) && MANIFEST_TYPE.equals(ref.getAttribute("Type"))) {
                if (!SignatureAlgorithm.SHA256.equals(first(ref, Formats.DSIG_NS, "DigestMethod").getAttribute("Algorithm"))) {
                    throw new GeneralSecurityException("reference '" + uri + "': digest is not SHA-256");
                }
                List<Element> mts = children(ref, Formats.DSIG_NS, "Transforms");
                List<Element> tt = mts.isEmpty() ? List.of() : children(mts.get(0), Formats.DSIG_NS, "Transform");
                if (tt.size() != 1 || !SignatureAlgorithm.EXCLUSIVE_C14N.equals(tt.get(0).getAttribute("Algorithm"))
                        || !manifestIds.add(uri.substring(1))) {
                    throw new GeneralSecurityException("the Manifest reference '" + uri + "' must be unique with one transform, exclusive C14N");
                }
                continue;
            }
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
            fileRefs.add(ref);
        }
        if (signedProperties != 1) {
            throw new GeneralSecurityException("the seal has " + signedProperties + " SignedProperties references (expected: 1)");
        }
        // The Manifests: each in a ds:Object of this signature, its Id unique in the document and referenced once.
        int manifestsFound = 0;
        for (Element object : children(signature, Formats.DSIG_NS, "Object")) {
            for (Element m : children(object, Formats.DSIG_NS, "Manifest")) {
                if (!manifestIds.contains(m.getAttribute("Id"))) {
                    throw new GeneralSecurityException("a ds:Manifest the SignedInfo does not reference: " + m.getAttribute("Id"));
                }
                manifestsFound++;
                List<Element> refs = children(m, Formats.DSIG_NS, "Reference");
                if (refs.size() > MAX_REFERENCES) {
                    throw new GeneralSecurityException("a ds:Manifest of " + refs.size() + " references (at most " + MAX_REFERENCES + ")");
                }
                fileRefs.addAll(refs);
            }
        }
        if (manifestsFound != manifestIds.size() || doc.getElementsByTagNameNS(Formats.DSIG_NS, "Manifest").getLength() != manifestsFound) {
            throw new GeneralSecurityException("the seal's Manifest references do not each name one ds:Manifest of the seal");
        }
        for (Element ref : fileRefs) {
            String uri = ref.getAttribute("URI");
            if (!SignatureAlgorithm.SHA256.equals(first(ref, Formats.DSIG_NS, "DigestMethod").getAttribute("Algorithm"))) {
                throw new GeneralSecurityException("reference '" + uri + "': digest is not SHA-256");
            }
            if (!children(ref, Formats.DSIG_NS, "Transforms").isEmpty() || ref.hasAttribute("Type") || !files.containsKey(uri)
                    || !referenced.add(uri)) {
                throw new GeneralSecurityException("reference '" + uri + "' does not name one file of the container without a transform");
            }
            digests.put(uri, first(ref, Formats.DSIG_NS, "DigestValue").getTextContent().strip());
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
        // The file named, before the signature: a changed file is reported by name (Santuario checks every digest again below).
        for (Map.Entry<String, String> d : digests.entrySet()) {
            if (!Base64.getEncoder().encodeToString(sha256(files.get(d.getKey()))).equals(d.getValue())) {
                throw new GeneralSecurityException("file '" + d.getKey() + "' was changed after the seal");
            }
        }
        X509Certificate claimed = keyInfoCertificate(signature);
        // B-LT: the validation data inside the seal.
        List<X509Certificate> certificateValues = new ArrayList<>();
        List<java.security.cert.X509CRL> revocationValues = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        NodeList cvs = doc.getElementsByTagNameNS(XADES_NS, "EncapsulatedX509Certificate");
        for (int i = 0; i < cvs.getLength(); i++) {
            certificateValues.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(
                    Base64.getMimeDecoder().decode(cvs.item(i).getTextContent().strip()))));
        }
        NodeList rvs = doc.getElementsByTagNameNS(XADES_NS, "EncapsulatedCRLValue");
        for (int i = 0; i < rvs.getLength(); i++) {
            revocationValues.add((java.security.cert.X509CRL) cf.generateCRL(new ByteArrayInputStream(
                    Base64.getMimeDecoder().decode(rvs.item(i).getTextContent().strip()))));
        }
        if (!certificateValues.contains(claimed)) {
            throw new GeneralSecurityException("not B-LT: the signer's certificate is not in the seal's xades:CertificateValues");
        }
        if (revocationValues.isEmpty()) {
            throw new GeneralSecurityException("not B-LT: the seal carries no CRL in xades:RevocationValues");
        }
        X509Certificate signer = check.accept(claimed, revocationValues);
        Element certDigest = (Element) sp.getElementsByTagNameNS(XADES_NS, "CertDigest").item(0);
        if (certDigest == null || !Base64.getEncoder().encodeToString(sha256(signer.getEncoded()))
                .equals(first(certDigest, Formats.DSIG_NS, "DigestValue").getTextContent().strip())) {
            throw new GeneralSecurityException("SigningCertificateV2 does not name the certificate that signed");
        }
        try {
            XMLSignature sig = new XMLSignature(signature, "", true, Providers.bouncyCastle());
            sig.addResourceResolver(new Entries(files));
            sig.setFollowNestedManifests(!manifestIds.isEmpty());
            if (!sig.checkSignatureValue(signer.getPublicKey())) {
                int n = sig.getSignedInfo().getLength();
                for (int i = 0; i < n; i++) {
                    if (!sig.getSignedInfo().getVerificationResult(i)) {
                        String uri = sig.getSignedInfo().item(i).getURI();
                        throw new GeneralSecurityException(uri.startsWith("#" + MANIFEST_ID)
                                ? "the seal's list of files (ds:Manifest " + uri + ") was changed after the seal"
                                : "file '" + uri + "' was changed after the seal");
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
        return new Verified(signer, signingTime, timestamped, timestamped == null ? "B-B" : "B-LT");
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

    static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
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
