package org.liaison.gateway.delivery;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedStream;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Purpose;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.tls.PeerIdentity;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ErrorDocuments;
import org.liaison.protocol.ProtocolException;

/**
 * Sends one message to a peer gateway over mutually authenticated TLS and returns its answer: the
 * receipt bytes, or a {@link ProtocolException} whose code says whether a retry can help. The
 * server must present the gateway certificate the directory lists for the expected recipient.
 * Payloads are streamed from disk; memory stays bounded.
 */
public final class PeerClient implements AutoCloseable {
    private static final int MAX_RESPONSE = 1 << 20;
    private final EventLoopGroup group = org.liaison.gateway.net.EventLoops.group("client", 2);
    private final SslContext tls;
    private final PeerIdentity identity;
    private final Duration timeout;

    public PeerClient(SslContext tls, PeerIdentity identity, Duration timeout) {
        this.tls = tls;
        this.identity = identity;
        this.timeout = timeout;
    }

    /** Delivers one message; returns the receiver's receipt, or throws its error document as an exception. */
    public byte[] send(AuthorityId recipient, URI endpoint, byte[] envelope, List<Path> payloads) throws ProtocolException {
        return exchange(recipient, endpoint, (ch, answer) -> writeRequest(ch, endpoint.getHost(), port(endpoint), envelope, payloads,
                answer));
    }

    /** {@code GET pathAndQuery} on the peer API of {@code peer}; returns the body of a 200 answer. */
    public byte[] get(AuthorityId peer, URI endpoint, String pathAndQuery) throws ProtocolException {
        return exchange(peer, endpoint, (ch, answer) -> {
            HttpRequest req = new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, pathAndQuery);
            req.headers().set(HttpHeaderNames.HOST, endpoint.getHost() + ":" + port(endpoint));
            req.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
            ch.writeAndFlush(req);
        });
    }

    private static int port(URI endpoint) {
        return endpoint.getPort() < 0 ? 443 : endpoint.getPort();
    }

    private byte[] exchange(AuthorityId recipient, URI endpoint,
            java.util.function.BiConsumer<Channel, CompletableFuture<FullHttpResponse>> request) throws ProtocolException {
        String host = endpoint.getHost();
        int port = port(endpoint);
        CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 30_000))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("tls", tls.newHandler(ch.alloc(), host, port))
                                .addLast("timeout", new ReadTimeoutHandler(timeout.toMillis(), TimeUnit.MILLISECONDS))
                                .addLast("http", new HttpClientCodec())
                                .addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE))
                                .addLast("chunks", new ChunkedWriteHandler())
                                .addLast("answer", new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                                        answer.complete(msg.retainedDuplicate());
                                        ctx.close();
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        answer.completeExceptionally(cause);
                                        ctx.close();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        answer.completeExceptionally(new IOException("the connection closed before an answer"));
                                    }
                                });
                    }
                });
        Channel ch;
        try {
            ch = b.connect(host, port).sync().channel();
        } catch (Exception e) {
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "cannot connect to " + recipient + " at " + endpoint + ": " + e.getMessage());
        }
        try {
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            ssl.handshakeFuture().addListener(f -> {
                if (!f.isSuccess()) {
                    answer.completeExceptionally(f.cause());
                    return;
                }
                try {
                    X509Certificate server = (X509Certificate) ssl.engine().getSession().getPeerCertificates()[0];
                    AuthorityId who = identity.identify(server, Purpose.TLS_SERVER);
                    if (!who.equals(recipient)) {
                        throw new CertificateException("the server at " + endpoint + " is " + who + ", not " + recipient);
                    }
                } catch (Exception e) {
                    answer.completeExceptionally(new ProtocolException(ErrorCode.UNAUTHORIZED, e.getMessage()));
                    ch.close();
                    return;
                }
                request.accept(ch, answer);
            });
            FullHttpResponse r = answer.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
            try {
                byte[] body = ByteBufUtil.getBytes(r.content());
                if (r.status().equals(HttpResponseStatus.OK)) {
                    return body;
                }
                throw ErrorDocuments.read(body);
            } finally {
                r.release();
            }
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ProtocolException) {
                throw (ProtocolException) c;
            }
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "delivery to " + recipient + " failed: " + c.getMessage());
        } catch (TimeoutException e) {
            throw new ProtocolException(ErrorCode.TIMEOUT, "no answer from " + recipient + " within " + timeout.multipliedBy(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "interrupted");
        } finally {
            ch.close();
        }
    }

    private static void writeRequest(Channel ch, String host, int port, byte[] envelope, List<Path> payloads,
            CompletableFuture<FullHttpResponse> answer) {
        try {
            long length = 4L + envelope.length;
            List<InputStream> parts = new ArrayList<>();
            parts.add(new ByteArrayInputStream(ByteBuffer.allocate(4).putInt(envelope.length).array()));
            parts.add(new ByteArrayInputStream(envelope));
            for (Path p : payloads) {
                length += Files.size(p);
                parts.add(Files.newInputStream(p));
            }
            HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, ReceiveHandler.PATH);
            req.headers().set(HttpHeaderNames.HOST, host + ":" + port);
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, ReceiveHandler.MESSAGE_TYPE);
            req.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
            ch.write(req);
            // A failed write is not the answer: a receiver that refuses early answers and closes while
            // the payloads are still going out, and its error document (say, a final refusal) is what
            // counts. If no answer arrives, channelInactive completes the attempt as failed.
            ch.writeAndFlush(new HttpChunkedInput(new ChunkedStream(new SequenceInputStream(Collections.enumeration(parts)), 64 * 1024)))
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            ch.close();
                        }
                    });
        } catch (IOException e) {
            answer.completeExceptionally(e);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
