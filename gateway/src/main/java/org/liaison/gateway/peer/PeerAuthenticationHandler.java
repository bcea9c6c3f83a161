package org.liaison.gateway.peer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Purpose;
import org.liaison.gateway.tls.AuthFailures;
import org.liaison.gateway.tls.ClientAuthorization;
import org.liaison.gateway.tls.PeerIdentity;
import org.liaison.gateway.tls.TlsHandshakes;

/**
 * After the TLS handshake, names the peer: the authority whose gateway certificate it presented,
 * checked here against the current directory and CRLs — also when the session was resumed from
 * a ticket, where the TLS layer runs no trust manager. It keeps a {@link ClientAuthorization} on
 * the connection, which the API handler asks again on every request. A failed handshake (no
 * certificate, another protocol, a refused certificate) is audited and counted once
 * ({@link AuthFailures}), and logged in one line.
 */
public final class PeerAuthenticationHandler extends ChannelInboundHandlerAdapter {
    public static final AttributeKey<AuthorityId> PEER = AttributeKey.valueOf("liaison.peer");
    static final String API = "peer API";
    private static final Logger LOG = LogManager.getLogger(PeerAuthenticationHandler.class);
    private final PeerIdentity identity;
    private final AuthFailures failures;
    private final TlsHandshakes handshakes;

    /** The peer of a connection, or of the HTTP/2 connection a stream belongs to. */
    public static AuthorityId peerOf(io.netty.channel.Channel ch) {
        AuthorityId peer = ch.attr(PEER).get();
        return peer == null && ch.parent() != null ? ch.parent().attr(PEER).get() : peer;
    }

    private final java.time.Clock clock;

    /** {@code clock}: the node's time, against which the session's certificates are checked. */
    public PeerAuthenticationHandler(PeerIdentity identity, AuthFailures failures, TlsHandshakes handshakes,
            java.time.Clock clock) {
        this.clock = clock;
        this.identity = identity;
        this.failures = failures;
        this.handshakes = handshakes;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent) {
            SslHandshakeCompletionEvent e = (SslHandshakeCompletionEvent) evt;
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (!e.isSuccess()) {
                failures.handshakeFailed(ctx.channel(), API, e.cause());
                ctx.close();
                return;
            }
            List<X509Certificate> chain = ClientAuthorization.peerChain(ssl.engine().getSession());
            if (chain.isEmpty()) {
                failures.refused(ctx.channel(), API, "unknown", "no certificate in the session");
                ctx.close();
                return;
            }
            ClientAuthorization<AuthorityId> auth = new ClientAuthorization<>(identity::trust, chain,
                    (trust, c, now) -> PeerIdentity.identify(trust, c.get(0), Purpose.TLS_CLIENT, now));
            try {
                AuthorityId peer = auth.current(clock.instant());
                // No downgrade: two gateways that announce hybrid TLS talk only over it (checked before PEER is set,
                // so that nothing the client sent is read).
                TlsHandshakes.Outcome o = handshakes.peer(API, peer, ssl.engine(), host(ctx));
                if (o.refused()) {
                    failures.refused(ctx.channel(), API, peer.value(), o.refusal());
                    ctx.close();
                    return;
                }
                ctx.channel().attr(PEER).set(peer);
                auth.attach(ctx.channel());
            } catch (CertificateException x) {
                // A resumed session skips the trust manager: its certificate is refused here.
                failures.refused(ctx.channel(), API, "SHA256:" + Fingerprint.of(chain.get(0)).hex(),
                        "session refused: " + x.getMessage());
                ctx.close();
                return;
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    private static String host(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress
                ? ((java.net.InetSocketAddress) ctx.channel().remoteAddress()).getHostString() : null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (ctx.channel().attr(PEER).get() == null) {
            io.netty.util.ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (ctx.channel().attr(PEER).get() == null) {
            // Before authentication (a failed handshake, garbage instead of TLS): the handshake event
            // reports it; no stack trace per refused client.
            LOG.debug("connection from {} failed before authentication: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
