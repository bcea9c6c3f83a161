package org.liaison.gateway.tls;

import io.netty.handler.ssl.OpenSslX509KeyManagerFactory;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.crypto.spec.PBEParameterSpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import org.liaison.certs.Credential;

/**
 * The key manager factory a TLS context offers the node's credential with: what Netty makes itself when given
 * a key and its chain ({@code SslContextBuilder.forServer(key, chain)}) — the JDK's default key manager factory
 * for the JDK's TLS, {@link OpenSslX509KeyManagerFactory} for OpenSSL — over the same in-memory PKCS#12 key
 * store, except for how that store protects the key inside this process: Netty's puts it under the JDK's default
 * password-based encryption (PBKDF2, 10,000 iterations) and the factory reads it back, two PBKDF2 runs per
 * context, three contexts at start, run cold by the interpreter: about a tenth of a node's start-up. The store
 * never leaves memory and its password is a constant (Netty's is empty), so those iterations protect nothing;
 * here the entry is protected with one. The key files on disk keep their own protection (see Keystores).
 */
public final class InMemoryKeys {
    private static final char[] PASSWORD = "in-memory".toCharArray();
    private static final String ALIAS = "key";

    private InMemoryKeys() {}

    /** The factory for a context built with {@code provider}. */
    public static KeyManagerFactory factory(Credential credential, SslProvider provider) throws SSLException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            byte[] salt = new byte[16];
            new SecureRandom().nextBytes(salt);
            ks.setEntry(ALIAS, new KeyStore.PrivateKeyEntry(credential.privateKey(), credential.chain().toArray(new X509Certificate[0])),
                    new KeyStore.PasswordProtection(PASSWORD, "PBEWithHmacSHA256AndAES_256", new PBEParameterSpec(salt, 1)));
            KeyManagerFactory kmf = provider == SslProvider.JDK ? KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm())
                    : new OpenSslX509KeyManagerFactory();
            kmf.init(ks, PASSWORD);
            return kmf;
        } catch (GeneralSecurityException | IOException e) {
            throw new SSLException("cannot offer the TLS key: " + e.getMessage(), e);
        }
    }
}
