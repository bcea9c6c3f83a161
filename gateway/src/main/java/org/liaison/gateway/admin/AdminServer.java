package org.liaison.gateway.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.net.Listeners;

/**
 * The admin port: {@code GET /health} (the process is up), {@code GET /ready} (the node accepts
 * messages: started, directory current) and {@code GET /metrics} (Prometheus text format).
 * Plain HTTP: bind it to loopback or an operations network only. Pipeline: timeout → HTTP codec →
 * aggregator (requests are tiny) → handler.
 */
public final class AdminServer implements AutoCloseable {
    private final EventLoopGroup group = EventLoops.group("admin", 1);
    /** The answers (readiness checks the disk, metrics read the store) are made here, not on the event loop. */
    private final io.netty.util.concurrent.EventExecutorGroup answers = new io.netty.util.concurrent.DefaultEventExecutorGroup(1,
            new io.netty.util.concurrent.DefaultThreadFactory("liaison-admin-answers", true));
    private final Channel channel;

    public AdminServer(String host, int port, NodeMetrics metrics, BooleanSupplier ready) throws InterruptedException, java.io.IOException {
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("timeout", new ReadTimeoutHandler(10, TimeUnit.SECONDS))
                                .addLast("http", new HttpServerCodec(1024, 4096, 4096))
                                .addLast("aggregate", new HttpObjectAggregator(4096))
                                .addLast(answers, "admin", new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        HttpResponseStatus status = HttpResponseStatus.OK;
                                        String type = "text/plain; charset=utf-8";
                                        String body;
                                        if (!HttpMethod.GET.equals(req.method())) {
                                            status = HttpResponseStatus.METHOD_NOT_ALLOWED;
                                            body = "GET only\n";
                                        } else if (req.uri().equals("/health")) {
                                            body = "ok\n";
                                        } else if (req.uri().equals("/ready")) {
                                            boolean r = ready.getAsBoolean();
                                            status = r ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE;
                                            body = r ? "ready\n" : "not ready\n";
                                        } else if (req.uri().equals("/metrics")) {
                                            type = "text/plain; version=0.0.4; charset=utf-8";
                                            body = metrics.scrape();
                                        } else {
                                            status = HttpResponseStatus.NOT_FOUND;
                                            body = "try /health, /ready or /metrics\n";
                                        }
                                        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                                                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                                        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
                                        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
                                        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                });
        channel = Listeners.bind(b, host, port, "admin", this::close);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (channel != null) { // null when the bind failed
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        answers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
