package org.liaison.gateway.tls;

import java.security.Provider;
import java.util.List;
import javax.net.ssl.SSLEngine;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.protocol.directory.DirectoryDrafts;
import org.liaison.protocol.directory.FederationDirectory;

/**
 * Hybrid (post-quantum) TLS 1.3 key exchange: the X25519MLKEM768 group (X25519 and ML-KEM-768 together,
 * draft-ietf-tls-ecdhe-mlkem), for gateways whose directory entries announce it ({@code <TlsGroup>}).
 *
 * <p>The peer API does it with BoringSSL (the {@code openssl} provider), whose groups are set per
 * connection ({@code SSL_set1_groups_list}) from the directory in force when the connection opens: a
 * node that announces the group offers it first (as a client) and prefers it (as a server), and offers
 * the classical groups after it, for peers that do not announce it. The local API, whose server and
 * clients use Java's TLS (Ed25519 personal certificates), does it with Bouncy Castle's JSSE provider.
 * Under the {@code jdk} provider the peer API cannot offer the group (Java 17's TLS has no ML-KEM): a
 * node that announces it refuses to start with that provider.
 */
public final class HybridTls {
    /** The hybrid group, by its IANA name (the same in BoringSSL and Bouncy Castle). */
    public static final String X25519MLKEM768 = DirectoryDrafts.HYBRID_TLS_GROUP;
    /** The groups a directory entry may announce. */
    public static final List<String> GROUPS = List.of(X25519MLKEM768);
    /** BoringSSL's names: the hybrid group first, then the classical ones (BoringSSL's default, in its order). */
    static final String[] OPENSSL_HYBRID = {X25519MLKEM768, "X25519", "P-256", "P-384"};
    static final String[] OPENSSL_CLASSICAL = {"X25519", "P-256", "P-384"};
    /** Bouncy Castle's names, in the same order. */
    static final String[] BC_HYBRID = {X25519MLKEM768, "x25519", "secp256r1", "secp384r1"};
    /** Where the group of a handshake cannot be read (an engine of another provider). */
    public static final String UNKNOWN = "unknown";

    private HybridTls() {}

    /** Whether {@code id}'s entry in {@code directory} announces the hybrid group (false when it has no entry). */
    public static boolean announces(FederationDirectory directory, AuthorityId id) {
        return directory.authority(id).map(e -> e.announcesTlsGroup(X25519MLKEM768)).orElse(false);
    }

    /**
     * Sets the groups {@code engine} offers (a client) or accepts, in order of preference (a server),
     * before its handshake: the hybrid group first when {@code hybrid}, the classical ones only otherwise.
     * Returns false (and changes nothing) for an engine that is not BoringSSL's.
     */
    public static boolean offer(SSLEngine engine, boolean hybrid) {
        if (!(engine instanceof io.netty.handler.ssl.ReferenceCountedOpenSslEngine)) {
            return false;
        }
        io.netty.handler.ssl.ReferenceCountedOpenSslEngine e = (io.netty.handler.ssl.ReferenceCountedOpenSslEngine) engine;
        synchronized (e) {
            long ssl = e.sslPointer();
            if (ssl == 0) {
                return false; // already freed (the connection closed)
            }
            if (!io.netty.internal.tcnative.SSL.setCurvesList(ssl, hybrid ? OPENSSL_HYBRID : OPENSSL_CLASSICAL)) {
                throw new IllegalStateException("BoringSSL refused the TLS groups " + String.join(":",
                        hybrid ? OPENSSL_HYBRID : OPENSSL_CLASSICAL));
            }
        }
        return true;
    }

    /** The key-exchange group {@code engine}'s handshake negotiated (e.g. X25519MLKEM768, X25519), or {@link #UNKNOWN}. */
    public static String group(SSLEngine engine) {
        if (engine instanceof io.netty.handler.ssl.ReferenceCountedOpenSslEngine) {
            io.netty.handler.ssl.ReferenceCountedOpenSslEngine e = (io.netty.handler.ssl.ReferenceCountedOpenSslEngine) engine;
            synchronized (e) {
                long ssl = e.sslPointer();
                if (ssl == 0) {
                    return UNKNOWN;
                }
                try {
                    String g = io.netty.internal.tcnative.SSL.getGroupName(ssl);
                    return g == null ? UNKNOWN : g;
                } catch (Exception | UnsatisfiedLinkError x) {
                    return UNKNOWN;
                }
            }
        }
        return BcGroups.group(engine);
    }

    /** Bouncy Castle's JSSE provider (an object, not installed in the JVM), its crypto Bouncy Castle's. */
    public static Provider bcjsse() {
        return BcGroups.provider();
    }

    /** Sets a Bouncy Castle engine or socket to offer (client) and prefer (server) the hybrid group; false for others. */
    public static boolean offerBc(Object engineOrSocket) {
        return BcGroups.configure(engineOrSocket);
    }

    /** A key manager presenting {@code credential} under Bouncy Castle's JSSE (as a server too when {@code server}). */
    public static javax.net.ssl.KeyManager bcKeyManager(Credential credential, boolean server) {
        return new BcKeyManager(credential, server);
    }

    /** A client context of Bouncy Castle's JSSE (TLS 1.3) whose engines and sockets offer the hybrid group first. */
    public static javax.net.ssl.SSLContext hybridClientContext(javax.net.ssl.KeyManager[] keys, javax.net.ssl.TrustManager[] trust)
            throws java.security.GeneralSecurityException {
        return BcGroups.context(keys, trust);
    }

    /** The group of a socket's handshake (Bouncy Castle's sockets), or {@link #UNKNOWN}. */
    public static String group(java.net.Socket socket) {
        return BcGroups.group(socket);
    }

    /**
     * Refuses a node whose entry announces the hybrid group while its peer API runs on the JDK's TLS, which cannot
     * offer it (Java 17 has no ML-KEM in TLS): its peers would refuse every connection with it.
     */
    public static void requireProvider(FederationDirectory directory, AuthorityId me, io.netty.handler.ssl.SslProvider provider) {
        if (provider != io.netty.handler.ssl.SslProvider.OPENSSL && announces(directory, me)) {
            throw new IllegalStateException("directory #" + directory.sequence() + " announces " + X25519MLKEM768 + " for " + me
                    + ", but this node's peer API uses the JDK's TLS (tlsProvider: jdk, or netty-tcnative cannot load here), which"
                    + " cannot offer it: use tlsProvider: openssl, or withdraw the announcement with 'liaison directory edit"
                    + " --remove tls-group=" + X25519MLKEM768 + "'");
        }
    }

    /** {@code make}, called once, on first use (a context few nodes need is not built at every start). */
    public static <T> java.util.function.Supplier<T> lazily(Maker<T> make) {
        return new java.util.function.Supplier<T>() {
            private T made;

            @Override
            public synchronized T get() {
                if (made == null) {
                    try {
                        made = make.make();
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
                    }
                }
                return made;
            }
        };
    }

    /** Makes something that may fail. */
    public interface Maker<T> {
        T make() throws Exception;
    }

    /** Whether the group {@code name} (as {@link #group} returns it) is the hybrid one. */
    public static boolean isHybrid(String name) {
        return X25519MLKEM768.equalsIgnoreCase(name);
    }
}
