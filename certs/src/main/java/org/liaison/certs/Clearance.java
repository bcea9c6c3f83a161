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

/**
 * A clearance for one kind of protected data, carried like a role: a certificate policy OID in a
 * personal certificate issued by the authority's national CA (see {@link LiaisonOids}). A package
 * marked {@code minor-involved}, {@code victim-data} or {@code witness-protected} opens only for a
 * person whose certificate carries the clearance of each of its marks.
 */
public enum Clearance {
    MINOR_INVOLVED(LiaisonOids.CLEARANCE_MINOR_INVOLVED),
    VICTIM_DATA(LiaisonOids.CLEARANCE_VICTIM_DATA),
    WITNESS_PROTECTED(LiaisonOids.CLEARANCE_WITNESS_PROTECTED);

    private final ASN1ObjectIdentifier policy;

    Clearance(ASN1ObjectIdentifier policy) {
        this.policy = policy;
    }

    public ASN1ObjectIdentifier policy() {
        return policy;
    }

    /** The handling mark's name, as on the command line and in manifests: {@code minor-involved}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Clearance fromId(String id) {
        for (Clearance c : values()) {
            if (c.id().equals(id)) {
                return c;
            }
        }
        throw new IllegalArgumentException("clearance: " + id + " (expected: minor-involved, victim-data, witness-protected)");
    }

    /** The clearances a certificate carries in its certificate-policies extension (a malformed one: none). */
    public static Set<Clearance> of(X509Certificate certificate) {
        Set<Clearance> out = EnumSet.noneOf(Clearance.class);
        byte[] ext = certificate.getExtensionValue(Extension.certificatePolicies.getId());
        if (ext == null) {
            return out;
        }
        try {
            CertificatePolicies policies = CertificatePolicies.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            for (PolicyInformation info : policies.getPolicyInformation()) {
                for (Clearance c : values()) {
                    if (c.policy.equals(info.getPolicyIdentifier())) {
                        out.add(c);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            return EnumSet.noneOf(Clearance.class);
        }
        return out;
    }
}
