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
    EC_P256("EC-P256");

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
            default:
                throw new AssertionError(this);
        }
        return kpg.generateKeyPair();
    }

    /** Whether keys of this type can sign (and so can be a CA key). */
    public boolean canSign() {
        return this != X25519;
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
        throw new GeneralSecurityException("unsupported key: " + describe(key)
                + " (expected: Ed25519, X25519, RSA >= 3072 bits or EC P-256)");
    }

    static String describe(PublicKey key) {
        if (key instanceof RSAPublicKey) {
            return "RSA-" + ((RSAPublicKey) key).getModulus().bitLength();
        }
        return key.getAlgorithm();
    }

    public static KeyAlgorithm fromId(String id) {
        for (KeyAlgorithm a : values()) {
            if (a.id.equalsIgnoreCase(id) || a.name().equalsIgnoreCase(id.replace('-', '_'))) {
                return a;
            }
        }
        throw new IllegalArgumentException("key algorithm: " + id + " (expected: Ed25519, X25519, RSA-3072, EC-P256)");
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
