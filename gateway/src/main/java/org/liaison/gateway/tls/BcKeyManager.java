package org.liaison.gateway.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import org.bouncycastle.jsse.BCX509ExtendedKeyManager;
import org.bouncycastle.jsse.BCX509Key;
import org.liaison.certs.Credential;
import org.liaison.certs.Providers;

/**
 * {@link SingleKeyManager} for Bouncy Castle's JSSE, which asks for keys by its own key-type names
 * ("Ed25519", "EC/secp256r1", "RSA") and, given an alias by a plain key manager, drops a key whose JCA
 * algorithm name differs from them (Java's Ed25519 keys call themselves "EdDSA"): it would send no client
 * certificate at all. This one answers with the credential under the key type asked for that fits it. Its
 * TLS signer takes Ed25519 keys of Bouncy Castle's provider only: a JDK one is re-read into one, in memory.
 */
final class BcKeyManager extends BCX509ExtendedKeyManager {
    private static final String ALIAS = "me";
    private final Credential credential;
    private final PrivateKey privateKey;
    private final boolean server;

    BcKeyManager(Credential credential, boolean server) {
        this.credential = credential;
        this.server = server;
        this.privateKey = forBc(credential.privateKey());
    }

    private static PrivateKey forBc(PrivateKey k) {
        String alg = k.getAlgorithm().toUpperCase(Locale.ROOT);
        if ((alg.equals("EDDSA") || alg.equals("ED25519")) && !(k instanceof org.bouncycastle.jcajce.interfaces.EdDSAPrivateKey)) {
            try {
                return java.security.KeyFactory.getInstance("Ed25519", Providers.bouncyCastle())
                        .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(k.getEncoded()));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot use this Ed25519 key for TLS: " + e.getMessage(), e);
            }
        }
        return k;
    }

    /** The first of {@code keyTypes} the credential's key is of; null when none. */
    private BCX509Key key(String[] keyTypes) {
        if (keyTypes == null) {
            return null;
        }
        for (String t : keyTypes) {
            if (t != null && fits(t)) {
                return key(t);
            }
        }
        return null;
    }

    private boolean fits(String keyType) {
        String alg = credential.privateKey().getAlgorithm().toUpperCase(Locale.ROOT);
        String t = keyType.toUpperCase(Locale.ROOT);
        if (alg.equals("EDDSA") || alg.equals("ED25519")) {
            return t.equals("ED25519") && credential.chain().get(0).getPublicKey().getEncoded().length == 44;
        }
        if (alg.equals("EC") || alg.equals("ECDSA")) {
            return t.equals("EC") || t.startsWith("EC/");
        }
        if (alg.equals("RSA")) {
            return t.equals("RSA") || t.startsWith("RSA");
        }
        return t.equals(alg);
    }

    private BCX509Key key(String keyType) {
        X509Certificate[] chain = credential.chain().toArray(new X509Certificate[0]);
        PrivateKey k = privateKey;
        return new BCX509Key() {
            @Override
            public X509Certificate[] getCertificateChain() {
                return chain.clone();
            }

            @Override
            public String getKeyType() {
                return keyType;
            }

            @Override
            public PrivateKey getPrivateKey() {
                return k;
            }
        };
    }

    @Override
    public BCX509Key chooseClientKeyBC(String[] keyTypes, Principal[] issuers, Socket socket) {
        return key(keyTypes);
    }

    @Override
    public BCX509Key chooseEngineClientKeyBC(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return key(keyTypes);
    }

    @Override
    public BCX509Key chooseServerKeyBC(String[] keyTypes, Principal[] issuers, Socket socket) {
        return server ? key(keyTypes) : null;
    }

    @Override
    public BCX509Key chooseEngineServerKeyBC(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return server ? key(keyTypes) : null;
    }

    @Override
    protected BCX509Key getKeyBC(String keyType, String alias) {
        return ALIAS.equals(alias) && fits(keyType) ? key(keyType) : null;
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
        return server ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return server ? ALIAS : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return server ? ALIAS : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? credential.chain().toArray(new X509Certificate[0]) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? privateKey : null;
    }
}
