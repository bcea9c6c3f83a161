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

    private Credential(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = privateKey;
        this.chain = chain;
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
        return new Credential(privateKey, List.copyOf(chain));
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

    private static byte[] agree(PrivateKey priv, PublicKey pub) throws GeneralSecurityException {
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(priv);
        ka.doPhase(pub, true);
        return ka.generateSecret();
    }
}
