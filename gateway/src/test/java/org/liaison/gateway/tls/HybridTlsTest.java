package org.liaison.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Date;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.liaison.certs.Credential;

/**
 * The groups {@link HybridTls} sets, negotiated between engines in memory: BoringSSL with BoringSSL, and
 * Bouncy Castle's JSSE with BoringSSL (two independent implementations of X25519MLKEM768).
 */
class HybridTlsTest {
    static KeyPair key;
    static X509Certificate cert;

    @BeforeAll
    static void certificate() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        key = g.generateKeyPair();
        X500Name name = new X500Name("CN=hybrid test");
        cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 3_600_000), name, key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }

    static SslContext server(SslProvider provider) throws Exception {
        SslContextBuilder b = (provider == SslProvider.JDK ? SslContextBuilder.forServer(HybridTls.bcKeyManager(
                Credential.create(key.getPrivate(), java.util.List.of(cert)), true))
                : SslContextBuilder.forServer(key.getPrivate(), cert)).sslProvider(provider).protocols(TlsContexts.PROTOCOLS)
                .clientAuth(ClientAuth.REQUIRE).trustManager(InsecureTrustManagerFactory.INSTANCE);
        if (provider == SslProvider.JDK) {
            b.sslContextProvider(HybridTls.bcjsse());
        }
        return b.build();
    }

    static SslContext client(SslProvider provider) throws Exception {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(provider).protocols(TlsContexts.PROTOCOLS)
                .keyManager(new SingleKeyManager(Credential.create(key.getPrivate(), java.util.List.of(cert))))
                .trustManager(InsecureTrustManagerFactory.INSTANCE);
        if (provider == SslProvider.JDK) {
            b.sslContextProvider(HybridTls.bcjsse());
        }
        return b.build();
    }

    /** Runs a handshake between the two engines in memory; returns {client's group, server's group}. */
    static String[] handshake(SSLEngine client, SSLEngine server) throws Exception {
        ByteBuffer c2s = ByteBuffer.allocate(1 << 17);
        ByteBuffer s2c = ByteBuffer.allocate(1 << 17);
        ByteBuffer app = ByteBuffer.allocate(1 << 17);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 100 && !(done(client) && done(server)); i++) {
            step(client, s2c, c2s, app);
            step(server, c2s, s2c, app);
        }
        assertThat(done(client) && done(server)).as("handshake finished").isTrue();
        return new String[] {HybridTls.group(client), HybridTls.group(server)};
    }

    static boolean done(SSLEngine e) {
        SSLEngineResult.HandshakeStatus s = e.getHandshakeStatus();
        return s == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || s == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    static void step(SSLEngine e, ByteBuffer in, ByteBuffer out, ByteBuffer app) throws Exception {
        in.flip();
        e.unwrap(in, app);
        in.compact();
        app.clear();
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
        }
        e.wrap(ByteBuffer.allocate(0), out);
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
        }
    }

    static SSLEngine engine(SslContext c) {
        return c.newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
    }

    @Test
    void boringSslNegotiatesTheHybridGroupOnlyWhenBothSidesOfferIt() throws Exception {
        Assumptions.assumeTrue(OpenSsl.isAvailable(), "netty-tcnative is not loadable here");
        SslContext s = server(SslProvider.OPENSSL);
        SslContext c = client(SslProvider.OPENSSL);
        for (boolean[] offers : new boolean[][] {{true, true}, {true, false}, {false, true}, {false, false}}) {
            SSLEngine client = engine(c);
            SSLEngine server = s.newEngine(ByteBufAllocator.DEFAULT);
            assertThat(HybridTls.offer(client, offers[0])).isTrue();
            assertThat(HybridTls.offer(server, offers[1])).isTrue();
            String[] groups = handshake(client, server);
            String expected = offers[0] && offers[1] ? "X25519MLKEM768" : "X25519";
            assertThat(groups).as("client offers hybrid: %s, server: %s", offers[0], offers[1]).containsExactly(expected, expected);
            io.netty.util.ReferenceCountUtil.release(client);
            io.netty.util.ReferenceCountUtil.release(server);
        }
    }

    @Test
    void bouncyCastleAndBoringSslAgreeOnTheHybridGroup() throws Exception {
        Assumptions.assumeTrue(OpenSsl.isAvailable(), "netty-tcnative is not loadable here");
        SSLEngine bcClient = engine(client(SslProvider.JDK));
        assertThat(HybridTls.offerBc(bcClient)).isTrue();
        SSLEngine boringServer = server(SslProvider.OPENSSL).newEngine(ByteBufAllocator.DEFAULT);
        HybridTls.offer(boringServer, true);
        assertThat(handshake(bcClient, boringServer)).containsExactly("X25519MLKEM768", "X25519MLKEM768");

        SSLEngine boringClient = engine(client(SslProvider.OPENSSL));
        HybridTls.offer(boringClient, true);
        SSLEngine bcServer = server(SslProvider.JDK).newEngine(ByteBufAllocator.DEFAULT);
        HybridTls.offerBc(bcServer);
        assertThat(handshake(boringClient, bcServer)).containsExactly("X25519MLKEM768", "X25519MLKEM768");

        SSLEngine classicalClient = engine(client(SslProvider.OPENSSL));
        HybridTls.offer(classicalClient, false);
        SSLEngine bcServer2 = server(SslProvider.JDK).newEngine(ByteBufAllocator.DEFAULT);
        HybridTls.offerBc(bcServer2);
        assertThat(handshake(classicalClient, bcServer2)).containsExactly("X25519", "X25519");
    }
}
