package org.liaison.gateway.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.ReadTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection on which nothing moved — no byte read, none written, no output drained — for
 * the given time; it then fails like a read timeout ({@link ReadTimeoutException}, then close). Unlike
 * a read timeout it lets a long one-way stream run: a 10 GiB download reads nothing from its client
 * for minutes, and a 10 GiB delivery reads nothing from its receiver until the receipt. A client
 * that stops reading stops the output, and is closed. While the node itself paused reading (auto-read
 * off: it checks a request off the event loop) and nothing of its waits to be written, the time is the
 * node's, not the client's: the connection is not closed for it (the node's own work has its own bounds).
 */
public final class IdleTimeout extends IdleStateHandler {
    public IdleTimeout(Duration idle) {
        super(true, 0, 0, idle.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() == IdleState.ALL_IDLE && ctx.channel().isActive() && !nodeAtWork(ctx.channel())) {
            ctx.fireExceptionCaught(ReadTimeoutException.INSTANCE);
            ctx.close();
        }
    }

    /** The node paused reading and has nothing waiting for the client to read. */
    private static boolean nodeAtWork(Channel ch) {
        if (ch.config().isAutoRead()) {
            return false;
        }
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null || out.totalPendingWriteBytes() == 0;
    }
}
