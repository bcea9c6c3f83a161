package org.liaison.gateway.local;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.gateway.tls.AuthFailures;
import org.liaison.gateway.tls.ClientAuthorization;
import org.liaison.gateway.tls.TlsHandshakes;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.directory.Trust;

/**
 * Names the person on a local API connection ({@link LocalServer#USER}) and keeps that current:
 * the certificate is checked against the current CRLs when the handshake completes — also for a
 * session resumed from a ticket, where the TLS layer runs no trust manager — and again on every
 * request whenever the trust changed since (a CRL or directory reload). A refused request gets
 * {@code 403} with LIAISON:0018, an {@code auth-failure} audit entry, and the connection closes.
 */
final class LocalAuthenticationHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(LocalAuthenticationHandler.class);
    private final AuthorityId me;
    private final Supplier<Trust> trust;
    private final AuthFailures failures;
    private ClientAuthorization<LocalUser> auth;
    private boolean refused;

    private final TlsHandshakes handshakes;

    private final java.time.Clock clock;

    LocalAuthenticationHandler(AuthorityId me, Supplier<Trust> trust, AuthFailures failures,
            TlsHandshakes handshakes, java.time.Clock clock) {
        this.clock = clock;
        this.me = me;
        this.trust = trust;
        this.failures = failures;
        this.handshakes = handshakes;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext c, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent) {
            SslHandler ssl = c.pipeline().get(SslHandler.class);
            if (!((SslHandshakeCompletionEvent) evt).isSuccess()) {
                failures.handshakeFailed(c.channel(), UserTrustManager.API, ((SslHandshakeCompletionEvent) evt).cause());
                c.close();
                return;
            }
            List<X509Certificate> chain = ClientAuthorization.peerChain(ssl.engine().getSession());
            if (chain.isEmpty()) {
                failures.refused(c.channel(), UserTrustManager.API, "unknown", "no certificate in the session");
                c.close();
                return;
            }
            auth = new ClientAuthorization<>(trust, chain, (t, ch, now) -> UserTrustManager.validate(me, t, ch, now));
            try {
                LocalUser user = auth.current(clock.instant());
                handshakes.local(user.actor(), ssl.engine(), c.channel().remoteAddress() instanceof java.net.InetSocketAddress
                        ? ((java.net.InetSocketAddress) c.channel().remoteAddress()).getHostString() : null);
                c.channel().attr(LocalServer.USER).set(user);
            } catch (CertificateException x) {
                failures.refused(c.channel(), UserTrustManager.API, actor(), "session refused: " + x.getMessage());
                c.close();
                return;
            }
        }
        super.userEventTriggered(c, evt);
    }

    private String actor() {
        return "SHA256:" + Fingerprint.of(auth.certificate()).hex();
    }

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
        if (refused || auth == null || c.channel().attr(LocalServer.USER).get() == null) {
            ReferenceCountUtil.release(msg);
            c.close();
            return;
        }
        if (msg instanceof HttpRequest) {
            try {
                c.channel().attr(LocalServer.USER).set(auth.current(clock.instant()));
            } catch (CertificateException x) {
                ReferenceCountUtil.release(msg);
                refused = true;
                failures.refused(c.channel(), UserTrustManager.API, actor(), "request refused: " + x.getMessage());
                byte[] body = ("{\"error\":\"" + ErrorCode.UNAUTHORIZED.code() + "\",\"message\":\"your certificate is no longer"
                        + " accepted by this gateway (revoked, expired or no longer listed)\",\"retryable\":false}")
                        .getBytes(StandardCharsets.UTF_8);
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                        Unpooled.wrappedBuffer(body));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                c.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        super.channelRead(c, msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        if (c.channel().attr(LocalServer.USER).get() == null) {
            LOG.debug("local connection from {} failed before authentication: {}", c.channel().remoteAddress(), cause.toString());
            c.close();
            return;
        }
        c.fireExceptionCaught(cause);
    }
}
