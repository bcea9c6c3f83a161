package org.liaison.gateway.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.liaison.certs.Credential;

/**
 * A TLS client key manager that offers exactly one credential. The JDK's own would need the key
 * put into a password-protected in-memory keystore and read back (two PBKDF2 runs, a fifth of a
 * CLI command's time) for nothing: the key is in memory already.
 */
public final class SingleKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "me";
    private final Credential credential;

    public SingleKeyManager(Credential credential) {
        this.credential = credential;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? credential.chain().toArray(new X509Certificate[0]) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? credential.privateKey() : null;
    }
}
