package org.liaison.gateway.peer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Purpose;
import org.liaison.gateway.tls.PeerIdentity;

/**
 * After the TLS handshake, names the peer: the authority whose gateway certificate it presented.
 * The trust manager already refused anything else in the handshake; this handler makes the
 * result available to the API handler as {@link #PEER} and drops connections without one.
 */
public final class PeerAuthenticationHandler extends ChannelInboundHandlerAdapter {
    public static final AttributeKey<AuthorityId> PEER = AttributeKey.valueOf("liaison.peer");
    private final PeerIdentity identity;

    /** The peer of a connection, or of the HTTP/2 connection a stream belongs to. */
    public static AuthorityId peerOf(io.netty.channel.Channel ch) {
        AuthorityId peer = ch.attr(PEER).get();
        return peer == null && ch.parent() != null ? ch.parent().attr(PEER).get() : peer;
    }

    public PeerAuthenticationHandler(PeerIdentity identity) {
        this.identity = identity;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent) {
            SslHandshakeCompletionEvent e = (SslHandshakeCompletionEvent) evt;
            if (!e.isSuccess()) {
                ctx.close();
                return;
            }
            try {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                X509Certificate cert = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
                ctx.channel().attr(PEER).set(identity.identify(cert, Purpose.TLS_CLIENT));
            } catch (SSLPeerUnverifiedException | CertificateException x) {
                ctx.close();
                return;
            }
        }
        super.userEventTriggered(ctx, evt);
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
}
