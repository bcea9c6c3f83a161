package org.liaison.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes clients that keep a connection busy without sending a request at a useful pace
 * ("slowloris"): a read timeout alone is reset by every byte, so one byte every few seconds would
 * hold a connection forever.
 *
 * <ul>
 *   <li>{@link Mode#HTTP} (after an HTTP codec, on a connection or an HTTP/2 stream): a request head
 *       must be complete within {@code deadline} of the connection opening (of its TLS handshake ending,
 *       when one is under way before this handler) or the previous answer being written; while a request body is being read, at least {@code minBytesPerSecond} must arrive,
 *       checked over each {@code deadline} (not while the server itself paused reading).</li>
 *   <li>{@link Mode#FRAMES} (HTTP/2, between the frame codec and the streams): some frame must be
 *       complete within each {@code deadline}.</li>
 * </ul>
 *
 * A client that falls behind gets a {@link ReadTimeoutException} down the pipeline: the API
 * handler audits it as a stalled client and closes the connection.
 */
public final class SlowClientGuard extends ChannelDuplexHandler {
    public enum Mode { HTTP, FRAMES }

    private final Mode mode;
    private final long deadlineNanos;
    private final long minBytesPerWindow;
    private ScheduledFuture<?> headTimer;
    private ScheduledFuture<?> rateTimer;
    private boolean inBody;
    private long bytesThisWindow;

    public SlowClientGuard(Mode mode, Duration deadline, long minBytesPerSecond) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline: " + deadline + " (expected: > 0)");
        }
        this.mode = mode;
        this.deadlineNanos = deadline.toNanos();
        this.minBytesPerWindow = Math.max(1, minBytesPerSecond * Math.max(1, deadline.toSeconds()));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive() && !handshaking(ctx)) {
            armHead(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (!handshaking(ctx)) {
            armHead(ctx);
        }
        super.channelActive(ctx);
    }

    /**
     * Whether a TLS handshake before this handler is still under way: the head's time starts when it ends (a slow
     * handshake must not eat it). The handshake has its own bound, the TLS handler's handshake timeout (the
     * servers set 10 s), which closes a connection whose handshake never ends.
     */
    private static boolean handshaking(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        return ssl != null && !ssl.handshakeFuture().isDone();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess() && headTimer == null && !inBody
                && ctx.channel().isActive()) {
            armHead(ctx); // the client can send its request head from now on
        }
        super.userEventTriggered(ctx, evt);
    }

    private void armHead(ChannelHandlerContext ctx) {
        cancel(headTimer);
        headTimer = ctx.executor().schedule(() -> tooSlow(ctx), deadlineNanos, TimeUnit.NANOSECONDS);
    }

    private void tooSlow(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            ctx.fireExceptionCaught(ReadTimeoutException.INSTANCE);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (mode == Mode.FRAMES) {
            armHead(ctx); // a complete frame: the client is making progress
        } else {
            if (msg instanceof HttpRequest) {
                cancel(headTimer);
                headTimer = null;
                inBody = true;
                bytesThisWindow = 0;
                cancel(rateTimer);
                rateTimer = ctx.executor().scheduleAtFixedRate(() -> checkRate(ctx), deadlineNanos, deadlineNanos,
                        TimeUnit.NANOSECONDS);
            }
            if (msg instanceof HttpContent) {
                ByteBuf b = ((ByteBufHolder) msg).content();
                bytesThisWindow += b.readableBytes();
                if (msg instanceof LastHttpContent) {
                    inBody = false;
                    cancel(rateTimer);
                    rateTimer = null;
                    // The next request's deadline starts when this one's answer is written (a download may be long).
                }
            }
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) throws Exception {
        if (mode == Mode.HTTP && msg instanceof LastHttpContent) { // also a full response
            promise = promise.unvoid();
            promise.addListener(f -> {
                if (f.isSuccess() && ctx.channel().isActive() && !inBody) {
                    armHead(ctx);
                }
            });
        }
        super.write(ctx, msg, promise);
    }

    private void checkRate(ChannelHandlerContext ctx) {
        if (!inBody) {
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            bytesThisWindow = 0; // the server paused reading: not the client's fault
            return;
        }
        if (bytesThisWindow < minBytesPerWindow) {
            cancel(rateTimer);
            tooSlow(ctx);
        }
        bytesThisWindow = 0;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel(headTimer);
        cancel(rateTimer);
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel(headTimer);
        cancel(rateTimer);
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }
}
