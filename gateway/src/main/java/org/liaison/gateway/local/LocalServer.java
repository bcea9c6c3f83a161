package org.liaison.gateway.local;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.liaison.certs.Credential;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.net.IdleTimeout;
import org.liaison.gateway.net.Listeners;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.net.OneRequestAtATime;
import org.liaison.gateway.net.SlowClientGuard;
import org.liaison.gateway.net.Workers;
import org.liaison.gateway.peer.PeerServer;
import org.liaison.gateway.tls.AuthFailures;
import org.liaison.gateway.tls.HybridTls;
import org.liaison.gateway.tls.TlsContexts;
import org.liaison.gateway.tls.TlsHandshakes;

/**
 * The local API listener, for this authority's investigators and operators. Pipeline per
 * connection: {@code tls} (TLS 1.3, a personal certificate of this authority's national CA
 * required) → {@code timeout} → {@code http} (HTTP/1.1 with limits) → {@code serial} (no pipelining:
 * {@link org.liaison.gateway.net.OneRequestAtATime}) → {@code deadlines} (slow clients,
 * {@link org.liaison.gateway.net.SlowClientGuard}) → {@code user} (names the person and
 * their roles) → {@code api} ({@link LocalApiHandler}, which streams fetched packages chunk by chunk as the
 * client reads them).
 */
public final class LocalServer implements AutoCloseable {
    public static final AttributeKey<LocalUser> USER = AttributeKey.valueOf("liaison.user");
    private final EventLoopGroup group = EventLoops.group("local", 0);
    private final Channel channel;
    /** Where a finished upload is sealed and stored, off the event loops (see LocalApiHandler). */
    private final java.util.concurrent.ExecutorService finishers;
    /** Where uploads are encrypted while the event loops decode the next bytes (not the finishers: they wait for these). */
    private final java.util.concurrent.ExecutorService writers;
    /** Where TLS handshakes' delegated tasks (certificate checks) run. */
    private final java.util.concurrent.ExecutorService handshakes;
    /**
     * Where Bouncy Castle's TLS (hybrid, see {@link #hybridContext}) runs: it has no delegated tasks, so its certificate
     * checks would run on the event loop; its handler runs here instead. Made on first use.
     */
    private volatile io.netty.util.concurrent.EventExecutorGroup bcTls;

    /**
     * The local API's TLS with {@code tls} as the server's credential. Always the JDK's TLS: BoringSSL (the
     * openssl provider) leaves Ed25519 out of the signature algorithms it verifies by default, and
     * netty-tcnative offers no way to add it, so it would refuse every modern-suite personal certificate
     * (certificate_required). The peer API may use either provider.
     */
    @SuppressWarnings("deprecation") // JdkSslContext's constructor: Netty points to its builder, which is what this avoids
    public static SslContext context(Credential tls, LocalNode node, AuthFailures failures)
            throws javax.net.ssl.SSLException {
        // What SslContextBuilder.forServer(keys).sslProvider(JDK) makes (the JDK's SSLContext with these key and trust
        // managers and session timeout; TLS 1.3 only, a client certificate required, Netty's default cipher suites, no
        // ALPN), made directly: the builder's JdkSslServerContext runs, at its class initialisation, a self-test that
        // builds a PKCS#12 store of an RSA key (two PBKDF2 runs, 0.5-0.7 s of CPU at a node's start) to decide whether
        // to wrap trust managers in one that only rewords a client's hostname errors: nothing on a server.
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(org.liaison.gateway.tls.InMemoryKeys.factory(tls, SslProvider.JDK).getKeyManagers(),
                    new javax.net.ssl.TrustManager[] {new UserTrustManager(node.me(), node::trust, failures, node.clock())}, null);
            ctx.getServerSessionContext().setSessionTimeout(TlsContexts.SESSION_TIMEOUT);
            return new io.netty.handler.ssl.JdkSslContext(ctx, false, null, io.netty.handler.ssl.IdentityCipherSuiteFilter.INSTANCE,
                    io.netty.handler.ssl.ApplicationProtocolConfig.DISABLED, ClientAuth.REQUIRE, TlsContexts.PROTOCOLS, false);
        } catch (java.security.GeneralSecurityException e) {
            throw new javax.net.ssl.SSLException("cannot make the local API's TLS: " + e.getMessage(), e);
        }
    }

    /**
     * As {@link #context}, with Bouncy Castle's JSSE, whose connections prefer the hybrid group X25519MLKEM768
     * (see {@link org.liaison.gateway.tls.HybridTls}): for a node whose directory entry announces it.
     */
    public static SslContext hybridContext(Credential tls, LocalNode node, AuthFailures failures)
            throws javax.net.ssl.SSLException {
        return SslContextBuilder.forServer(HybridTls.bcKeyManager(tls, true))
                .sslProvider(SslProvider.JDK).sslContextProvider(HybridTls.bcjsse())
                .protocols(TlsContexts.PROTOCOLS).clientAuth(ClientAuth.REQUIRE)
                .trustManager(new UserTrustManager(node.me(), node::trust, failures, node.clock()))
                .sessionTimeout(TlsContexts.SESSION_TIMEOUT).build();
    }

    /** {@code tls} (see {@link #context}) is asked for each new connection: a rotated key serves the next handshake. */
    public LocalServer(String host, int port, java.util.function.Supplier<SslContext> tls, LocalNode node, Submissions outbox,
            Duration readTimeout, AuthFailures failures, TlsHandshakes tlsHandshakes,
            NodeRuntime runtime) throws java.io.IOException, InterruptedException {
        this.finishers = runtime.blocking("submit");
        this.writers = runtime.writers("upload");
        this.handshakes = runtime.tls("local-tls");
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        io.netty.handler.ssl.SslHandler ssl = tls.get().newHandler(ch.alloc(), ch.remoteAddress().getHostString(),
                                ch.remoteAddress().getPort(), handshakes); // certificate checks off the event loop
                        ssl.setHandshakeTimeout(10, TimeUnit.SECONDS); // the head's deadline starts after it
                        if (HybridTls.offerBc(ssl.engine())) { // hybrid first: Bouncy Castle's engines only
                            ch.pipeline().addLast(bcTls(), "tls", ssl);
                        } else {
                            ch.pipeline().addLast("tls", ssl);
                        }
                        ch.pipeline()
                                .addLast("timeout", new IdleTimeout(readTimeout)) // a long download runs while it moves
                                .addLast("http", new HttpServerCodec(4096, 8192, 64 * 1024))
                                .addLast("serial", new OneRequestAtATime(c -> pipelined(node, c)))
                                .addLast("deadlines", new SlowClientGuard(
                                        SlowClientGuard.Mode.HTTP, readTimeout,
                                        PeerServer.MIN_BYTES_PER_SECOND))
                                .addLast("user", new LocalAuthenticationHandler(node.me(), node::trust, failures, tlsHandshakes, node.clock()))
                                .addLast("api", new LocalApiHandler(node, outbox, finishers, writers));
                    }
                });
        channel = Listeners.bind(b, host, port, "local API", this::close);
    }

    private io.netty.util.concurrent.EventExecutorGroup bcTls() {
        if (bcTls == null) {
            synchronized (this) {
                if (bcTls == null) {
                    bcTls = new io.netty.util.concurrent.DefaultEventExecutorGroup(2,
                            new io.netty.util.concurrent.DefaultThreadFactory("liaison-local-tls-bc", true));
                }
            }
        }
        return bcTls;
    }

    /** A client pipelined HTTP/1.1 requests: they were dropped, and the connection closes after the answer before them. */
    private void pipelined(LocalNode node, io.netty.channel.ChannelHandlerContext ctx) {
        LocalUser user = ctx.channel().attr(USER).get();
        AuditEvent e = AuditEvent.of(node.clock(), "reject", user == null ? "unknown" : user.actor(),
                null, null, "refused", "local API: " + OneRequestAtATime.REFUSAL);
        Workers.quietly(finishers, () -> node.audit().append(e), "audit pipelined requests");
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public void stopAccepting() {
        if (channel != null) { // null when the bind failed
            channel.close().syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        stopAccepting();
        Workers.drain(finishers, 10); // uploads being stored finish before the store closes
        Workers.drain(writers, 10);
        handshakes.shutdownNow();
        if (bcTls != null) {
            bcTls.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
