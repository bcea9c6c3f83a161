package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.util.Locale;

/**
 * The closed set of key types Liaison generates and accepts.
 *
 * <p>Ed25519, X25519 and EC keys are generated with Bouncy Castle, RSA keys with the JDK: see
 * {@link Providers} for the measurement behind the choice.
 */
public enum KeyAlgorithm {
    /** Signatures in the {@code modern} suite. */
    ED25519("Ed25519"),
    /** Key agreement (ECDH-ES) in the {@code modern} suite. */
    X25519("X25519"),
    /** Signatures (RSA-PSS) and key transport (RSA-OAEP) in the {@code rsa} suite. */
    RSA_3072("RSA-3072"),
    /** TLS keys. */
    EC_P256("EC-P256"),
    /**
     * ML-KEM-768 (FIPS 203) encapsulation keys: the second half of a {@code pq-hybrid} encryption
     * credential. Private keys are kept in FIPS 203's 64-byte seed form (see {@link #seedOnly}).
     */
    ML_KEM_768("ML-KEM-768");

    /** id-alg-ml-kem-768 (NIST CSOR; draft-ietf-lamps-kyber-certificates). */
    public static final String ML_KEM_768_OID = "2.16.840.1.101.3.4.4.2";

    private final String id;

    KeyAlgorithm(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public KeyPair generate() throws GeneralSecurityException {
        KeyPairGenerator kpg;
        switch (this) {
            case ED25519:
                kpg = KeyPairGenerator.getInstance("Ed25519", Providers.bouncyCastle());
                break;
            case X25519:
                kpg = KeyPairGenerator.getInstance("X25519", Providers.bouncyCastle());
                break;
            case RSA_3072:
                kpg = KeyPairGenerator.getInstance("RSA");
                kpg.initialize(3072);
                break;
            case EC_P256:
                kpg = KeyPairGenerator.getInstance("EC", Providers.bouncyCastle());
                kpg.initialize(new ECGenParameterSpec("secp256r1"));
                break;
            case ML_KEM_768:
                kpg = KeyPairGenerator.getInstance("ML-KEM", Providers.bouncyCastle());
                kpg.initialize(org.bouncycastle.jcajce.spec.MLKEMParameterSpec.ml_kem_768);
                java.security.KeyPair kp = kpg.generateKeyPair();
                return new java.security.KeyPair(kp.getPublic(), seedOnly(kp.getPrivate()));
            default:
                throw new AssertionError(this);
        }
        return kpg.generateKeyPair();
    }

    /**
     * An ML-KEM-768 private key re-encoded in the seed form of draft-ietf-lamps-kyber-certificates
     * ({@code seed [0] OCTET STRING (SIZE (64))}): 86 bytes of PKCS#8 instead of 2,498, and the
     * expanded key is derived again, and so checked, whenever it is loaded.
     *
     * @throws GeneralSecurityException when the key is not ML-KEM-768 or carries no seed
     */
    public static java.security.PrivateKey seedOnly(java.security.PrivateKey key) throws GeneralSecurityException {
        try {
            org.bouncycastle.asn1.pkcs.PrivateKeyInfo info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
            if (!ML_KEM_768_OID.equals(info.getPrivateKeyAlgorithm().getAlgorithm().getId())) {
                throw new GeneralSecurityException("not an ML-KEM-768 private key: " + key.getAlgorithm());
            }
            org.bouncycastle.asn1.ASN1Primitive inner = info.parsePrivateKey().toASN1Primitive();
            byte[] seed;
            if (inner instanceof org.bouncycastle.asn1.ASN1TaggedObject t) {
                seed = org.bouncycastle.asn1.ASN1OctetString.getInstance(t, false).getOctets().clone(); // already the seed form
            } else if (inner instanceof org.bouncycastle.asn1.ASN1Sequence both) {
                seed = org.bouncycastle.asn1.ASN1OctetString.getInstance(both.getObjectAt(0)).getOctets().clone();
            } else {
                throw new GeneralSecurityException("the ML-KEM-768 private key carries no seed (expanded form only)");
            }
            if (seed.length != 64) {
                throw new GeneralSecurityException("the ML-KEM-768 seed must be 64 bytes, not " + seed.length);
            }
            byte[] der = new org.bouncycastle.asn1.pkcs.PrivateKeyInfo(info.getPrivateKeyAlgorithm(),
                    new org.bouncycastle.asn1.DERTaggedObject(false, 0, new org.bouncycastle.asn1.DEROctetString(seed))).getEncoded();
            // Only this copy is cleared: the arrays Bouncy Castle returned may be the key's own.
            java.util.Arrays.fill(seed, (byte) 0);
            return java.security.KeyFactory.getInstance("ML-KEM", Providers.bouncyCastle())
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
        } catch (java.io.IOException | IllegalArgumentException | ClassCastException e) {
            throw new GeneralSecurityException("cannot read the ML-KEM-768 private key: " + e.getMessage(), e);
        }
    }

    /** Whether keys of this type can sign (and so can be a CA key). */
    public boolean canSign() {
        return this != X25519 && this != ML_KEM_768;
    }

    /** The JCA (Bouncy Castle naming) signature algorithm used when a key of this type signs certificates and CRLs. */
    String certificateSignatureAlgorithm() {
        switch (this) {
            case ED25519:
                return "Ed25519";
            case RSA_3072:
                return "SHA256withRSAandMGF1";
            case EC_P256:
                return "SHA256withECDSA";
            default:
                throw new IllegalArgumentException(id + " keys cannot sign");
        }
    }

    /** The algorithm of a public key, or an exception naming what was found. */
    public static KeyAlgorithm of(PublicKey key) throws GeneralSecurityException {
        if (key instanceof EdECPublicKey && "Ed25519".equalsIgnoreCase(((EdECPublicKey) key).getParams().getName())) {
            return ED25519;
        }
        if (key instanceof XECPublicKey && key.getAlgorithm() != null
                && ((XECPublicKey) key).getParams() instanceof NamedParameterSpec
                && "X25519".equalsIgnoreCase(((NamedParameterSpec) ((XECPublicKey) key).getParams()).getName())) {
            return X25519;
        }
        if (key instanceof RSAPublicKey && ((RSAPublicKey) key).getModulus().bitLength() >= 3072) {
            return RSA_3072;
        }
        if (key instanceof ECPublicKey && ((ECPublicKey) key).getParams().getCurve().getField().getFieldSize() == 256) {
            return EC_P256;
        }
        if (ML_KEM_768_OID.equals(spkiAlgorithm(key))) {
            return ML_KEM_768;
        }
        throw new GeneralSecurityException("unsupported key: " + describe(key)
                + " (expected: Ed25519, X25519, RSA >= 3072 bits, EC P-256 or ML-KEM-768)");
    }

    static String describe(PublicKey key) {
        if (key instanceof RSAPublicKey) {
            return "RSA-" + ((RSAPublicKey) key).getModulus().bitLength();
        }
        if (ML_KEM_768_OID.equals(spkiAlgorithm(key))) {
            return "ML-KEM-768";
        }
        return key.getAlgorithm();
    }

    /**
     * The algorithm OID of a key's SubjectPublicKeyInfo, or null. The JDK 17 certificate parser gives
     * keys it does not know (ML-KEM) as an opaque X.509 key named by its OID: the encoding is what counts.
     */
    private static String spkiAlgorithm(PublicKey key) {
        byte[] der = key.getEncoded();
        if (der == null || !"X.509".equals(key.getFormat())) {
            return null;
        }
        try {
            return org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(der).getAlgorithm().getAlgorithm().getId();
        } catch (RuntimeException e) {
            return null;
        }
    }

    public static KeyAlgorithm fromId(String id) {
        for (KeyAlgorithm a : values()) {
            if (a.id.equalsIgnoreCase(id) || a.name().equalsIgnoreCase(id.replace('-', '_'))) {
                return a;
            }
        }
        throw new IllegalArgumentException("key algorithm: " + id + " (expected: Ed25519, X25519, RSA-3072, EC-P256, ML-KEM-768)");
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
