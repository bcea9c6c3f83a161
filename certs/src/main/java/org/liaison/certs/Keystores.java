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

    private Keystores() {}

    public static void save(Credential credential, Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(ALIAS, credential.privateKey(), password,
                credential.chain().toArray(new Certificate[0]));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, password);
        SecureFiles.writeAtomically(file, out.toByteArray(), true);
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
        if (keyAliases.size() != 1) {
            throw new IOException("keystore " + file + " holds " + keyAliases.size() + " private keys (expected: exactly 1)");
        }
        String alias = keyAliases.get(0);
        Key key;
        try {
            key = ks.getKey(alias, password);
        } catch (UnrecoverableKeyException e) {
            throw new IOException("cannot open the key in " + file + ": the password is wrong");
        }
        if (!(key instanceof PrivateKey)) {
            throw new IOException("keystore " + file + " holds no private key");
        }
        Certificate[] chain = ks.getCertificateChain(alias);
        if (chain == null || chain.length == 0) {
            throw new IOException("keystore " + file + " has a key without a certificate");
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (Certificate c : chain) {
            certs.add((X509Certificate) c);
        }
        try {
            return Credential.create((PrivateKey) key, certs);
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException("keystore " + file + ": " + e.getMessage(), e);
        }
    }
}
