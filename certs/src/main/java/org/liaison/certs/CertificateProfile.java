package org.liaison.certs;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * What a certificate is issued for: the extensions a CA puts into it. The checks that a
 * relying party makes are {@link Purpose}s; each profile satisfies the purposes it lists.
 */
public enum CertificateProfile {
    /** An intermediate CA below a national or federation CA. */
    INTERMEDIATE_CA(true, KeyUsage.keyCertSign | KeyUsage.cRLSign, List.of(), null, List.of()),
    /** A gateway's TLS certificate: it is a server to its peers and a client when it delivers. */
    GATEWAY_TLS(false, KeyUsage.digitalSignature, List.of(KeyPurposeId.id_kp_serverAuth.toOID(),
            KeyPurposeId.id_kp_clientAuth.toOID()), null, List.of(Purpose.TLS_SERVER, Purpose.TLS_CLIENT)),
    /** A gateway's envelope and receipt signing certificate. */
    ENVELOPE_SIGNING(false, KeyUsage.digitalSignature | KeyUsage.nonRepudiation,
            List.of(LiaisonOids.EKU_ENVELOPE_SIGNING), null, List.of(Purpose.ENVELOPE_SIGNING)),
    /**
     * An authority's encryption certificate (keyAgreement for X25519, keyEncipherment for RSA and for
     * ML-KEM-768, as draft-ietf-lamps-kyber-certificates requires: keyEncipherment only).
     */
    ENCRYPTION(false, 0, List.of(), null, List.of(Purpose.ENCRYPTION)),
    /** The federation operator's directory signing certificate. */
    DIRECTORY_SIGNING(false, KeyUsage.digitalSignature | KeyUsage.nonRepudiation,
            List.of(LiaisonOids.EKU_DIRECTORY_SIGNING), null, List.of(Purpose.DIRECTORY_SIGNING)),
    /** An investigator's personal certificate: TLS client to the local API, signs evidence packages. */
    INVESTIGATOR(false, KeyUsage.digitalSignature | KeyUsage.nonRepudiation,
            List.of(KeyPurposeId.id_kp_clientAuth.toOID()), Role.INVESTIGATOR,
            List.of(Purpose.INVESTIGATOR, Purpose.TLS_CLIENT)),
    /** An auditor's personal certificate. */
    AUDITOR(false, KeyUsage.digitalSignature | KeyUsage.nonRepudiation,
            List.of(KeyPurposeId.id_kp_clientAuth.toOID()), Role.AUDITOR, List.of(Purpose.AUDITOR, Purpose.TLS_CLIENT)),
    /** A node operator's personal certificate. */
    OPERATOR(false, KeyUsage.digitalSignature | KeyUsage.nonRepudiation,
            List.of(KeyPurposeId.id_kp_clientAuth.toOID()), Role.OPERATOR, List.of(Purpose.OPERATOR, Purpose.TLS_CLIENT));

    private final boolean ca;
    private final int keyUsage;
    private final List<ASN1ObjectIdentifier> extendedKeyUsages;
    private final Role role;
    private final List<Purpose> purposes;

    CertificateProfile(boolean ca, int keyUsage, List<ASN1ObjectIdentifier> extendedKeyUsages, Role role,
            List<Purpose> purposes) {
        this.ca = ca;
        this.keyUsage = keyUsage;
        this.extendedKeyUsages = extendedKeyUsages;
        this.role = role;
        this.purposes = purposes;
    }

    public boolean isCa() {
        return ca;
    }

    /** Key usage bits for a key of the given type (encryption depends on the key). */
    int keyUsage(KeyAlgorithm key) {
        if (this == ENCRYPTION) {
            return key == KeyAlgorithm.X25519 ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment;
        }
        return keyUsage;
    }

    List<ASN1ObjectIdentifier> extendedKeyUsages() {
        return extendedKeyUsages;
    }

    public Optional<Role> role() {
        return Optional.ofNullable(role);
    }

    /** The purposes a certificate issued with this profile satisfies. */
    public List<Purpose> purposes() {
        return purposes;
    }

    /** Whether a key of this type may be certified for this profile. */
    public boolean accepts(KeyAlgorithm key) {
        switch (this) {
            case ENCRYPTION:
                return key == KeyAlgorithm.X25519 || key == KeyAlgorithm.RSA_3072 || key == KeyAlgorithm.ML_KEM_768;
            case GATEWAY_TLS:
                return key == KeyAlgorithm.EC_P256 || key == KeyAlgorithm.RSA_3072;
            default:
                return key.canSign();
        }
    }

    /** Command-line id, e.g. {@code gateway-tls}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static CertificateProfile fromId(String id) {
        for (CertificateProfile p : values()) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("profile: " + id + " (expected one of: " + ids() + ")");
    }

    public static String ids() {
        StringBuilder sb = new StringBuilder();
        for (CertificateProfile p : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(p.id());
        }
        return sb.toString();
    }
}
