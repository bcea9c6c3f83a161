package org.liaison.protocol.directory;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.KemCertificates;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xenc.HybridKem;

/**
 * The hybrid ({@code pq-hybrid}) encryption keys of directory entries: each ML-KEM-768 certificate
 * completes exactly one X25519 encryption certificate of the same entry (see {@link KemCertificates}),
 * and an entry that lists the {@code pq-hybrid} suite seals with a hybrid key. A directory that breaks
 * either rule is refused as a whole (SCHEMA_INVALID), before any sender could seal to half a key.
 */
public final class HybridKeys {
    private HybridKeys() {}

    static void check(FederationDirectory.Entry e) throws ProtocolException {
        for (X509Certificate enc : e.encryptionCertificates()) {
            if (isKem(enc)) {
                throw refuse(e, "an ML-KEM-768 certificate (SHA-256 " + Fingerprint.of(enc).hex()
                        + ") is listed as an EncryptionCertificate; it belongs in KemCertificate, beside its X25519 certificate");
            }
        }
        for (X509Certificate kem : e.kemCertificates()) {
            X509Certificate partner = null;
            for (X509Certificate enc : e.encryptionCertificates()) {
                boolean names;
                try {
                    names = KemCertificates.names(kem, enc);
                } catch (GeneralSecurityException bad) {
                    throw refuse(e, bad.getMessage());
                }
                if (names) {
                    partner = enc;
                    break;
                }
            }
            if (partner == null) {
                throw refuse(e, "its ML-KEM-768 certificate (SHA-256 " + Fingerprint.of(kem).hex()
                        + ") completes none of its encryption certificates (RFC 9763 RelatedCertificate)");
            }
            try {
                KemCertificates.checkPair(partner, kem);
            } catch (GeneralSecurityException bad) {
                throw refuse(e, bad.getMessage());
            }
            for (X509Certificate other : e.kemCertificates()) {
                if (other != kem && Fingerprint.of(other).equals(Fingerprint.of(kem))) {
                    throw refuse(e, "it lists the ML-KEM-768 certificate (SHA-256 " + Fingerprint.of(kem).hex() + ") twice");
                }
                try {
                    if (other != kem && KemCertificates.names(other, partner)) {
                        throw refuse(e, "two ML-KEM-768 certificates complete its encryption certificate (SHA-256 "
                                + Fingerprint.of(partner).hex() + ")");
                    }
                } catch (GeneralSecurityException bad) {
                    throw refuse(e, bad.getMessage());
                }
            }
        }
        if (e.suites().contains(Suite.PQ_HYBRID)) {
            if (e.encryptionCertificates().isEmpty() || e.kemCertificateFor(e.encryptionCertificates().get(0)).isEmpty()) {
                throw refuse(e, "it lists the pq-hybrid suite but its encryption certificate in use (the first) has no ML-KEM-768"
                        + " certificate: list one (KemCertificate) or use a hybrid one first");
            }
        }
    }

    /**
     * The hybrid public key senders seal to for {@code e}: its first encryption certificate's X25519 key
     * with the ML-KEM-768 key that completes it; empty when that certificate has no ML-KEM partner.
     */
    public static java.util.Optional<HybridKem.PublicKey> sealingKey(FederationDirectory.Entry e) throws ProtocolException {
        if (e.encryptionCertificates().isEmpty()) {
            return java.util.Optional.empty();
        }
        X509Certificate enc = e.encryptionCertificates().get(0);
        java.util.Optional<X509Certificate> kem = e.kemCertificateFor(enc);
        if (kem.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(HybridKem.PublicKey.of(enc.getPublicKey(), kem.get().getPublicKey()));
    }

    private static ProtocolException refuse(FederationDirectory.Entry e, String why) {
        return new ProtocolException(ErrorCode.SCHEMA_INVALID, "authority " + e.id() + "'s hybrid encryption key is refused: " + why);
    }

    /** Whether {@code cert} holds an ML-KEM-768 key. */
    static boolean isKem(X509Certificate cert) {
        try {
            return KeyAlgorithm.of(cert.getPublicKey()) == KeyAlgorithm.ML_KEM_768;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
