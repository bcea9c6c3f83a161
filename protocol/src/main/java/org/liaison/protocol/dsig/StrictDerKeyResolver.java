package org.liaison.protocol.dsig;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import javax.crypto.SecretKey;
import org.apache.xml.security.keys.keyresolver.KeyResolverSpi;
import org.apache.xml.security.keys.storage.StorageResolver;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.w3c.dom.Element;

/**
 * Resolves a {@code dsig11:DEREncodedKeyValue} (an X.509 SubjectPublicKeyInfo) with the key
 * factory its algorithm OID names, and nothing else.
 *
 * <p>Why: Santuario's own resolver tries key factories in a fixed order (RSA, DSA, EC, DH, XDH,
 * …) and keeps the first that accepts the bytes. The JDK's DSA factory does not check the OID,
 * so an X25519 key whose 32 bytes happen to start like a DER INTEGER (about 1 ephemeral key in
 * 2,500) comes back as a "DSA" key and the key agreement fails. That made about one JIT message in
 * a thousand undecryptable by one of its recipients. Registered first, this resolver answers for
 * every DEREncodedKeyValue; an OID outside the list resolves to no key at all.
 */
final class StrictDerKeyResolver extends KeyResolverSpi {
    private static final String DSIG11_NS = "http://www.w3.org/2009/xmldsig11#";
    private static final Map<String, String> FACTORY_BY_OID = Map.of(
            "1.3.101.110", "X25519",
            "1.3.101.112", "Ed25519",
            "1.2.840.113549.1.1.1", "RSA",
            "1.2.840.10045.2.1", "EC");

    @Override
    protected boolean engineCanResolve(Element element, String baseURI, StorageResolver storage) {
        return DSIG11_NS.equals(element.getNamespaceURI()) && "DEREncodedKeyValue".equals(element.getLocalName());
    }

    @Override
    protected PublicKey engineResolvePublicKey(Element element, String baseURI, StorageResolver storage, boolean secureValidation) {
        try {
            byte[] der = Base64.getMimeDecoder().decode(element.getTextContent().strip());
            String oid = SubjectPublicKeyInfo.getInstance(der).getAlgorithm().getAlgorithm().getId();
            String factory = FACTORY_BY_OID.get(oid);
            return factory == null ? null : KeyFactory.getInstance(factory).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null; // not a key we accept: the operation that needed it fails
        }
    }

    @Override
    protected X509Certificate engineResolveX509Certificate(Element e, String baseURI, StorageResolver s, boolean secure) {
        return null;
    }

    @Override
    protected SecretKey engineResolveSecretKey(Element e, String baseURI, StorageResolver s, boolean secure) {
        return null;
    }

    @Override
    protected PrivateKey engineResolvePrivateKey(Element e, String baseURI, StorageResolver s, boolean secure) {
        return null;
    }
}
