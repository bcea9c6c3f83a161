package org.liaison.protocol.dsig;

import java.util.EnumSet;
import java.util.Set;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Suite;

/**
 * XML Signature algorithms as a closed enum: a stable id, the XML Security URI, and the suite
 * that allows it. A URI not in this enum is refused before any cryptographic work.
 */
public enum SignatureAlgorithm {
    /** The {@code modern} and {@code pq-hybrid} suites (RFC 9231 identifier). */
    ED25519("http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519", KeyAlgorithm.ED25519, Suite.MODERN),
    /** The {@code rsa} suite: RSASSA-PSS with SHA-256 and MGF1-SHA-256 (RFC 9231 section 2.3.10). */
    RSA_PSS_SHA256("http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1", KeyAlgorithm.RSA_3072, Suite.RSA),
    /**
     * ECDSA P-256 with SHA-256. No suite allows it: it exists so that interop tests can check
     * our signing code path with xmlsec1, which supports it (and neither Ed25519 nor RSA-PSS).
     */
    ECDSA_SHA256("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", KeyAlgorithm.EC_P256, null);

    /** The only canonicalization: exclusive XML C14N without comments. */
    public static final String EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
    public static final String ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
    public static final String SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

    private final String uri;
    private final KeyAlgorithm key;
    private final Suite suite;

    SignatureAlgorithm(String uri, KeyAlgorithm key, Suite suite) {
        this.uri = uri;
        this.key = key;
        this.suite = suite;
    }

    public String uri() {
        return uri;
    }

    public KeyAlgorithm key() {
        return key;
    }

    /** The signature algorithm of a suite. */
    public static SignatureAlgorithm of(Suite suite) {
        for (SignatureAlgorithm a : values()) {
            if (a.suite != null && a.suite.signatureKey() == suite.signatureKey()) { // pq-hybrid signs as modern does
                return a;
            }
        }
        throw new IllegalArgumentException("suite: " + suite);
    }

    /** The algorithm that signs with a key of this type. */
    public static SignatureAlgorithm forKey(KeyAlgorithm key) {
        for (SignatureAlgorithm a : values()) {
            if (a.key == key) {
                return a;
            }
        }
        throw new IllegalArgumentException("no XML signature algorithm for " + key.id() + " keys");
    }

    /** Algorithms that the given suites allow. */
    public static Set<SignatureAlgorithm> allowedBy(Set<Suite> suites) {
        Set<SignatureAlgorithm> out = EnumSet.noneOf(SignatureAlgorithm.class);
        for (SignatureAlgorithm a : values()) {
            if (a.suite != null && suites.stream().anyMatch(s -> s.signatureKey() == a.suite.signatureKey())) {
                out.add(a);
            }
        }
        return out;
    }

    /** Every algorithm some suite allows (never the interop-only ones). */
    public static Set<SignatureAlgorithm> allSuites() {
        return allowedBy(EnumSet.allOf(Suite.class));
    }

    public static SignatureAlgorithm fromUri(String uri) {
        for (SignatureAlgorithm a : values()) {
            if (a.uri.equals(uri)) {
                return a;
            }
        }
        return null;
    }
}
