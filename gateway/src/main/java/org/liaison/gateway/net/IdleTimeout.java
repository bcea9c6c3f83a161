package org.liaison.gateway.net;

import io.netty.channel.ChannelHandlerContext;
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
 * that stops reading stops the output, and is closed.
 */
public final class IdleTimeout extends IdleStateHandler {
    public IdleTimeout(Duration idle) {
        super(true, 0, 0, idle.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        if (evt.state() == IdleState.ALL_IDLE && ctx.channel().isActive()) {
            ctx.fireExceptionCaught(ReadTimeoutException.INSTANCE);
            ctx.close();
        }
    }
}
