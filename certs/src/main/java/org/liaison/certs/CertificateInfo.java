package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a person needs to know about a certificate, for {@code liaison certs inspect} (text and JSON). */
public record CertificateInfo(String subject, String issuer, String serial, String notBefore, String notAfter, String key,
        boolean ca, String pathLength, List<String> keyUsage, List<String> extendedKeyUsage, List<String> roles,
        List<String> subjectAltNames, String sha256, String spkiSha256, List<String> clearances) {

    public static CertificateInfo of(X509Certificate c) {
        String key;
        try {
            key = KeyAlgorithm.of(c.getPublicKey()).id();
        } catch (GeneralSecurityException e) {
            key = KeyAlgorithm.describe(c.getPublicKey()) + " (not accepted by Liaison)";
        }
        int bc = c.getBasicConstraints();
        List<String> roles = new ArrayList<>();
        Role.of(c).forEach(r -> roles.add(r.id()));
        List<String> sans = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    Object type = san.get(0);
                    sans.add((Integer.valueOf(2).equals(type) ? "DNS:" : Integer.valueOf(7).equals(type) ? "IP:" : type + ":")
                            + san.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            sans.add("(malformed)");
        }
        return new CertificateInfo(c.getSubjectX500Principal().getName(), c.getIssuerX500Principal().getName(),
                c.getSerialNumber().toString(16), c.getNotBefore().toInstant().toString(),
                c.getNotAfter().toInstant().toString(), key, bc >= 0,
                bc < 0 ? null : bc == Integer.MAX_VALUE ? "unlimited" : Integer.toString(bc), KeyUsages.keyUsage(c),
                KeyUsages.extendedKeyUsage(c), roles, sans, Fingerprint.of(c).hex(), Fingerprint.ofSpki(c).hex(),
                Clearance.of(c).stream().map(Clearance::id).toList());
    }

    /** Ordered field names and values, for rendering as text or JSON. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subject", subject);
        m.put("issuer", issuer);
        m.put("serial", serial);
        m.put("notBefore", notBefore);
        m.put("notAfter", notAfter);
        m.put("key", key);
        m.put("ca", ca);
        if (ca) {
            m.put("pathLength", pathLength);
        }
        m.put("keyUsage", keyUsage);
        m.put("extendedKeyUsage", extendedKeyUsage);
        m.put("roles", roles);
        if (!clearances.isEmpty()) {
            m.put("clearances", clearances);
        }
        m.put("subjectAltNames", subjectAltNames);
        m.put("sha256", sha256);
        m.put("spkiSha256", spkiSha256);
        return m;
    }
}
