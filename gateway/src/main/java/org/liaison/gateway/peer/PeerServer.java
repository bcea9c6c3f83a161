package org.liaison.gateway.peer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.ChannelHandlerContext;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.net.IdleTimeout;
import org.liaison.gateway.net.Listeners;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.net.OneRequestAtATime;
import org.liaison.gateway.net.SlowClientGuard;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.liaison.gateway.net.Workers;
import org.liaison.gateway.tls.AuthFailures;
import org.liaison.gateway.tls.PeerIdentity;
import org.liaison.gateway.tls.TlsHandshakes;
import org.liaison.protocol.ErrorCode;

/**
 * The peer API listener. Each connection gets one pipeline, one handler per concern, in this order:
 *
 * <ol>
 *   <li>{@code tls} — TLS 1.3 with a required client certificate, trusted from the directory;</li>
 *   <li>{@code timeout} — a peer that sends nothing for the read timeout is disconnected;</li>
 *   <li>{@code auth} — names the peer authority from its certificate, drops connections without one;</li>
 *   <li>{@code alpn} — by the protocol the client chose, adds either
 *     <ul>
 *       <li>{@code http} — HTTP/1.1 codec with limits on the request line, headers and chunk size, then
 *           {@code serial} (no pipelining: {@link OneRequestAtATime}), then {@code deadlines} (a request head
 *           within the read timeout, a body at a minimum rate: {@link SlowClientGuard}), then {@code api}
 *           ({@link ReceiveHandler}); or</li>
 *       <li>{@code http2} — HTTP/2 with a header-list limit and at most 16 concurrent streams, then
 *           {@code deadlines} (a complete frame within each read timeout), then {@code streams}: per
 *           stream, an HTTP/1.1 object codec, the same {@code deadlines} and {@code api} handlers.</li>
 *     </ul></li>
 * </ol>
 */
public final class PeerServer implements AutoCloseable {
    public static final int MAX_INITIAL_LINE = 4096;
    public static final int MAX_HEADER_SIZE = 8192;
    public static final int MAX_CHUNK_SIZE = 64 * 1024;
    /** The slowest a request body may arrive, measured over each read-timeout window. */
    public static final long MIN_BYTES_PER_SECOND = 1024;

    private final EventLoopGroup boss = EventLoops.group("peer-accept", 1);
    private final EventLoopGroup workers = EventLoops.group("peer", 0);
    private final Channel channel;
    /** Where complete messages are stored and receipted, off the event loops (see ReceiveHandler). */
    private final java.util.concurrent.ExecutorService finishers;
    /** Where received payload bytes are hashed and written, while the event loops decrypt and decode the next ones. */
    private final java.util.concurrent.ExecutorService writers;
    /** Where TLS handshakes' delegated tasks (certificate checks) run. */
    private final java.util.concurrent.ExecutorService handshakes;

    /** {@code tls} is asked for each new connection: a rotated key serves the next handshake. */
    public PeerServer(String host, int port, java.util.function.Supplier<SslContext> tls, PeerIdentity identity, AuthFailures failures,
            TlsHandshakes tlsHandshakes, PeerContext node, Duration readTimeout, long maxMessageBytes,
            NodeRuntime runtime) throws InterruptedException, java.io.IOException {
        this.finishers = runtime.blocking("receive");
        this.writers = runtime.writers("payload");
        this.handshakes = runtime.tls("peer-tls");
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // The client's address goes to the engine, so that refusals in the trust manager name it.
                        // Certificate checks (the trust manager: CRLs, the directory) run on a pool, not the event loop.
                        SslHandler ssl = tls.get().newHandler(ch.alloc(), ch.remoteAddress().getHostString(), ch.remoteAddress().getPort(),
                                handshakes);
                        ssl.setHandshakeTimeout(10, TimeUnit.SECONDS);
                        tlsHandshakes.offer(ssl.engine()); // the hybrid group first when this node announces it
                        ch.pipeline()
                                .addLast("tls", ssl)
                                .addLast("timeout", new IdleTimeout(readTimeout))
                                .addLast("auth", new PeerAuthenticationHandler(identity, failures, tlsHandshakes, runtime.clock()))
                                .addLast("alpn", new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
                                    @Override
                                    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                                        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                            ctx.pipeline().addLast("http2", Http2FrameCodecBuilder.forServer()
                                                    .initialSettings(Http2Settings.defaultSettings().maxHeaderListSize(MAX_HEADER_SIZE)
                                                            .maxConcurrentStreams(16))
                                                    .build());
                                            ctx.pipeline().addLast("deadlines", new SlowClientGuard(SlowClientGuard.Mode.FRAMES,
                                                    readTimeout, MIN_BYTES_PER_SECOND));
                                            ctx.pipeline().addLast("streams", new Http2MultiplexHandler(
                                                    new ChannelInitializer<Http2StreamChannel>() {
                                                        @Override
                                                        protected void initChannel(Http2StreamChannel stream) {
                                                            stream.pipeline()
                                                                    .addLast("http", new Http2StreamFrameToHttpObjectCodec(true))
                                                                    .addLast("deadlines", new SlowClientGuard(SlowClientGuard.Mode.HTTP,
                                                                            readTimeout, MIN_BYTES_PER_SECOND))
                                                                    .addLast("api", new ReceiveHandler(node, maxMessageBytes, finishers, writers));
                                                        }
                                                    }));
                                        } else {
                                            ctx.pipeline()
                                                    .addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_CHUNK_SIZE))
                                                    .addLast("serial", new OneRequestAtATime(c -> pipelined(node, c)))
                                                    .addLast("deadlines", new SlowClientGuard(SlowClientGuard.Mode.HTTP, readTimeout,
                                                            MIN_BYTES_PER_SECOND))
                                                    .addLast("api", new ReceiveHandler(node, maxMessageBytes, finishers, writers));
                                        }
                                    }
                                });
                    }
                });
        this.channel = Listeners.bind(b, host, port, "peer API", this::close);
    }

    /** A peer pipelined HTTP/1.1 requests: they were dropped, and the connection closes after the answer before them. */
    private void pipelined(PeerContext node, ChannelHandlerContext ctx) {
        AuthorityId peer = PeerAuthenticationHandler.peerOf(ctx.channel());
        AuditEvent e = AuditEvent.of(node.clock(), "reject", peer == null ? "unknown" : peer.value(),
                null, peer == null ? null : peer.value(), "refused", OneRequestAtATime.REFUSAL);
        node.metrics().refused(ErrorCode.PIPELINING_REFUSED.code());
        Workers.quietly(finishers, () -> node.audit().append(e), "audit pipelined requests");
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting connections; connections in progress finish. */
    public void stopAccepting() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
    }

    @Override
    public void close() {
        stopAccepting();
        boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        Workers.drain(finishers, 10); // messages being stored finish before the store closes
        Workers.drain(writers, 10);
        handshakes.shutdownNow();
        workers.shutdownGracefully(0, 10, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
