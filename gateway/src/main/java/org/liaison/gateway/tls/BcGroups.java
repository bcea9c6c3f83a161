package org.liaison.gateway.tls;

import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.Provider;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import org.bouncycastle.jsse.BCSSLConnection;
import org.bouncycastle.jsse.BCSSLEngine;
import org.bouncycastle.jsse.BCSSLParameters;
import org.bouncycastle.jsse.BCSSLSocket;
import org.bouncycastle.jsse.provider.BouncyCastleJsseProvider;
import org.liaison.certs.Providers;

/**
 * The Bouncy Castle side of {@link HybridTls}: its JSSE provider (an object, never installed in the JVM),
 * engines and sockets set to offer and prefer the hybrid group, and the group a connection negotiated.
 * Groups are set per engine and socket ({@link BCSSLParameters#setNamedGroups}), never through the
 * JVM-wide {@code jdk.tls.namedGroups}. Bouncy Castle's JSSE has no public way to read the negotiated
 * group; it is read from the connection's TLS context (public API) reached through one protected field,
 * and when that fails the answer is {@link HybridTls#UNKNOWN} — which nothing treats as hybrid.
 */
final class BcGroups {
    /**
     * Bouncy Castle's JSSE logs through java.util.logging, at WARNING for every context it makes (entries of the JDK's
     * security properties it ignores) and at INFO for every alert: a CLI command would print them on the terminal.
     * Only SEVERE passes; refusals are audited and logged by the node itself. Held here, as java.util.logging keeps
     * its loggers weakly.
     */
    private static final java.util.logging.Logger BC_LOG = quiet(java.util.logging.Logger.getLogger("org.bouncycastle.jsse"));
    private static final Provider JSSE = new BouncyCastleJsseProvider(Providers.bouncyCastle());

    private static java.util.logging.Logger quiet(java.util.logging.Logger l) {
        l.setLevel(java.util.logging.Level.SEVERE);
        return l;
    }

    private BcGroups() {}

    static Provider provider() {
        return JSSE;
    }

    /** Sets a Bouncy Castle engine or socket to offer and prefer the hybrid group; false for another provider's. */
    static boolean configure(Object engineOrSocket) {
        if (engineOrSocket instanceof BCSSLEngine) {
            BCSSLEngine e = (BCSSLEngine) engineOrSocket;
            e.setParameters(hybrid(e.getParameters()));
            return true;
        }
        if (engineOrSocket instanceof BCSSLSocket) {
            BCSSLSocket s = (BCSSLSocket) engineOrSocket;
            s.setParameters(hybrid(s.getParameters()));
            return true;
        }
        return false;
    }

    private static BCSSLParameters hybrid(BCSSLParameters p) {
        p.setNamedGroups(HybridTls.BC_HYBRID.clone());
        p.setUseNamedGroupsOrder(true); // a server prefers them in this order, not in the client's
        return p;
    }

    /**
     * A TLS 1.3 context of Bouncy Castle's JSSE whose engines and sockets offer and prefer the hybrid group
     * (for clients such as {@link java.net.http.HttpClient}, which make their engines themselves).
     */
    static SSLContext context(KeyManager[] keys, TrustManager[] trust) throws java.security.GeneralSecurityException {
        SSLContext bc = SSLContext.getInstance("TLSv1.3", JSSE);
        bc.init(keys, trust, null);
        return new SSLContext(new HybridSpi(bc), JSSE, "TLSv1.3") {};
    }

    /** Delegates to a Bouncy Castle context, setting the groups of every engine and socket it makes. */
    private static final class HybridSpi extends SSLContextSpi {
        private final SSLContext bc;

        HybridSpi(SSLContext bc) {
            this.bc = bc;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            bc.init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new HybridSockets(bc.getSocketFactory());
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw new UnsupportedOperationException("a client context");
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            SSLEngine e = bc.createSSLEngine();
            configure(e);
            return e;
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            SSLEngine e = bc.createSSLEngine(host, port);
            configure(e);
            return e;
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return bc.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return bc.getClientSessionContext();
        }

        @Override
        protected javax.net.ssl.SSLParameters engineGetDefaultSSLParameters() {
            return bc.getDefaultSSLParameters();
        }

        @Override
        protected javax.net.ssl.SSLParameters engineGetSupportedSSLParameters() {
            return bc.getSupportedSSLParameters();
        }
    }

    private static final class HybridSockets extends SSLSocketFactory {
        private final SSLSocketFactory bc;

        HybridSockets(SSLSocketFactory bc) {
            this.bc = bc;
        }

        private static Socket set(Socket s) {
            configure(s);
            return s;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return bc.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return bc.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws java.io.IOException {
            return set(bc.createSocket());
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws java.io.IOException {
            return set(bc.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws java.io.IOException {
            return set(bc.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) throws java.io.IOException {
            return set(bc.createSocket(host, port, local, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws java.io.IOException {
            return set(bc.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort) throws java.io.IOException {
            return set(bc.createSocket(address, port, local, localPort));
        }
    }

    /** A group's name as BoringSSL gives it (X25519, P-256, X25519MLKEM768), so that metrics and audit entries agree. */
    static String name(int group) {
        switch (group) {
            case org.bouncycastle.tls.NamedGroup.x25519:
                return "X25519";
            case org.bouncycastle.tls.NamedGroup.secp256r1:
                return "P-256";
            case org.bouncycastle.tls.NamedGroup.secp384r1:
                return "P-384";
            case org.bouncycastle.tls.NamedGroup.secp521r1:
                return "P-521";
            default:
                String n = org.bouncycastle.tls.NamedGroup.getName(group);
                return n == null || n.startsWith("UNKNOWN") ? HybridTls.UNKNOWN : n;
        }
    }

    /** The group of a Bouncy Castle engine or socket's handshake, or {@link HybridTls#UNKNOWN}. */
    static String group(Object engineOrSocket) {
        BCSSLConnection c;
        if (engineOrSocket instanceof BCSSLEngine) {
            c = ((BCSSLEngine) engineOrSocket).getConnection();
        } else if (engineOrSocket instanceof BCSSLSocket) {
            c = ((BCSSLSocket) engineOrSocket).getConnection();
        } else {
            return HybridTls.UNKNOWN;
        }
        if (c == null) {
            return HybridTls.UNKNOWN;
        }
        try {
            java.lang.reflect.Field f = c.getClass().getDeclaredField("tlsPeer");
            f.setAccessible(true);
            Object peer = f.get(c);
            java.lang.reflect.Method m = Class.forName("org.bouncycastle.jsse.provider.ProvTlsPeer").getDeclaredMethod("getTlsContext");
            m.setAccessible(true);
            org.bouncycastle.tls.TlsContext context = (org.bouncycastle.tls.TlsContext) m.invoke(peer);
            org.bouncycastle.tls.SecurityParameters sp = context.getSecurityParametersConnection();
            if (sp == null || sp.getNegotiatedGroup() < 0) {
                return HybridTls.UNKNOWN;
            }
            return name(sp.getNegotiatedGroup());
        } catch (ReflectiveOperationException | RuntimeException e) {
            return HybridTls.UNKNOWN;
        }
    }
}
