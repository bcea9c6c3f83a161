package org.liaison.gateway.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.TrustManagerFactory;
import org.liaison.certs.Credential;

/**
 * Full mutual-TLS 1.3 handshakes between two engines of one provider, in memory on one thread (so a figure is
 * the CPU of both ends), with the classical groups or with X25519MLKEM768 first: the cost of hybrid TLS on each
 * provider, without the network. ECDSA P-256 certificates (the gateways' TLS key type), each end checking the
 * other's with the JDK's PKIX trust manager; a new engine pair per handshake, no session resumption.
 * {@code liaison bench tls} prints the figures.
 */
public final class HandshakeBench {
    /** The providers measured: BoringSSL (the peer API's default) and Bouncy Castle's JSSE (the local API's when hybrid). */
    public enum Provider {
        OPENSSL, BCJSSE
    }

    private final SslContext server;
    private final SslContext client;
    private final Provider provider;

    public HandshakeBench(Provider provider) throws Exception {
        this.provider = provider;
        Credential serverKey = credential("server");
        Credential clientKey = credential("client");
        TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("server", serverKey.chain().get(0));
        anchors.setCertificateEntry("client", clientKey.chain().get(0));
        trust.init(anchors);
        if (provider == Provider.OPENSSL) {
            server = SslContextBuilder.forServer(serverKey.privateKey(), serverKey.chain().toArray(new X509Certificate[0]))
                    .sslProvider(SslProvider.OPENSSL).protocols(TlsContexts.PROTOCOLS).clientAuth(ClientAuth.REQUIRE)
                    .trustManager(trust).build();
            client = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL).protocols(TlsContexts.PROTOCOLS)
                    .endpointIdentificationAlgorithm(null) // the server's certificate is an anchor: no host name to check
                    .keyManager(clientKey.privateKey(), clientKey.chain().toArray(new X509Certificate[0])).trustManager(trust).build();
        } else {
            server = SslContextBuilder.forServer(HybridTls.bcKeyManager(serverKey, true)).sslProvider(SslProvider.JDK)
                    .sslContextProvider(HybridTls.bcjsse()).protocols(TlsContexts.PROTOCOLS).clientAuth(ClientAuth.REQUIRE)
                    .trustManager(trust).build();
            client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).sslContextProvider(HybridTls.bcjsse())
                    .endpointIdentificationAlgorithm(null)
                    .protocols(TlsContexts.PROTOCOLS).keyManager(HybridTls.bcKeyManager(clientKey, false)).trustManager(trust).build();
        }
    }

    private static Credential credential(String name) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        java.security.KeyPair k = g.generateKeyPair();
        org.bouncycastle.asn1.x500.X500Name dn = new org.bouncycastle.asn1.x500.X500Name("CN=bench " + name);
        X509Certificate cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
                new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(dn, BigInteger.ONE,
                        new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000L), dn, k.getPublic())
                        .addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
                                new org.bouncycastle.asn1.x509.BasicConstraints(false))
                        .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
        return Credential.create(k.getPrivate(), List.of(cert));
    }

    /** One full handshake with the hybrid group offered and preferred on both ends, or the classical ones only; returns its group. */
    public String handshake(boolean hybrid) throws Exception {
        SSLEngine c = client.newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
        try {
            if (provider == Provider.OPENSSL) {
                HybridTls.offer(c, hybrid);
                HybridTls.offer(s, hybrid);
            } else if (hybrid) {
                HybridTls.offerBc(c);
                HybridTls.offerBc(s);
            }
            ByteBuffer c2s = ByteBuffer.allocate(1 << 16);
            ByteBuffer s2c = ByteBuffer.allocate(1 << 16);
            ByteBuffer app = ByteBuffer.allocate(1 << 16);
            c.beginHandshake();
            s.beginHandshake();
            for (int i = 0; i < 50 && !(done(c) && done(s)); i++) {
                step(c, s2c, c2s, app);
                step(s, c2s, s2c, app);
            }
            if (!(done(c) && done(s))) {
                throw new IllegalStateException("the handshake did not finish");
            }
            String group = HybridTls.group(c);
            if (HybridTls.isHybrid(group) != hybrid) {
                throw new IllegalStateException("negotiated " + group + " (hybrid wanted: " + hybrid + ")");
            }
            return group;
        } finally {
            io.netty.util.ReferenceCountUtil.release(c);
            io.netty.util.ReferenceCountUtil.release(s);
        }
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus h = e.getHandshakeStatus();
        return h == HandshakeStatus.NOT_HANDSHAKING || h == HandshakeStatus.FINISHED;
    }

    private static void step(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws Exception {
        in.flip();
        e.unwrap(in, app);
        in.compact();
        app.clear();
        runTasks(e);
        e.wrap(ByteBuffer.allocate(0), out);
        runTasks(e);
    }

    private static void runTasks(SSLEngine e) {
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
