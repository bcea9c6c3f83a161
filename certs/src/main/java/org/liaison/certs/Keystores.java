package org.liaison.certs;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * PKCS#12 keystores holding one credential (alias {@value #ALIAS}). The JDK's PKCS#12 defaults
 * (PBES2 with AES-256 and HmacSHA256) protect the key.
 */
public final class Keystores {
    public static final String ALIAS = "liaison";
    /** The alias of the ML-KEM-768 key and certificate in a {@code pq-hybrid} encryption keystore (beside {@link #ALIAS}, X25519). */
    public static final String KEM_ALIAS = "liaison-mlkem";

    private Keystores() {}

    public static void save(Credential credential, Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ALIAS, pkcs8v1(credential.privateKey()), password,
                credential.chain().toArray(new Certificate[0]));
        if (credential.kemCertificate().isPresent()) {
            List<Certificate> kemChain = new ArrayList<>();
            kemChain.add(credential.kemCertificate().get());
            kemChain.addAll(credential.chain().subList(1, credential.chain().size()));
            // A copy: the JDK clears the encoding of the key it stores, and Bouncy Castle's ML-KEM key hands out its own.
            ks.setKeyEntry(KEM_ALIAS, KeyAlgorithm.seedOnly(credential.kemPrivateKey()), password, kemChain.toArray(new Certificate[0]));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, password);
        SecureFiles.writeAtomically(file, out.toByteArray(), true);
    }

    /**
     * The key as the JDK encodes it: Bouncy Castle writes Ed25519 and X25519 private keys as PKCS#8
     * version 2 (RFC 5958, with the public key), which OpenSSL 3.0's {@code pkcs12} and other
     * common tools cannot read; the JDK's own key objects encode version 1 (RFC 5208), which
     * everything reads. Both versions are read back.
     */
    static java.security.PrivateKey pkcs8v1(java.security.PrivateKey key) throws GeneralSecurityException {
        String alg = key.getAlgorithm();
        if (!alg.equals("Ed25519") && !alg.equals("X25519") && !alg.equals("EdDSA") && !alg.equals("XDH")) {
            return key;
        }
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
        try {
            byte[] v1 = new org.bouncycastle.asn1.pkcs.PrivateKeyInfo(info.getPrivateKeyAlgorithm(), info.parsePrivateKey()).getEncoded();
            String name = info.getPrivateKeyAlgorithm().getAlgorithm().equals(org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519)
                    ? "Ed25519" : "X25519";
            return java.security.KeyFactory.getInstance(name, "SunEC").generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(v1));
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot re-encode the " + alg + " key: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the one key entry of a PKCS#12 file.
     *
     * @throws IOException naming the file when it is missing, damaged or the password is wrong
     * @throws GeneralSecurityException when the key does not match its certificate
     */
    public static Credential load(Path file, char[] password) throws IOException, GeneralSecurityException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("keystore " + file + " does not exist");
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(new ByteArrayInputStream(bytes), password);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IOException("cannot open keystore " + file + ": the password is wrong");
            }
            throw new IOException("cannot open keystore " + file + ": not a PKCS#12 file or damaged (" + e.getMessage() + ")");
        }
        List<String> keyAliases = new ArrayList<>();
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                keyAliases.add(alias);
            }
        }
        // One key, or (a pq-hybrid encryption credential) the X25519 key and the ML-KEM-768 key under KEM_ALIAS.
        boolean hybrid = keyAliases.size() == 2 && keyAliases.contains(KEM_ALIAS);
        if (keyAliases.size() != 1 && !hybrid) {
            throw new IOException("keystore " + file + " holds " + keyAliases.size() + " private keys (expected: exactly 1, or 2 of"
                    + " which one is '" + KEM_ALIAS + "')");
        }
        if (hybrid) {
            Providers.installAsFallback(); // the JDK reads an ML-KEM PKCS#8 key through Bouncy Castle's key factory
        }
        String alias = keyAliases.get(0).equals(KEM_ALIAS) ? keyAliases.get(1) : keyAliases.get(0);
        PrivateKey key = key(ks, alias, file, password);
        List<X509Certificate> certs = chain(ks, alias, file);
        try {
            if (hybrid) {
                List<X509Certificate> kemChain = chain(ks, KEM_ALIAS, file);
                return Credential.hybrid(key, certs, key(ks, KEM_ALIAS, file, password), kemChain.get(0));
            }
            return Credential.create(key, certs);
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("keystore " + file + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey key(KeyStore ks, String alias, Path file, char[] password) throws IOException, GeneralSecurityException {
        Key key;
        try {
            key = ks.getKey(alias, password);
        } catch (UnrecoverableKeyException e) {
            throw new IOException("cannot open the key in " + file + ": the password is wrong");
        }
        if (!(key instanceof PrivateKey)) {
            throw new IOException("keystore " + file + " holds no private key");
        }
        return (PrivateKey) key;
    }

    private static List<X509Certificate> chain(KeyStore ks, String alias, Path file) throws IOException, GeneralSecurityException {
        Certificate[] chain = ks.getCertificateChain(alias);
        if (chain == null || chain.length == 0) {
            throw new IOException("keystore " + file + " has a key without a certificate");
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (Certificate c : chain) {
            certs.add((X509Certificate) c);
        }
        return certs;
    }
}
