package org.liaison.certs;

import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.PolicyInformation;

/** The role of a local user, carried as a certificate policy OID (see {@link LiaisonOids}). */
public enum Role {
    INVESTIGATOR(LiaisonOids.ROLE_INVESTIGATOR),
    AUDITOR(LiaisonOids.ROLE_AUDITOR),
    OPERATOR(LiaisonOids.ROLE_OPERATOR);

    private final ASN1ObjectIdentifier policy;

    Role(ASN1ObjectIdentifier policy) {
        this.policy = policy;
    }

    public ASN1ObjectIdentifier policy() {
        return policy;
    }

    /** The lower-case name used on the command line and in JSON. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The roles a certificate carries in its certificate-policies extension (possibly none). */
    public static Set<Role> of(X509Certificate certificate) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        byte[] ext = certificate.getExtensionValue(Extension.certificatePolicies.getId());
        if (ext == null) {
            return roles;
        }
        try {
            CertificatePolicies policies = CertificatePolicies.getInstance(
                    ASN1OctetString.getInstance(ext).getOctets());
            for (PolicyInformation info : policies.getPolicyInformation()) {
                for (Role role : values()) {
                    if (role.policy.equals(info.getPolicyIdentifier())) {
                        roles.add(role);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            // A malformed policies extension grants no role.
            return EnumSet.noneOf(Role.class);
        }
        return roles;
    }

    public static Role fromId(String id) {
        for (Role r : values()) {
            if (r.id().equals(id)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role: " + id + " (expected: investigator, auditor, operator)");
    }
}
