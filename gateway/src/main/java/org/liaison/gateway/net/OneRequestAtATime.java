package org.liaison.gateway.net;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Consumer;
import org.liaison.protocol.ErrorCode;

/**
 * HTTP/1.1 pipelining is not served: a request that arrives before the answer to the one before it
 * is complete is dropped with everything after it, reading stops, and the connection closes once that
 * answer is written. So answers can never leave out of order (the API handlers work requests out on
 * workers), and nothing sent after a request that is then refused is processed. Sits between the
 * HTTP codec and the API handler; an HTTP/2 stream carries one request and needs none.
 */
public final class OneRequestAtATime extends ChannelDuplexHandler {
    /** How a dropped pipelined request is audited and counted (it gets no answer of its own). */
    public static final String REFUSAL = ErrorCode.PIPELINING_REFUSED.code() + " a request sent before the"
            + " answer to the one before it (HTTP pipelining) is not served: the connection closed after that answer";
    private final Consumer<ChannelHandlerContext> onPipelined;
    /** A request came in whose answer has not been written to its end yet. */
    private boolean answering;
    /** A request came in during an answer: nothing more is read, and the connection closes after that answer. */
    private boolean pipelined;

    /** @param onPipelined told once per connection that pipelined requests were dropped (to audit and count it) */
    public OneRequestAtATime(Consumer<ChannelHandlerContext> onPipelined) {
        this.onPipelined = onPipelined;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (pipelined) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest) {
            if (answering) {
                ReferenceCountUtil.release(msg);
                pipelined = true;
                ctx.channel().config().setAutoRead(false);
                onPipelined.accept(ctx);
                return;
            }
            answering = true;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse && ((HttpResponse) msg).status().codeClass()
                == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            ctx.write(msg, promise); // a 100 Continue is not the answer
            return;
        }
        boolean last = msg instanceof LastHttpContent;
        if (last) {
            answering = false;
        }
        if (last && pipelined) {
            ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.write(msg, promise);
    }
}
