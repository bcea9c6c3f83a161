package org.liaison.certs;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/** Names for key-usage bits and extended key usages, as people read them in errors and `inspect`. */
final class KeyUsages {
    /** RFC 5280 KeyUsage bit names, in bit order (index = bit number, as {@link X509Certificate#getKeyUsage()}). */
    static final List<String> BIT_NAMES = List.of("digitalSignature", "nonRepudiation", "keyEncipherment",
            "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly");

    static final String SERVER_AUTH = KeyPurposeId.id_kp_serverAuth.getId();
    static final String CLIENT_AUTH = KeyPurposeId.id_kp_clientAuth.getId();
    static final String ENVELOPE_SIGNING = LiaisonOids.EKU_ENVELOPE_SIGNING.getId();
    static final String DIRECTORY_SIGNING = LiaisonOids.EKU_DIRECTORY_SIGNING.getId();

    private KeyUsages() {}

    /** Names of the key-usage bits set, or an empty list when the extension is absent. */
    static List<String> keyUsage(X509Certificate cert) {
        boolean[] bits = cert.getKeyUsage();
        List<String> names = new ArrayList<>();
        if (bits != null) {
            for (int i = 0; i < bits.length && i < BIT_NAMES.size(); i++) {
                if (bits[i]) {
                    names.add(BIT_NAMES.get(i));
                }
            }
        }
        return names;
    }

    static boolean hasKeyUsage(X509Certificate cert, String name) {
        boolean[] bits = cert.getKeyUsage();
        int i = BIT_NAMES.indexOf(name);
        return bits != null && i < bits.length && bits[i];
    }

    /** Extended key usages by readable name (OIDs that have no name stay numeric); empty when absent or malformed. */
    static List<String> extendedKeyUsage(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            List<String> oids = cert.getExtendedKeyUsage();
            if (oids != null) {
                for (String oid : oids) {
                    names.add(ekuName(oid));
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return names;
    }

    static String ekuName(String oid) {
        if (oid.equals(SERVER_AUTH)) {
            return "serverAuth";
        } else if (oid.equals(CLIENT_AUTH)) {
            return "clientAuth";
        } else if (oid.equals(ENVELOPE_SIGNING)) {
            return "envelopeSigning";
        } else if (oid.equals(DIRECTORY_SIGNING)) {
            return "directorySigning";
        }
        return oid;
    }

    static String describe(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    static String describeRoles(Set<Role> roles) {
        if (roles.isEmpty()) {
            return "none";
        }
        List<String> ids = new ArrayList<>();
        roles.forEach(r -> ids.add(r.id()));
        return String.join(", ", ids);
    }
}
