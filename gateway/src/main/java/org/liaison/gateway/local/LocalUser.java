package org.liaison.gateway.local;

import java.security.cert.X509Certificate;
import java.util.Set;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Role;

/** A person on the local API: their validated certificate and the roles it carries. */
public record LocalUser(X509Certificate certificate, Set<Role> roles) {
    public String name() {
        return certificate.getSubjectX500Principal().getName();
    }

    public String actor() {
        return "SHA256:" + Fingerprint.of(certificate).hex();
    }
}
