package org.liaison.gateway.local;

import java.security.cert.X509Certificate;
import java.util.Set;
import org.liaison.certs.Clearance;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Role;

/** A person on the local API: their validated certificate and the roles it carries. */
public record LocalUser(X509Certificate certificate, Set<Role> roles, Set<Clearance> clearances) {
    public LocalUser(X509Certificate certificate, Set<Role> roles) {
        this(certificate, roles, Clearance.of(certificate));
    }

    /** The clearances the protection marks among {@code marks} need that this person does not hold (empty: may open). */
    public java.util.List<String> missingClearances(java.util.Collection<String> marks) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (Clearance c : Clearance.values()) {
            if (marks.contains(c.id()) && !clearances.contains(c)) {
                missing.add(c.id());
            }
        }
        return missing;
    }

    public String name() {
        return certificate.getSubjectX500Principal().getName();
    }

    public String actor() {
        return "SHA256:" + Fingerprint.of(certificate).hex();
    }
}
