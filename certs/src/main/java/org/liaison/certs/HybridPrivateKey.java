package org.liaison.certs;

import java.security.PrivateKey;

/**
 * The private half of a {@code pq-hybrid} encryption credential: the X25519 key and the ML-KEM-768
 * key (seed form), used together or not at all. It travels where an encryption key travels (a node's
 * list of decryption keys), so that code that opens envelopes picks the hybrid unwrap by its type.
 * It has no encoding of its own: each half is stored as its own key (see {@link Keystores}).
 */
public final class HybridPrivateKey implements PrivateKey {
    private static final long serialVersionUID = 1L;
    /** The name of this kind of key (also {@link #getAlgorithm()}). */
    public static final String ALGORITHM = "X25519+ML-KEM-768";

    private final transient PrivateKey x25519;
    private final transient PrivateKey mlkem;

    HybridPrivateKey(PrivateKey x25519, PrivateKey mlkem) {
        this.x25519 = x25519;
        this.mlkem = mlkem;
    }

    /** The X25519 half. Reading it is an explicit capability, as {@link Credential#privateKey()}. */
    public PrivateKey x25519() {
        return x25519;
    }

    /** The ML-KEM-768 half (PKCS#8 in the 64-byte seed form). */
    public PrivateKey mlkem() {
        return mlkem;
    }

    @Override
    public String getAlgorithm() {
        return ALGORITHM;
    }

    /** None: the two halves are encoded, and stored, one by one. */
    @Override
    public String getFormat() {
        return null;
    }

    @Override
    public byte[] getEncoded() {
        return null;
    }

    @Override
    public String toString() {
        return "HybridPrivateKey[" + ALGORITHM + "]"; // never the key material
    }
}
