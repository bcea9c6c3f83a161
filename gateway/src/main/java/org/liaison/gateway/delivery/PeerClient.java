package org.liaison.gateway.delivery;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
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
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Purpose;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.net.IdleTimeout;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.net.ResumeFrom;
import org.liaison.gateway.tls.ClientAuthorization;
import org.liaison.gateway.tls.PeerIdentity;
import org.liaison.gateway.tls.TlsHandshakes;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ErrorDocuments;
import org.liaison.protocol.PeerApi;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Receipts;

/**
 * Sends messages to peer gateways over mutually authenticated TLS and returns their answers: the
 * receipt bytes, or a {@link ProtocolException} whose code says whether a retry can help. The
 * server must present the gateway certificate the directory lists for the expected recipient —
 * checked at the handshake and again, on a reused connection, whenever the trust changed.
 *
 * <p>Connections are kept alive and reused (HTTP/1.1 keep-alive, one request at a time per
 * connection, a pool per peer): a TLS handshake per message is the largest cost of a small one.
 * A connection idle for {@link #MAX_IDLE} is not reused (the peer closes idle ones after its read
 * timeout), and any connection whose exchange failed is closed. The delivery worker bounds how
 * many a peer gets at once. Payloads are streamed from disk; memory stays bounded.
 */
public final class PeerClient implements AutoCloseable {
    private static final int MAX_RESPONSE = 1 << 20;
    /** A pooled connection idle longer than this is closed rather than reused. */
    static final Duration MAX_IDLE = Duration.ofSeconds(2);
    private static final io.netty.util.AttributeKey<CompletableFuture<FullHttpResponse>> ANSWER =
            io.netty.util.AttributeKey.valueOf("liaison.answer");
    private static final io.netty.util.AttributeKey<Long> IDLE_SINCE = io.netty.util.AttributeKey.valueOf("liaison.idle-since");
    private final EventLoopGroup group = EventLoops.group("client", 2);
    /** Where the server's certificate is checked (the trust manager audits refusals): not the event loop. */
    private final java.util.concurrent.ExecutorService handshakes;
    /** Where payload files are read ahead of the wire (see MessageBody): not the event loop. */
    private final java.util.concurrent.ExecutorService readers;
    private static final io.netty.util.AttributeKey<Integer> GENERATION = io.netty.util.AttributeKey.valueOf("liaison.keys");
    private final java.util.function.Supplier<SslContext> tls;
    /** Raised when the node's TLS key changes: connections made with an earlier key are not reused. */
    private volatile int generation;
    private final PeerIdentity identity;
    private final Duration timeout;
    private final java.util.concurrent.ConcurrentHashMap<String, io.netty.channel.pool.SimpleChannelPool> pools =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong connections = new java.util.concurrent.atomic.AtomicLong();

    private final TlsHandshakes tlsHandshakes;
    private static final io.netty.util.AttributeKey<Boolean> GROUP_CHECKED = io.netty.util.AttributeKey.valueOf("liaison.tls-group");

    /**
     * {@code tls} is asked for each new connection (see {@link #retireConnections}); {@code tlsHandshakes} sets its
     * key-exchange groups, and audits and checks the group each one negotiated (no downgrade between hybrid peers).
     */
    private final java.time.Clock clock;

    public PeerClient(java.util.function.Supplier<SslContext> tls, PeerIdentity identity, Duration timeout,
            TlsHandshakes tlsHandshakes, NodeRuntime runtime) {
        this.handshakes = runtime.tls("client-tls");
        this.readers = runtime.blocking("client-read");
        this.clock = runtime.clock();
        this.tls = tls;
        this.identity = identity;
        this.timeout = timeout;
        this.tlsHandshakes = tlsHandshakes;
    }

    /**
     * The node's TLS key changed: exchanges under way finish on their connections, which are then
     * closed instead of reused; new connections present the new certificate.
     */
    public void retireConnections() {
        generation++;
    }

    /** How many connections (TLS handshakes) this client has opened. */
    public long connectionsOpened() {
        return connections.get();
    }

    /** Payload bytes read for the wire so far (a resumed delivery counts only what it resent). */
    public long payloadBytesSent() {
        return payloadBytesSent.get();
    }

    private final java.util.concurrent.atomic.AtomicLong payloadBytesSent = new java.util.concurrent.atomic.AtomicLong();

    /** The schema version this node announces to its peers in every request (null: none, as a node before 1.4 did). */
    private volatile String schema = Receipts.EVIDENCE_SCHEMA;

    /**
     * Announces {@code version} in the {@value org.liaison.protocol.envelope.Receipts#SCHEMA_HEADER} header of every request
     * (null: no header, as a node before schema 1.4): a peer from 1.4 on answers a message with a delivered evidence,
     * and sends its notices as evidence, to a node that announces 1.4 or later; else the receipt and notice of before.
     */
    public void announceSchema(String version) {
        this.schema = version;
    }

    private void announce(HttpRequest req) {
        String v = schema;
        if (v != null) {
            req.headers().set(Receipts.SCHEMA_HEADER, v);
        }
    }

    /** Delivers one message whole; returns the receiver's receipt, or throws its error document as an exception. */
    public byte[] send(AuthorityId recipient, URI endpoint, byte[] envelope, List<Path> payloads) throws ProtocolException {
        return send(recipient, endpoint, envelope, payloads, 0);
    }

    /**
     * Delivers one message, its payload bytes from {@code from} on (where the receiver's staged transfer
     * resumes, see {@link #resumeOffset}).
     */
    public byte[] send(AuthorityId recipient, URI endpoint, byte[] envelope, List<Path> payloads, long from) throws ProtocolException {
        long[] sizes = new long[payloads.size()];
        long bytes = envelope.length;
        for (int i = 0; i < sizes.length; i++) {
            try {
                sizes[i] = java.nio.file.Files.size(payloads.get(i));
            } catch (IOException e) {
                throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "payload " + i + " of the message is missing from the outbox");
            }
            bytes += sizes[i];
        }
        return exchange(recipient, endpoint, bytes - from, (ch, answer) -> writeRequest(ch, endpoint.getHost(), port(endpoint), envelope,
                payloads, sizes, from));
    }

    /**
     * Where the receiver's staged transfer of {@code messageId} resumes, in payload bytes: 0 when it holds
     * nothing (or is a node that does not resume), {@code total} when it already received the message.
     */
    public long resumeOffset(AuthorityId recipient, URI endpoint, java.util.UUID messageId, long total) throws ProtocolException {
        byte[] body;
        try {
            body = get(recipient, endpoint, PeerApi.transferPath(messageId));
        } catch (ProtocolException e) {
            if (e.code().isRetryable()) {
                throw e;
            }
            return 0; // a node of an earlier version: no resume, the message goes whole
        }
        try {
            com.fasterxml.jackson.databind.JsonNode state = JSON.readTree(body);
            if (state.path("received").asBoolean(false)) {
                return total;
            }
            long offset = state.path("offset").asLong(0);
            return offset < 0 || offset > total ? 0 : offset;
        } catch (IOException e) {
            return 0;
        }
    }

    /** {@code GET pathAndQuery} on the peer API of {@code peer}; returns the body of a 200 answer. */
    public byte[] get(AuthorityId peer, URI endpoint, String pathAndQuery) throws ProtocolException {
        return exchange(peer, endpoint, 0, (ch, answer) -> {
            HttpRequest req = new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, pathAndQuery);
            req.headers().set(HttpHeaderNames.HOST, endpoint.getHost() + ":" + port(endpoint));
            announce(req);
            req.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
            ch.writeAndFlush(req);
        });
    }

    /** {@code POST path} of a small document on the peer API of {@code peer}; returns the body of a 200 answer. */
    public byte[] post(AuthorityId peer, URI endpoint, String path, String contentType, byte[] body) throws ProtocolException {
        return exchange(peer, endpoint, body.length, (ch, answer) -> {
            io.netty.handler.codec.http.FullHttpRequest req = new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                    HttpMethod.POST, path, io.netty.buffer.Unpooled.wrappedBuffer(body));
            req.headers().set(HttpHeaderNames.HOST, endpoint.getHost() + ":" + port(endpoint));
            announce(req);
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            req.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ch.writeAndFlush(req);
        });
    }

    /** A peer's answer with its status and content type, whatever the status (for protocols that answer in statuses). */
    public record Answer(int status, String contentType, byte[] body) {}

    /** {@code POST path} of a small body; returns the answer whatever its status (the witness protocol's 409 and 422). */
    public Answer postForAnswer(AuthorityId peer, URI endpoint, String path, String contentType, byte[] body) throws ProtocolException {
        java.util.concurrent.atomic.AtomicReference<Answer> out = new java.util.concurrent.atomic.AtomicReference<>();
        byte[] b = exchange(peer, endpoint, body.length, (ch, answer) -> {
            io.netty.handler.codec.http.FullHttpRequest req = new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                    HttpMethod.POST, path, io.netty.buffer.Unpooled.wrappedBuffer(body));
            req.headers().set(HttpHeaderNames.HOST, endpoint.getHost() + ":" + port(endpoint));
            announce(req);
            req.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            req.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ch.writeAndFlush(req);
        }, r -> out.set(new Answer(r.status().code(), r.headers().get(HttpHeaderNames.CONTENT_TYPE), null)));
        return new Answer(out.get().status(), out.get().contentType(), b);
    }

    private static int port(URI endpoint) {
        return endpoint.getPort() < 0 ? 443 : endpoint.getPort();
    }

    /** The pool of connections to one peer at one endpoint. */
    private io.netty.channel.pool.SimpleChannelPool pool(AuthorityId recipient, URI endpoint) {
        String host = endpoint.getHost();
        int port = port(endpoint);
        return pools.computeIfAbsent(recipient + " " + host + ":" + port, k -> {
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class).remoteAddress(host, port)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeout.toMillis(), 30_000))
                    // Chunks of MessageBody.CHUNK go out back to back: with Netty's 64 KiB default the body stalls after each one.
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new io.netty.channel.WriteBufferWaterMark(MessageBody.CHUNK,
                            4 * MessageBody.CHUNK));
            io.netty.channel.pool.ChannelPoolHandler handler = new io.netty.channel.pool.AbstractChannelPoolHandler() {
                @Override
                public void channelCreated(Channel ch) {
                    connections.incrementAndGet();
                    ch.attr(GENERATION).set(generation);
                    SslHandler ssl = tls.get().newHandler(ch.alloc(), host, port, handshakes);
                    tlsHandshakes.offer(ssl.engine()); // the hybrid group first when this node announces it
                    ch.pipeline()
                            .addLast("tls", ssl)
                            .addLast("timeout", new IdleTimeout(timeout)) // a long upload runs while it moves
                            .addLast("http", new HttpClientCodec())
                            .addLast("aggregate", new HttpObjectAggregator(MAX_RESPONSE))
                            .addLast("chunks", new ChunkedWriteHandler())
                            .addLast("answer", new SimpleChannelInboundHandler<FullHttpResponse>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
                                    CompletableFuture<FullHttpResponse> a = ctx.channel().attr(ANSWER).getAndSet(null);
                                    if (a == null || !a.complete(msg.retainedDuplicate())) {
                                        ctx.close(); // an answer nobody asked for: not a connection to keep
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    CompletableFuture<FullHttpResponse> a = ctx.channel().attr(ANSWER).getAndSet(null);
                                    if (a != null) {
                                        a.completeExceptionally(cause);
                                    }
                                    ctx.close();
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    CompletableFuture<FullHttpResponse> a = ctx.channel().attr(ANSWER).getAndSet(null);
                                    if (a != null) {
                                        a.completeExceptionally(new IOException("the connection closed before an answer"));
                                    }
                                }
                            });
                }
            };
            // Reused only while open and not idle for long: the peer closes idle connections after its read timeout.
            io.netty.channel.pool.ChannelHealthChecker fresh = ch -> {
                Long since = ch.attr(IDLE_SINCE).get();
                Integer made = ch.attr(GENERATION).get();
                boolean ok = ch.isActive() && (since == null || System.nanoTime() - since < MAX_IDLE.toNanos())
                        && made != null && made == generation;
                if (!ok) {
                    ch.close();
                }
                return ch.eventLoop().newSucceededFuture(ok);
            };
            return new io.netty.channel.pool.SimpleChannelPool(b, handler, fresh);
        });
    }

    /** A reused connection that the peer closed as the request went out: nothing was answered, the request may go again. */
    private static final class Stale extends Exception {
        Stale(Throwable cause) {
            super(cause);
        }
    }

    /**
     * How long an exchange may take in all: twice the timeout plus the body at {@value #SLOWEST_BYTES_PER_SECOND}
     * bytes per second. Within it the idle timeout ends an exchange on which nothing moves; this bound ends one
     * that a receiver trickles along.
     */
    private Duration limit(long bodyBytes) {
        return timeout.multipliedBy(2).plusSeconds(bodyBytes / SLOWEST_BYTES_PER_SECOND);
    }

    static final long SLOWEST_BYTES_PER_SECOND = 1_000_000;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    /** After the last byte of a request is written: time for what the kernels buffer (some MiB) to drain at the slowest rate. */
    static final Duration DRAIN = Duration.ofSeconds(16);

    private byte[] exchange(AuthorityId recipient, URI endpoint, long bodyBytes,
            java.util.function.BiConsumer<Channel, CompletableFuture<FullHttpResponse>> request) throws ProtocolException {
        return exchange(recipient, endpoint, bodyBytes, request, (java.util.function.Consumer<FullHttpResponse>) null);
    }

    /** As above; with {@code head}, any status is an answer: {@code head} sees the response and its body is returned. */
    private byte[] exchange(AuthorityId recipient, URI endpoint, long bodyBytes,
            java.util.function.BiConsumer<Channel, CompletableFuture<FullHttpResponse>> request,
            java.util.function.Consumer<FullHttpResponse> head) throws ProtocolException {
        try {
            return exchange(recipient, endpoint, bodyBytes, request, true, head);
        } catch (Stale e) {
            // Once more on a new connection: receiving is idempotent (a duplicate gets the same receipt).
            try {
                return exchange(recipient, endpoint, bodyBytes, request, false, head);
            } catch (Stale again) {
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "delivery to " + recipient + " failed: "
                        + again.getCause().getMessage());
            }
        }
    }

    private byte[] exchange(AuthorityId recipient, URI endpoint, long bodyBytes,
            java.util.function.BiConsumer<Channel, CompletableFuture<FullHttpResponse>> request, boolean mayReuse,
            java.util.function.Consumer<FullHttpResponse> head) throws ProtocolException, Stale {
        io.netty.channel.pool.SimpleChannelPool pool = pool(recipient, endpoint);
        Channel acquired;
        try {
            acquired = pool.acquire().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            for (int i = 0; !mayReuse && acquired.attr(IDLE_SINCE).get() != null && i < 16; i++) {
                acquired.close(); // a new connection is wanted: let go of the idle ones
                pool.release(acquired);
                acquired = pool.acquire().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "interrupted");
        } catch (ExecutionException | TimeoutException e) {
            Throwable c = e instanceof ExecutionException ? e.getCause() : e;
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "cannot connect to " + recipient + " at " + endpoint + ": " + why(c));
        }
        Channel ch = acquired;
        boolean reusable = false;
        boolean reused = ch.attr(IDLE_SINCE).get() != null;
        CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        try {
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            // Closed as soon as it was made (a peer or a middlebox that drops connections), the pipeline is gone: a failure.
            io.netty.util.concurrent.Future<Channel> handshake = ssl != null ? ssl.handshakeFuture()
                    : ch.eventLoop().newFailedFuture(new IOException("the connection closed before TLS began"));
            handshake.addListener(f -> {
                if (!f.isSuccess()) {
                    answer.completeExceptionally(f.cause());
                    return;
                }
                try {
                    serverAuthorization(ch, ssl, recipient, endpoint).current(clock.instant());
                } catch (Exception e) {
                    // On a connection made earlier, the server may since have rotated its key (and the directory
                    // withdrawn the old certificate): nothing was sent, so it is asked again on a new connection,
                    // where the certificate it presents now is checked (and a refusal there is final).
                    answer.completeExceptionally(reused ? new IOException("the server's certificate on a reused connection is no"
                            + " longer accepted: " + e.getMessage()) : new ProtocolException(ErrorCode.UNAUTHORIZED, e.getMessage()));
                    return;
                }
                if (ch.attr(GROUP_CHECKED).setIfAbsent(Boolean.TRUE) == null) { // once per connection
                    TlsHandshakes.Outcome o = tlsHandshakes.peer(TlsHandshakes.DELIVERY,
                            recipient, ssl.engine(), endpoint.toString());
                    if (o.refused()) {
                        ch.close(); // nothing was sent on it
                        answer.completeExceptionally(new ProtocolException(ErrorCode.TLS_DOWNGRADE_REFUSED, o.refusal()));
                        return;
                    }
                }
                ch.attr(ANSWER).set(answer);
                ch.pipeline().replace("timeout", "timeout", new IdleTimeout(timeout));
                if (!ch.isActive()) {
                    answer.completeExceptionally(new IOException("the connection closed before the request"));
                    return;
                }
                request.accept(ch, answer);
            });
            FullHttpResponse r = answer.get(limit(bodyBytes).toMillis(), TimeUnit.MILLISECONDS);
            try {
                byte[] body = ByteBufUtil.getBytes(r.content());
                if (r.status().equals(HttpResponseStatus.OK) || head != null) {
                    reusable = io.netty.handler.codec.http.HttpUtil.isKeepAlive(r);
                    if (head != null) {
                        head.accept(r);
                    }
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
            if (reused && c instanceof IOException) {
                throw new Stale(c);
            }
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "delivery to " + recipient + " failed: " + why(c));
        } catch (TimeoutException e) {
            throw new ProtocolException(ErrorCode.TIMEOUT, "no answer from " + recipient + " within " + limit(bodyBytes));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "interrupted");
        } finally {
            ch.attr(ANSWER).set(null);
            if (reusable && ch.isActive()) {
                ch.attr(IDLE_SINCE).set(System.nanoTime());
            } else {
                ch.close(); // a failed or refused exchange leaves nothing to reuse
            }
            pool.release(ch);
        }
    }

    /** A failure in words: its message, or what it is when it has none (a timeout). */
    private String why(Throwable c) {
        if (c instanceof io.netty.handler.timeout.ReadTimeoutException) {
            return "nothing moved on the connection for " + timeout;
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }

    /** The server's identity on this connection, checked again whenever the trust changed (a revoked peer is not reused). */
    private ClientAuthorization<AuthorityId> serverAuthorization(Channel ch, SslHandler ssl, AuthorityId recipient, URI endpoint)
            throws javax.net.ssl.SSLPeerUnverifiedException {
        ClientAuthorization<AuthorityId> auth = ch.attr(SERVER).get();
        if (auth == null) {
            List<X509Certificate> chain = ClientAuthorization.peerChain(ssl.engine().getSession());
            if (chain.isEmpty()) {
                throw new javax.net.ssl.SSLPeerUnverifiedException("the server presented no certificate");
            }
            auth = new ClientAuthorization<>(identity::trust, chain, (trust, c, now) -> {
                AuthorityId who = PeerIdentity.identify(trust, c.get(0), Purpose.TLS_SERVER, now);
                if (!who.equals(recipient)) {
                    throw new CertificateException("the server at " + endpoint + " is " + who + ", not " + recipient);
                }
                return who;
            });
            ch.attr(SERVER).set(auth);
        }
        return auth;
    }

    private static final io.netty.util.AttributeKey<ClientAuthorization<AuthorityId>> SERVER =
            io.netty.util.AttributeKey.valueOf("liaison.server");

    private void writeRequest(Channel ch, String host, int port, byte[] envelope, List<Path> payloads, long[] sizes, long from) {
        MessageBody body = new MessageBody(envelope, payloads, sizes, from, payloadBytesSent, readers);
        ChunkedWriteHandler chunks = (ChunkedWriteHandler) ch.pipeline().get("chunks");
        body.onReady(chunks::resumeTransfer); // a chunk read ahead is ready: the handler writes on
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, PeerApi.MESSAGES);
        req.headers().set(HttpHeaderNames.HOST, host + ":" + port);
        announce(req);
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, PeerApi.MESSAGE_TYPE);
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length());
        if (from > 0) {
            req.headers().set(ResumeFrom.HEADER, from);
        }
        ch.write(req);
        // A failed write is not the answer: a receiver that refuses early answers and closes while
        // the payloads are still going out, and its error document (say, a final refusal) is what
        // counts. If no answer arrives, channelInactive completes the attempt as failed.
        ch.writeAndFlush(new HttpChunkedInput(body)).addListener(f -> {
            if (!f.isSuccess()) {
                ch.close();
            } else if (ch.isActive()) {
                // All written, but the kernels' buffers may still hold megabytes for a slow link, and the receiver then
                // syncs and receipts: nothing moves here meanwhile, for longer than the timeout on a slow link.
                ch.pipeline().replace("timeout", "timeout", new IdleTimeout(timeout.plus(DRAIN)));
            }
        });
    }

    @Override
    public void close() {
        pools.values().forEach(io.netty.channel.pool.SimpleChannelPool::close);
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        handshakes.shutdownNow();
        readers.shutdownNow();
    }
}
