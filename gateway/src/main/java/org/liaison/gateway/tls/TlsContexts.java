package org.liaison.gateway.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;
import org.liaison.certs.Credential;

/**
 * The node's TLS: TLS 1.3 only, client authentication required, trust from the directory, short
 * sessions. TLS 1.3 has no renegotiation. Built once at start; each channel gets
 * {@code newHandler(alloc)}.
 */
public final class TlsContexts {
    public static final String[] PROTOCOLS = {"TLSv1.3"};
    /** Seconds a TLS session may be resumed. */
    public static final int SESSION_TIMEOUT = 300;

    private TlsContexts() {}

    public static SslContext server(Credential tls, DirectoryTrustManager trust, SslProvider provider) throws SSLException {
        return SslContextBuilder.forServer(InMemoryKeys.factory(tls, provider))
                .sslProvider(provider)
                // HTTP/2 and HTTP/1.1, chosen by ALPN; a client that offers neither gets HTTP/1.1.
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .protocols(PROTOCOLS)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(trust)
                .sessionTimeout(SESSION_TIMEOUT)
                .build();
    }

    public static SslContext client(Credential tls, DirectoryTrustManager trust, SslProvider provider) throws SSLException {
        return SslContextBuilder.forClient()
                .sslProvider(provider)
                .protocols(PROTOCOLS)
                .keyManager(InMemoryKeys.factory(tls, provider))
                .trustManager(trust)
                .sessionTimeout(SESSION_TIMEOUT)
                .build();
    }

    /**
     * The peer API's TLS implementation: {@code jdk}, {@code openssl} (BoringSSL through
     * netty-tcnative; refused at start when it cannot load here), or, when node.yaml names none,
     * OpenSSL where it loads and the JDK's otherwise. OpenSSL is the default because it measured
     * faster for what dominates the peer port — bulk delivery 383 vs 272 MB/s, full mutual handshakes
     * 110 vs 100 per second — with the same trust decisions: the certificate checks are this node's
     * own trust manager under either, and both speak TLS 1.3 only.
     */
    public static SslProvider provider(String name) {
        if (name == null) {
            return io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        }
        if (name.equals("jdk")) {
            return SslProvider.JDK;
        }
        if (name.equals("openssl")) {
            if (!io.netty.handler.ssl.OpenSsl.isAvailable()) {
                throw new IllegalStateException("tlsProvider: openssl, but netty-tcnative (BoringSSL) cannot load on this platform ("
                        + io.netty.handler.ssl.OpenSsl.unavailabilityCause() + "); use tlsProvider: jdk, or leave it out");
            }
            return SslProvider.OPENSSL;
        }
        throw new IllegalArgumentException("tlsProvider: " + name + " (expected: jdk or openssl)");
    }
}
