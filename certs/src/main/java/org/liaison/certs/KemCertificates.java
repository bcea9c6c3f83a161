package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.RelatedCertificate;

/**
 * How a {@code pq-hybrid} encryption credential's two certificates belong together.
 *
 * <p>The credential is an X25519 certificate (as in {@code modern}) and an ML-KEM-768 certificate
 * (RFC 9935, formerly draft-ietf-lamps-kyber-certificates: id-alg-ml-kem-768, keyEncipherment only),
 * issued by the same CA to the same subject. The ML-KEM certificate carries an RFC 9763
 * RelatedCertificate extension: the SHA-256 of the X25519 certificate's DER. So the binding is signed
 * by the CA, and a directory or keystore that pairs an ML-KEM key with another authority's (or an
 * older) X25519 key is refused whatever order it lists them in.
 *
 * <p>Why two certificates, not one composite: ML-KEM in X.509 is a published standard that Bouncy
 * Castle and the JDK read; composite ML-KEM (draft-ietf-lamps-pq-composite-kem) is still a draft
 * whose OIDs and combiner are not final and differ from this suite's KEM (the certificate would
 * name an algorithm we do not run). Two certificates also leave the X25519 one readable by every
 * tool and by nodes that only know {@code modern}, and let an ML-DSA signing certificate be added
 * the same way later.
 */
public final class KemCertificates {
    private KemCertificates() {}

    /** The RFC 9763 extension value that names {@code related} (SHA-256 of its DER). */
    static RelatedCertificate relatedCertificate(X509Certificate related) throws GeneralSecurityException {
        return new RelatedCertificate(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256),
                new DEROctetString(MessageDigest.getInstance("SHA-256").digest(related.getEncoded())));
    }

    /**
     * Checks that {@code kem} (an ML-KEM-768 certificate) completes {@code encryption} (an X25519
     * certificate): same issuer, same subject, and a RelatedCertificate extension naming it by SHA-256.
     *
     * @throws GeneralSecurityException naming what does not match
     */
    public static void checkPair(X509Certificate encryption, X509Certificate kem) throws GeneralSecurityException {
        KeyAlgorithm e = KeyAlgorithm.of(encryption.getPublicKey());
        if (e != KeyAlgorithm.X25519) {
            throw new GeneralSecurityException("the classical half of a hybrid encryption key must be X25519, not " + e.id());
        }
        KeyAlgorithm k = KeyAlgorithm.of(kem.getPublicKey());
        if (k != KeyAlgorithm.ML_KEM_768) {
            throw new GeneralSecurityException("the post-quantum half of a hybrid encryption key must be ML-KEM-768, not " + k.id());
        }
        if (!encryption.getIssuerX500Principal().equals(kem.getIssuerX500Principal())
                || !encryption.getSubjectX500Principal().equals(kem.getSubjectX500Principal())) {
            throw new GeneralSecurityException("the ML-KEM-768 certificate (SHA-256 " + Fingerprint.of(kem).hex()
                    + ") has another subject or issuer than the X25519 certificate (SHA-256 " + Fingerprint.of(encryption).hex() + ")");
        }
        if (!names(kem, encryption)) {
            throw new GeneralSecurityException("the ML-KEM-768 certificate (SHA-256 " + Fingerprint.of(kem).hex()
                    + ") does not name the X25519 certificate (SHA-256 " + Fingerprint.of(encryption).hex()
                    + ") in its RelatedCertificate extension");
        }
    }

    /** Whether {@code kem}'s RelatedCertificate extension names {@code other} (SHA-256 of its DER); false when it has none. */
    public static boolean names(X509Certificate kem, X509Certificate other) throws GeneralSecurityException {
        byte[] ext = kem.getExtensionValue(Extension.relatedCertificate.getId());
        if (ext == null) {
            return false;
        }
        RelatedCertificate r;
        try {
            r = RelatedCertificate.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        } catch (RuntimeException bad) {
            throw new GeneralSecurityException("the ML-KEM-768 certificate (SHA-256 " + Fingerprint.of(kem).hex()
                    + ") has a RelatedCertificate extension that cannot be read");
        }
        if (!NISTObjectIdentifiers.id_sha256.equals(r.getHashAlgorithm().getAlgorithm())) {
            throw new GeneralSecurityException("RelatedCertificate hash " + r.getHashAlgorithm().getAlgorithm().getId()
                    + " is not allowed (expected: SHA-256)");
        }
        return MessageDigest.isEqual(r.getHashValue().getOctets(), MessageDigest.getInstance("SHA-256").digest(other.getEncoded()));
    }
}
