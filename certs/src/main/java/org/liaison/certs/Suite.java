package org.liaison.certs;

/**
 * The crypto suites of a federation: a closed allow-list with one named default.
 * The suite decides which key types an authority's signing and encryption credentials have.
 */
public enum Suite {
    /** Ed25519 signatures, X25519 key agreement, AES-256-GCM. The default. */
    MODERN("modern", KeyAlgorithm.ED25519, KeyAlgorithm.X25519),
    /** RSA-PSS-SHA256 (3072-bit) signatures, RSA-OAEP-SHA256 key transport, AES-256-GCM. */
    RSA("rsa", KeyAlgorithm.RSA_3072, KeyAlgorithm.RSA_3072),
    /**
     * As {@code modern}, and each content key is also protected by ML-KEM-768: the encryption
     * credential is an X25519 certificate plus an ML-KEM-768 certificate bound to it (see
     * {@link KemCertificates}), and the content key is wrapped with the X25519 + ML-KEM-768 hybrid KEM.
     * Signatures stay Ed25519.
     */
    PQ_HYBRID("pq-hybrid", KeyAlgorithm.ED25519, KeyAlgorithm.X25519, KeyAlgorithm.ML_KEM_768);

    public static final Suite DEFAULT = MODERN;

    private final String id;
    private final KeyAlgorithm signatureKey;
    private final KeyAlgorithm encryptionKey;
    private final KeyAlgorithm kemKey;

    Suite(String id, KeyAlgorithm signatureKey, KeyAlgorithm encryptionKey) {
        this(id, signatureKey, encryptionKey, null);
    }

    Suite(String id, KeyAlgorithm signatureKey, KeyAlgorithm encryptionKey, KeyAlgorithm kemKey) {
        this.id = id;
        this.signatureKey = signatureKey;
        this.encryptionKey = encryptionKey;
        this.kemKey = kemKey;
    }

    public String id() {
        return id;
    }

    /** Key type of CAs, envelope-, directory- and personal signing keys in this suite. */
    public KeyAlgorithm signatureKey() {
        return signatureKey;
    }

    /** Key type of encryption credentials in this suite. */
    public KeyAlgorithm encryptionKey() {
        return encryptionKey;
    }

    /**
     * The post-quantum KEM key an encryption credential of this suite carries beside its
     * {@link #encryptionKey()} (in a second certificate), if any.
     */
    public java.util.Optional<KeyAlgorithm> kemKey() {
        return java.util.Optional.ofNullable(kemKey);
    }

    /** The key type a certificate of {@code profile} gets in this suite (TLS keys are always ECDSA P-256). */
    public KeyAlgorithm keyFor(CertificateProfile profile) {
        switch (profile) {
            case GATEWAY_TLS:
                return KeyAlgorithm.EC_P256;
            case ENCRYPTION:
                return encryptionKey;
            default:
                return signatureKey;
        }
    }

    /** The suite whose CAs and signers have keys of this type (the first listed: {@code modern} for Ed25519). */
    public static Suite ofSignatureKey(KeyAlgorithm key) {
        for (Suite s : values()) {
            if (s.signatureKey == key) {
                return s;
            }
        }
        throw new IllegalArgumentException("no suite signs with " + key.id() + " keys");
    }

    public static Suite fromId(String id) {
        for (Suite s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("suite: " + id + " (expected: modern, rsa, pq-hybrid)");
    }

    @Override
    public String toString() {
        return id;
    }
}
