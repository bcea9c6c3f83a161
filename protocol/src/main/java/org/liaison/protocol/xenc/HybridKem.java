package org.liaison.protocol.xenc;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.SHA3Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.Formats;

/**
 * The hybrid KEM of the {@code pq-hybrid} suite: X25519 and ML-KEM-768 (FIPS 203), both from
 * Bouncy Castle, combined as X-Wing does (draft-connolly-cfrg-xwing-kem) so that the shared
 * secret stays secret as long as either component holds.
 *
 * <p><b>Combiner.</b> {@code SHA3-256(ss_M || ss_X || ct_M || ct_X || pk_M || pk_X || label)}
 * where {@code ss_M} (32 bytes) is the ML-KEM shared secret, {@code ss_X} (32) the X25519 shared
 * secret, {@code ct_M} (1088) the ML-KEM ciphertext, {@code ct_X} (32) the sender's ephemeral
 * X25519 public key, {@code pk_M} (1184) the recipient's ML-KEM encapsulation key, {@code pk_X}
 * (32) the recipient's X25519 key, and {@code label} the ASCII bytes of {@link #ALGORITHM}. Every
 * input but the label has a fixed length, so the concatenation is unambiguous. This is X-Wing's
 * combiner (same hash, same order, label last) with two differences: the label is in our
 * namespace (so our secrets are never X-Wing's), and {@code ct_M} and {@code pk_M} are hashed
 * too. X-Wing may leave them out only because ML-KEM's own transform binds them; hashing them
 * as well (as the hybrid TLS design's transcript does) makes the bound hold without that
 * argument, at the cost of hashing 2.3 KB per recipient.
 *
 * <p>Keys: a public key is the X25519 key (32 bytes) and the ML-KEM-768 encapsulation key (1184
 * bytes); a private key is the X25519 private key (32 bytes) and the ML-KEM-768 seed {@code d||z}
 * (64 bytes, FIPS 203's compact form, from which the expanded key is derived).
 */
public final class HybridKem {
    /** The algorithm URI of this KEM in XML Encryption; also the combiner's label. */
    public static final String ALGORITHM = Formats.NS + "#kem-x25519-mlkem768";
    public static final int X25519_BYTES = 32;
    public static final int MLKEM_PUBLIC_BYTES = 1184;
    public static final int MLKEM_CIPHERTEXT_BYTES = 1088;
    public static final int MLKEM_SEED_BYTES = 64;
    public static final int SECRET_BYTES = 32;
    private static final MLKEMParameters ML_KEM_768 = MLKEMParameters.ml_kem_768;
    private static final byte[] LABEL = ALGORITHM.getBytes(StandardCharsets.US_ASCII);

    private HybridKem() {}

    /** A recipient's hybrid public key. */
    public static final class PublicKey {
        private final X25519PublicKeyParameters x25519;
        private final MLKEMPublicKeyParameters mlkem;

        private PublicKey(X25519PublicKeyParameters x25519, MLKEMPublicKeyParameters mlkem) {
            this.x25519 = x25519;
            this.mlkem = mlkem;
        }

        /**
         * From the raw X25519 key (32 bytes) and the ML-KEM-768 encapsulation key (1184 bytes);
         * refuses other sizes and an encapsulation key that fails FIPS 203's modulus check.
         */
        public static PublicKey of(byte[] x25519, byte[] mlkem) throws ProtocolException {
            checkSize("X25519 public key", x25519, X25519_BYTES);
            checkSize("ML-KEM-768 encapsulation key", mlkem, MLKEM_PUBLIC_BYTES);
            MLKEMPublicKeyParameters m;
            try {
                // Bouncy Castle runs FIPS 203's modulus check here (7.2: every coefficient below q).
                m = new MLKEMPublicKeyParameters(ML_KEM_768, mlkem);
            } catch (RuntimeException e) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "the ML-KEM-768 encapsulation key is invalid: " + e.getMessage());
            }
            return new PublicKey(new X25519PublicKeyParameters(x25519, 0), m);
        }

        /**
         * From JCA keys (e.g. those of two certificates): an X25519 key and an ML-KEM-768 key, read
         * from their X.509 SubjectPublicKeyInfo encodings; any other kind of key is refused.
         */
        public static PublicKey of(java.security.PublicKey x25519, java.security.PublicKey mlkem) throws ProtocolException {
            AsymmetricKeyParameter x;
            AsymmetricKeyParameter m;
            try {
                x = org.bouncycastle.crypto.util.PublicKeyFactory.createKey(x25519.getEncoded());
                m = org.bouncycastle.crypto.util.PublicKeyFactory.createKey(mlkem.getEncoded());
            } catch (java.io.IOException | RuntimeException e) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "not an X25519 and an ML-KEM-768 public key: " + e.getMessage());
            }
            if (!(x instanceof X25519PublicKeyParameters xp) || !(m instanceof MLKEMPublicKeyParameters mp)
                    || !ML_KEM_768.getName().equals(mp.getParameters().getName())) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "a hybrid public key is an X25519 and an ML-KEM-768 key");
            }
            return of(xp.getEncoded(), mp.getEncoded());
        }

        public byte[] x25519() {
            return x25519.getEncoded();
        }

        public byte[] mlkem() {
            return mlkem.getEncoded();
        }
    }

    /** A recipient's hybrid private key. Never logged, never serialized by this class except through {@link #mlkemSeed()}. */
    public static final class PrivateKey {
        private final X25519PrivateKeyParameters x25519;
        private final MLKEMPrivateKeyParameters mlkem;
        private final PublicKey publicKey;

        private PrivateKey(X25519PrivateKeyParameters x25519, MLKEMPrivateKeyParameters mlkem) {
            this.x25519 = x25519;
            this.mlkem = mlkem;
            this.publicKey = new PublicKey(x25519.generatePublicKey(), mlkem.getPublicKeyParameters());
        }

        /** From the raw X25519 private key (32 bytes) and the ML-KEM-768 seed d||z (64 bytes). */
        public static PrivateKey of(byte[] x25519, byte[] mlkemSeed) throws ProtocolException {
            checkSize("X25519 private key", x25519, X25519_BYTES);
            checkSize("ML-KEM-768 seed", mlkemSeed, MLKEM_SEED_BYTES);
            return new PrivateKey(new X25519PrivateKeyParameters(x25519, 0), new MLKEMPrivateKeyParameters(ML_KEM_768, mlkemSeed));
        }

        /**
         * From JCA keys (PKCS#8): an X25519 key and an ML-KEM-768 key that carries its seed (a key
         * stored in the expanded form only is refused: this class keeps the 64-byte seed).
         */
        public static PrivateKey of(java.security.PrivateKey x25519, java.security.PrivateKey mlkem) throws ProtocolException {
            AsymmetricKeyParameter x;
            AsymmetricKeyParameter m;
            try {
                x = org.bouncycastle.crypto.util.PrivateKeyFactory.createKey(x25519.getEncoded());
                m = org.bouncycastle.crypto.util.PrivateKeyFactory.createKey(mlkem.getEncoded());
            } catch (java.io.IOException | RuntimeException e) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "not an X25519 and an ML-KEM-768 private key");
            }
            if (!(x instanceof X25519PrivateKeyParameters xp) || !(m instanceof MLKEMPrivateKeyParameters mp)
                    || !ML_KEM_768.getName().equals(mp.getParameters().getName())) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "a hybrid private key is an X25519 and an ML-KEM-768 key");
            }
            if (mp.getSeed() == null) {
                throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "the ML-KEM-768 private key carries no seed");
            }
            return of(xp.getEncoded(), mp.getSeed());
        }

        public byte[] x25519() {
            return x25519.getEncoded();
        }

        public byte[] mlkemSeed() {
            return mlkem.getSeed();
        }

        public PublicKey publicKey() {
            return publicKey;
        }
    }

    public record KeyPair(PublicKey publicKey, PrivateKey privateKey) {}

    /** A shared secret and what the recipient needs to recover it. Arrays are the caller's own copies. */
    public record Encapsulation(byte[] secret, byte[] x25519Ciphertext, byte[] mlkemCiphertext) {}

    public static KeyPair generate(SecureRandom random) {
        byte[] seed = new byte[MLKEM_SEED_BYTES];
        random.nextBytes(seed);
        PrivateKey k = new PrivateKey(new X25519PrivateKeyParameters(random), new MLKEMPrivateKeyParameters(ML_KEM_768, seed));
        Arrays.fill(seed, (byte) 0);
        return new KeyPair(k.publicKey(), k);
    }

    /** A fresh shared secret for the holder of {@code recipient}. */
    public static Encapsulation encapsulate(PublicKey recipient, SecureRandom random) throws ProtocolException {
        SecretWithEncapsulation m = new MLKEMGenerator(random).generateEncapsulated(recipient.mlkem);
        X25519PrivateKeyParameters ephemeral = new X25519PrivateKeyParameters(random);
        byte[] ctX = ephemeral.generatePublicKey().getEncoded();
        byte[] ssX = new byte[X25519_BYTES];
        try {
            X25519Agreement a = new X25519Agreement();
            a.init(ephemeral);
            a.calculateAgreement(recipient.x25519, ssX, 0);
        } catch (IllegalStateException e) {
            // BC refuses an all-zero result: the recipient's X25519 key is of small order.
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "the recipient's X25519 key is of small order");
        }
        byte[] ssM = m.getSecret();
        byte[] ctM = m.getEncapsulation();
        byte[] secret = combine(ssM, ssX, ctM, ctX, recipient.mlkem.getEncoded(), recipient.x25519.getEncoded());
        Arrays.fill(ssM, (byte) 0);
        Arrays.fill(ssX, (byte) 0);
        return new Encapsulation(secret, ctX, ctM);
    }

    /**
     * The shared secret for these ciphertexts. Sizes are checked first (SCHEMA_INVALID, before the
     * key is used). A tampered ML-KEM ciphertext gives another secret (FIPS 203's implicit
     * rejection), so a wrong secret shows only when it is used; a small-order X25519 ciphertext is
     * refused with DECRYPTION_FAILED.
     */
    public static byte[] decapsulate(PrivateKey key, byte[] x25519Ciphertext, byte[] mlkemCiphertext) throws ProtocolException {
        checkSize("X25519 ciphertext", x25519Ciphertext, X25519_BYTES);
        checkSize("ML-KEM-768 ciphertext", mlkemCiphertext, MLKEM_CIPHERTEXT_BYTES);
        byte[] ssX = new byte[X25519_BYTES];
        try {
            X25519Agreement a = new X25519Agreement();
            a.init(key.x25519);
            a.calculateAgreement(new X25519PublicKeyParameters(x25519Ciphertext, 0), ssX, 0);
        } catch (IllegalStateException e) {
            throw new ProtocolException(ErrorCode.DECRYPTION_FAILED, "the message cannot be decrypted with this gateway's key");
        }
        byte[] ssM = new MLKEMExtractor(key.mlkem).extractSecret(mlkemCiphertext);
        byte[] secret = combine(ssM, ssX, mlkemCiphertext, x25519Ciphertext, key.publicKey.mlkem.getEncoded(),
                key.publicKey.x25519.getEncoded());
        Arrays.fill(ssM, (byte) 0);
        Arrays.fill(ssX, (byte) 0);
        return secret;
    }

    /** The combiner (see the class comment). */
    static byte[] combine(byte[] ssM, byte[] ssX, byte[] ctM, byte[] ctX, byte[] pkM, byte[] pkX) {
        SHA3Digest d = new SHA3Digest(256);
        for (byte[] part : new byte[][] {ssM, ssX, ctM, ctX, pkM, pkX, LABEL}) {
            d.update(part, 0, part.length);
        }
        byte[] out = new byte[SECRET_BYTES];
        d.doFinal(out, 0);
        return out;
    }

    private static void checkSize(String what, byte[] value, int size) throws ProtocolException {
        if (value == null || value.length != size) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the " + what + " must be " + size + " bytes, got "
                    + (value == null ? "none" : value.length));
        }
    }
}
