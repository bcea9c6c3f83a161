package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.crypto.KeyAgreement;

/**
 * A private key with its certificate chain (leaf first). Immutable; a key that does not belong to
 * the leaf certificate is refused when the credential is made, not at first use.
 */
public final class Credential {
    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;
    private final PrivateKey kemKey;
    private final X509Certificate kemCertificate;

    private Credential(PrivateKey privateKey, List<X509Certificate> chain, PrivateKey kemKey, X509Certificate kemCertificate) {
        this.privateKey = privateKey;
        this.chain = chain;
        this.kemKey = kemKey;
        this.kemCertificate = kemCertificate;
    }

    /**
     * A {@code pq-hybrid} encryption credential: an X25519 key with its chain, and an ML-KEM-768 key
     * with its certificate, issued by the same CA and bound to the X25519 certificate (see
     * {@link KemCertificates}). Both keys must match their certificates.
     *
     * @throws GeneralSecurityException naming the half that does not match or is not bound
     */
    public static Credential hybrid(PrivateKey x25519, List<X509Certificate> chain, PrivateKey mlkem, X509Certificate kemCertificate)
            throws GeneralSecurityException {
        Credential c = create(x25519, chain);
        KemCertificates.checkPair(c.certificate(), kemCertificate);
        if (!matchesMlKem(mlkem, kemCertificate.getPublicKey())) {
            throw new GeneralSecurityException("the ML-KEM-768 private key does not match its certificate (SHA-256 "
                    + Fingerprint.of(kemCertificate).hex() + ")");
        }
        return new Credential(c.privateKey, c.chain, KeyAlgorithm.seedOnly(mlkem), kemCertificate);
    }

    /**
     * @throws GeneralSecurityException if the chain is empty or the key does not match the leaf certificate
     */
    public static Credential create(PrivateKey privateKey, List<X509Certificate> chain) throws GeneralSecurityException {
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("credential: empty certificate chain (expected: leaf first)");
        }
        if (!matches(privateKey, chain.get(0).getPublicKey())) {
            throw new GeneralSecurityException("the private key does not match its certificate "
                    + chain.get(0).getSubjectX500Principal().getName() + " (SHA-256 "
                    + Fingerprint.of(chain.get(0)).hex() + ")");
        }
        return new Credential(privateKey, List.copyOf(chain), null, null);
    }

    /**
     * The private key. Reading it is an explicit capability: grep for {@code privateKey()} to find
     * every place that touches key material.
     */
    public PrivateKey privateKey() {
        return privateKey;
    }

    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The ML-KEM-768 certificate of a {@code pq-hybrid} encryption credential; empty for every other credential. */
    public java.util.Optional<X509Certificate> kemCertificate() {
        return java.util.Optional.ofNullable(kemCertificate);
    }

    /** The ML-KEM-768 private key of a {@code pq-hybrid} encryption credential, or null (a capability, as {@link #privateKey()}). */
    public PrivateKey kemPrivateKey() {
        return kemKey;
    }

    /**
     * The key that opens what is encrypted to this credential: a {@link HybridPrivateKey} for a
     * {@code pq-hybrid} encryption credential, the private key otherwise.
     */
    public PrivateKey decryptionKey() {
        return kemKey == null ? privateKey : new HybridPrivateKey(privateKey, kemKey);
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public Fingerprint fingerprint() {
        return Fingerprint.of(certificate());
    }

    /** Whether the private key belongs to the public key: proven by use, not by comparing names. */
    static boolean matches(PrivateKey priv, PublicKey pub) throws GeneralSecurityException {
        String alg = priv.getAlgorithm();
        if (priv instanceof RSAPrivateCrtKey && pub instanceof RSAPublicKey) {
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) priv;
            RSAPublicKey p = (RSAPublicKey) pub;
            return k.getModulus().equals(p.getModulus()) && k.getPublicExponent().equals(p.getPublicExponent());
        }
        if ("XDH".equals(alg) || "X25519".equals(alg)) {
            if (!("XDH".equals(pub.getAlgorithm()) || "X25519".equals(pub.getAlgorithm()))) {
                return false;
            }
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("XDH");
            kpg.initialize(NamedParameterSpec.X25519);
            KeyPair eph = kpg.generateKeyPair();
            return MessageDigest.isEqual(agree(priv, eph.getPublic()), agree(eph.getPrivate(), pub));
        }
        String sigAlg;
        if ("EdDSA".equals(alg) || "Ed25519".equals(alg)) {
            sigAlg = "Ed25519";
        } else if ("EC".equals(alg)) {
            sigAlg = "SHA256withECDSA";
        } else {
            throw new GeneralSecurityException("unsupported private key type " + alg);
        }
        if (!pub.getAlgorithm().equals(alg) && !("Ed25519".equals(sigAlg) && pub.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        Signature s = Signature.getInstance(sigAlg);
        s.initSign(priv);
        s.update(challenge);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(sigAlg);
        v.initVerify(pub);
        v.update(challenge);
        return v.verify(sig);
    }

    /** Whether an ML-KEM-768 private key (its seed) derives the public key of the certificate. */
    static boolean matchesMlKem(PrivateKey priv, PublicKey pub) throws GeneralSecurityException {
        if (KeyAlgorithm.of(pub) != KeyAlgorithm.ML_KEM_768) {
            return false;
        }
        try {
            org.bouncycastle.crypto.params.AsymmetricKeyParameter k =
                    org.bouncycastle.crypto.util.PrivateKeyFactory.createKey(KeyAlgorithm.seedOnly(priv).getEncoded());
            org.bouncycastle.crypto.params.AsymmetricKeyParameter p =
                    org.bouncycastle.crypto.util.PublicKeyFactory.createKey(pub.getEncoded());
            if (!(k instanceof org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters mk)
                    || !(p instanceof org.bouncycastle.crypto.params.MLKEMPublicKeyParameters mp)) {
                return false;
            }
            return MessageDigest.isEqual(mk.getPublicKeyParameters().getEncoded(), mp.getEncoded());
        } catch (java.io.IOException | RuntimeException e) {
            throw new GeneralSecurityException("cannot read the ML-KEM-768 key: " + e.getMessage(), e);
        }
    }

    private static byte[] agree(PrivateKey priv, PublicKey pub) throws GeneralSecurityException {
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(priv);
        ka.doPhase(pub, true);
        return ka.generateSecret();
    }
}
