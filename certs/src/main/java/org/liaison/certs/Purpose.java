package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a relying party uses an end-entity certificate for. {@link #check} enforces key usage,
 * extended key usage and, for people, the role policy; a CA certificate never passes.
 */
public enum Purpose {
    TLS_SERVER(List.of("digitalSignature"), KeyUsages.SERVER_AUTH, null),
    TLS_CLIENT(List.of("digitalSignature"), KeyUsages.CLIENT_AUTH, null),
    ENVELOPE_SIGNING(List.of("digitalSignature", "nonRepudiation"), KeyUsages.ENVELOPE_SIGNING, null),
    DIRECTORY_SIGNING(List.of("digitalSignature"), KeyUsages.DIRECTORY_SIGNING, null),
    /** keyAgreement for an X25519 key, keyEncipherment for an RSA key. */
    ENCRYPTION(List.of(), null, null),
    INVESTIGATOR(List.of("digitalSignature"), KeyUsages.CLIENT_AUTH, Role.INVESTIGATOR),
    AUDITOR(List.of("digitalSignature"), KeyUsages.CLIENT_AUTH, Role.AUDITOR),
    OPERATOR(List.of("digitalSignature"), KeyUsages.CLIENT_AUTH, Role.OPERATOR);

    private final List<String> keyUsage;
    private final String extendedKeyUsage;
    private final Role role;

    Purpose(List<String> keyUsage, String extendedKeyUsage, Role role) {
        this.keyUsage = keyUsage;
        this.extendedKeyUsage = extendedKeyUsage;
        this.role = role;
    }

    /**
     * Checks that {@code cert} may be used for this purpose.
     *
     * @throws CertificateRejectedException with reason {@code WRONG_PURPOSE}, naming what is needed and what the
     *     certificate has
     */
    public void check(X509Certificate cert) throws CertificateRejectedException {
        if (cert.getBasicConstraints() >= 0) {
            throw reject(cert, "needs an end-entity certificate, has a CA certificate");
        }
        List<String> neededUsage = keyUsage;
        if (this == ENCRYPTION) {
            KeyAlgorithm key;
            try {
                key = KeyAlgorithm.of(cert.getPublicKey());
            } catch (GeneralSecurityException e) {
                throw reject(cert, "needs an X25519, RSA or ML-KEM-768 encryption key, has " + KeyAlgorithm.describe(cert.getPublicKey()));
            }
            if (key == KeyAlgorithm.X25519) {
                neededUsage = List.of("keyAgreement");
            } else if (key == KeyAlgorithm.RSA_3072) {
                neededUsage = List.of("keyEncipherment");
            } else if (key == KeyAlgorithm.ML_KEM_768) {
                // draft-ietf-lamps-kyber-certificates: keyEncipherment and nothing else.
                List<String> has = KeyUsages.keyUsage(cert);
                if (!has.equals(List.of("keyEncipherment"))) {
                    throw reject(cert, "an ML-KEM-768 key needs key usage keyEncipherment only, has " + KeyUsages.describe(has));
                }
            } else {
                throw reject(cert, "needs an X25519, RSA or ML-KEM-768 encryption key, has " + key.id());
            }
        }
        // Key usage is required to be present: an end-entity certificate without it is refused.
        for (String bit : neededUsage) {
            if (!KeyUsages.hasKeyUsage(cert, bit)) {
                throw reject(cert, "needs key usage " + bit + ", has " + KeyUsages.describe(KeyUsages.keyUsage(cert)));
            }
        }
        if (extendedKeyUsage != null) {
            List<String> ekus = KeyUsages.extendedKeyUsage(cert);
            String needed = KeyUsages.ekuName(extendedKeyUsage);
            if (!ekus.contains(needed)) {
                throw reject(cert, "needs " + needed + ", has " + KeyUsages.describe(ekus));
            }
        }
        if (role != null) {
            Set<Role> roles = Role.of(cert);
            if (!roles.contains(role)) {
                throw reject(cert, "needs role " + role.id() + ", has " + KeyUsages.describeRoles(roles));
            }
        }
    }

    private static CertificateRejectedException reject(X509Certificate cert, String detail) {
        return new CertificateRejectedException(CertificateRejectedException.Reason.WRONG_PURPOSE, cert,
                "wrong purpose: " + detail);
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Purpose fromId(String id) {
        for (Purpose p : values()) {
            if (p.id().equals(id)) {
                return p;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (Purpose p : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(p.id());
        }
        throw new IllegalArgumentException("purpose: " + id + " (expected one of: " + sb + ")");
    }
}
