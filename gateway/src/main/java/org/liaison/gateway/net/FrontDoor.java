package org.liaison.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.liaison.certs.Role;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The one HTTP handler behind both APIs: it owns what every request shares, and hands each request to
 * the service its {@link Routes route table} names. Per request, in this order: a decoder failure is
 * refused ({@link Policy#malformed}); the principal is authenticated again ({@link Policy#authenticate}:
 * every request, whatever the age of the TLS session); a body where the route takes none is refused
 * ({@link Policy#unexpectedBody}); a request no route serves is refused ({@link Policy#unknown}); the
 * route's roles are checked ({@link Policy#authorize}); a body is taken within the route's limit, held in
 * the node's {@link BufferBudget} (whole, or its head until checked: {@link StreamedBody}); the service
 * runs on a worker, reading paused; its {@link Answer} is written on the event loop — a stream through
 * Netty's {@link ChunkedWriteHandler} (added in front of this handler), read on a worker as the client
 * keeps up ({@link OffLoopChunks}). Any refusal goes through one writer: audited and counted by the
 * policy ({@link Policy#refused}), answered with the policy's error document and the status of its code
 * ({@link HttpStatuses}), and the connection closed — after a refused upload, after a linger during which
 * the rest is read and dropped, so that the client reads the answer rather than a reset.
 *
 * <p>One instance per connection (or HTTP/2 stream); event loop only, apart from what it hands to workers.
 *
 * @param <P> the principal of a request
 */
public class FrontDoor<P> extends SimpleChannelInboundHandler<HttpObject> {
    /** What differs between the APIs, as hooks: who is asking, how refusals look and are recorded. */
    public interface Policy<P> {
        /** Who sent a request on {@code channel}, checked again for each request; refuses when nobody (acceptable) is. */
        P authenticate(Channel channel) throws ProtocolException;

        /** Refuses unless {@code principal} holds one of {@code roles} (never empty). */
        void authorize(P principal, java.util.List<Role> roles) throws ProtocolException;

        /** The refusal of a request the HTTP decoder could not read. */
        ProtocolException malformed(Throwable cause);

        /** The refusal of a request no route serves. */
        ProtocolException unknown(String method, String uri, Routes.Miss miss);

        /**
         * The refusal of a body sent to a route that takes none (or to no route), or null when it is read and
         * dropped: asked at the head ({@code bytesSent} false) and again when body bytes arrive.
         */
        ProtocolException unexpectedBody(String method, long contentLength, boolean chunked, boolean bytesSent);

        /** The node's budget for bodies held whole. */
        BufferBudget buffers();

        /** A refusal is answered: audit it, log it, count it (on the event loop: hand blocking work to a pool). */
        void refused(Channel channel, String id, ProtocolException refusal);

        /** A refusal's media type and body. */
        String errorType();

        byte[] error(ProtocolException refusal);

        /** Headers every answer carries (a {@code Date}, say). */
        void decorate(HttpHeaders headers);

        /** The connection failed or stalled ({@link io.netty.handler.timeout.ReadTimeoutException}); it is closed after this. */
        void failed(Channel channel, Throwable cause);

        /** How long a refused upload's connection stays open, its rest read and dropped (0: closed once answered). */
        long lingerMillis();
    }

    /** A refusal answered with a status of its own rather than its code's (405 for a method a path is not served with). */
    public static final class Refusal extends ProtocolException {
        private final int status;

        public Refusal(int status, ErrorCode code, String message) {
            super(code, message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    /** The plain refusals of a miss: 404 for an unknown path, 405 for a method the path is not served with. */
    public static ProtocolException standardMiss(String method, String uri, Routes.Miss miss) {
        return miss == Routes.Miss.NO_PATH ? new ProtocolException(ErrorCode.NOT_FOUND, "nothing is served at " + uri)
                : new Refusal(405, ErrorCode.SCHEMA_INVALID, uri + " is not served with " + method);
    }

    private final Routes<P> routes;
    private final Policy<P> policy;
    private final Executor workers;
    private final Executor writers;
    private final HeldBody held = new HeldBody();
    private final ChunkedWriteHandler chunks = new ChunkedWriteHandler();
    /** The download being written, if any (for the log when it is cut off). */
    private OffLoopChunks downloading;

    private Routes.Route<P> route;
    private Request<P> request;
    private StreamedBody body;
    private ByteArrayOutputStream buffered;
    private BufferBudget.Lease bufferedLease;
    private long received;
    private boolean answered;
    /** After a refused upload: the close that comes when the client has sent nothing more for the linger (see {@link #refuse}). */
    private java.util.concurrent.ScheduledFuture<?> lingerClose;
    private boolean checking;
    private boolean finishing;

    /**
     * @param workers where services run, bodies are checked and completed, downloads read: anything blocking
     * @param writers where streamed bodies' bytes are processed while the event loop reads on
     */
    public FrontDoor(Routes<P> routes, Policy<P> policy, Executor workers, Executor writers) {
        this.routes = routes;
        this.policy = policy;
        this.workers = workers;
        this.writers = writers;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().addBefore(ctx.name(), null, chunks); // answers' streams go through it
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (answered) {
            // After a refusal the rest is dropped while the connection closes; a refused upload's client still sending
            // keeps it open for another linger (see refuse).
            if (lingerClose != null && lingerClose.cancel(false)) {
                lingerClose = ctx.executor().schedule(() -> ctx.close(), policy.lingerMillis(), TimeUnit.MILLISECONDS);
            }
            return;
        }
        try {
            if (msg.decoderResult().isFailure()) {
                throw policy.malformed(msg.decoderResult().cause());
            }
            if (msg instanceof HttpRequest) {
                head(ctx, (HttpRequest) msg);
            }
            if (msg instanceof HttpContent) {
                content(ctx, (HttpContent) msg);
            }
        } catch (ProtocolException e) {
            refuse(ctx, e);
        } catch (RuntimeException e) {
            refuse(ctx, Workers.refusal("complete the request", e));
        }
    }

    private void head(ChannelHandlerContext ctx, HttpRequest req) throws ProtocolException {
        route = null;
        request = null;
        received = 0;
        lastUri = req.uri();
        lastParams = Map.of();
        P who = policy.authenticate(ctx.channel());
        if (finishing) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "one request at a time: the previous one is still being answered");
        }
        String method = req.method().name();
        Routes.Match<P> m = routes.match(method, req.uri());
        long declared = HttpUtil.getContentLength(req, -1L);
        if (m.route() == null || m.route().body() == Routes.Body.NONE) {
            ProtocolException refused = policy.unexpectedBody(method, declared, HttpUtil.isTransferEncodingChunked(req), false);
            if (refused != null) {
                throw refused;
            }
        }
        if (m.route() == null) {
            throw policy.unknown(method, req.uri(), m.miss());
        }
        Routes.Route<P> r = m.route();
        lastParams = m.params();
        if (!r.roles().isEmpty()) {
            policy.authorize(who, r.roles());
        }
        Map<String, java.util.List<String>> query = r.query() ? new QueryStringDecoder(req.uri()).parameters() : Map.of();
        HttpHeaders headers = req.headers();
        Request<P> rq = new Request<>(who, method, req.uri(), m.params(), query, headers::get, declared);
        switch (r.body()) {
            case BUFFERED:
                if (declared > r.limit()) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "a " + r.what() + " exceeds " + r.limit() + " bytes");
                }
                buffered = new ByteArrayOutputStream();
                bufferedLease = policy.buffers().lease(ctx.channel());
                break;
            case STREAMED:
                if (declared > r.limit()) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, r.what() + " of " + declared + " bytes exceeds the limit of "
                            + r.limit());
                }
                StreamedBody b = r.upload().open(rq, policy.buffers().lease(ctx.channel()));
                body = b;
                b.writeOn(writers, PayloadSink.Flow.autoRead(ctx, () -> body == b && !answered && !checking && !finishing),
                        failure -> ctx.executor().execute(() -> {
                            if (body == b && !answered) {
                                refuse(ctx, failure);
                            }
                        }));
                break;
            default:
                break;
        }
        route = r;
        request = rq;
    }

    private void content(ChannelHandlerContext ctx, HttpContent c) throws ProtocolException {
        boolean last = c instanceof LastHttpContent;
        if (request == null) {
            if (!c.content().isReadable() && last) {
                return; // the empty end of a request already answered
            }
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "body without a request");
        }
        Routes.Route<P> r = route;
        ByteBuf content = c.content();
        switch (r.body()) {
            case NONE:
                if (content.isReadable()) {
                    ProtocolException refused = policy.unexpectedBody(request.method(), request.contentLength(), true, true);
                    if (refused != null) {
                        throw refused;
                    }
                }
                if (last) {
                    serve(ctx, request, r);
                }
                return;
            case BUFFERED:
                if (buffered.size() + content.readableBytes() > r.limit()) {
                    dropBuffered();
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "a " + r.what() + " exceeds " + r.limit() + " bytes");
                }
                try {
                    bufferedLease.reserve(content.readableBytes());
                } catch (ProtocolException e) {
                    dropBuffered();
                    throw e;
                }
                byte[] part = new byte[content.readableBytes()];
                content.readBytes(part);
                buffered.writeBytes(part);
                if (last) {
                    take(ctx, request, r);
                }
                return;
            default:
                received += content.readableBytes();
                if (received > r.limit()) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, r.what() + " exceeds the limit of " + r.limit() + " bytes");
                }
                if (held.waiting()) { // decoded before reading paused: kept until the head is checked
                    held.hold(c);
                    return;
                }
                feed(ctx, content, last);
        }
    }

    /** Answers a request without a body, on a worker. */
    private void serve(ChannelHandlerContext ctx, Request<P> rq, Routes.Route<P> r) {
        request = null;
        Workers.offLoop(ctx, workers, "complete the request", () -> r.service().serve(rq), (answer, failure) -> {
            if (failure != null) {
                refuse(ctx, failure);
                return;
            }
            write(ctx, answer);
        });
    }

    /** Hands a body held whole to its service, on a worker; the budget is given back either way. */
    private void take(ChannelHandlerContext ctx, Request<P> rq, Routes.Route<P> r) {
        byte[] bytes = buffered.toByteArray();
        BufferBudget.Lease lease = bufferedLease;
        buffered = null;
        bufferedLease = null;
        request = null;
        finishing = true;
        Workers.offLoop(ctx, workers, "take a " + r.what(), () -> {
            try {
                return r.buffered().take(rq, bytes);
            } finally {
                lease.release();
            }
        }, (answer, failure) -> {
            lease.release(); // also when the task never ran (the node stopping)
            finishing = false;
            if (failure != null) {
                refuse(ctx, failure);
                return;
            }
            write(ctx, answer);
        });
    }

    /** Feeds body bytes; when the head is complete, checks it off the loop first. */
    private void feed(ChannelHandlerContext ctx, ByteBuf content, boolean last) throws ProtocolException {
        ByteBuffer[] buffers = content.nioBuffers();
        for (int i = 0; i < buffers.length; i++) {
            body.accept(buffers[i]);
            if (body.awaitingCheck()) {
                held.pause(buffers, i, last);
                check(ctx);
                return;
            }
        }
        if (last) {
            finish(ctx);
        }
    }

    /** Checks a body's head on a worker, reading paused; then feeds what arrived meanwhile, on the event loop. */
    private void check(ChannelHandlerContext ctx) {
        StreamedBody b = body;
        checking = true;
        Workers.offLoop(ctx, workers, "check the " + route.what(), () -> {
            b.check();
            return Boolean.TRUE;
        }, (ok, failure) -> {
            checking = false;
            if (failure == null && !ctx.channel().isActive()) {
                b.suspend(); // the connection broke during the check
                if (body == b) {
                    body = null;
                }
                return;
            }
            try {
                if (failure != null) {
                    held.clear();
                    if (body != b) {
                        b.fail(); // the connection broke meanwhile
                    }
                    refuse(ctx, failure);
                    return;
                }
                held.resume((content, last) -> feed(ctx, content, last), () -> body == b && !answered);
            } catch (ProtocolException e) {
                refuse(ctx, e);
            }
        });
    }

    /** Completes a body on a worker, reading paused; answers on the event loop. */
    private void finish(ChannelHandlerContext ctx) {
        StreamedBody done = body;
        String what = route.what();
        body = null;
        request = null;
        finishing = true;
        Workers.offLoop(ctx, workers, "store the " + what, done::finish, (answer, failure) -> {
            finishing = false;
            if (failure != null) {
                done.fail(); // idempotent
                refuse(ctx, done.id(), failure, false); // the body was read to its end
                return;
            }
            write(ctx, answer);
        });
    }

    /** Writes a service's answer. */
    private void write(ChannelHandlerContext ctx, Answer answer) {
        if (answer instanceof Answer.Bytes b) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(b.status()),
                    Unpooled.wrappedBuffer(b.body()));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, b.type());
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, b.body().length);
            b.headers().forEach(r.headers()::set);
            policy.decorate(r.headers());
            ctx.writeAndFlush(r);
            return;
        }
        Answer.Stream s = (Answer.Stream) answer;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, s.from() > 0 ? HttpResponseStatus.PARTIAL_CONTENT
                : HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, s.type());
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, s.length() - s.from());
        if (s.from() > 0) {
            head.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + s.from() + "-" + (s.length() - 1) + "/" + s.length());
        }
        policy.decorate(head.headers());
        ctx.write(head);
        OffLoopChunks input = new OffLoopChunks(s.body(), s.length() - s.from(), workers, OffLoopChunks.CHUNK, chunks::resumeTransfer);
        downloading = input;
        ctx.writeAndFlush(new HttpChunkedInput(input)).addListener(f -> {
            downloading = null;
            if (f.isSuccess()) {
                return;
            }
            ctx.close(); // the client sees a short body and refuses it
            java.io.IOException failure = input.failure();
            if (failure != null) {
                Workers.quietly(workers, () -> s.failed().accept(failure), "report a failed download");
            }
        });
    }

    /** A refused upload's connection closes at the latest this many lingers after its answer, however long the client sends. */
    static final int LINGER_ROUNDS = 24;

    /** The one refusal writer: recorded by the policy, answered with its error document, the connection closed. */
    private void refuse(ChannelHandlerContext ctx, ProtocolException e) {
        boolean uploading = body != null || buffered != null; // the client may still be sending
        String id = body != null ? body.id() : lastParams.get("id"); // what the refusal is about: the body's, or the path's
        refuse(ctx, id, e, uploading);
    }

    private void refuse(ChannelHandlerContext ctx, String id, ProtocolException e, boolean uploading) {
        if (body != null) {
            body.fail();
            body = null;
        }
        dropBuffered();
        answered = true;
        request = null;
        policy.refused(ctx.channel(), id, e);
        byte[] doc = policy.error(e);
        HttpResponseStatus status = e instanceof Refusal ? HttpResponseStatus.valueOf(((Refusal) e).status()) : HttpStatuses.of(e.code());
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(doc));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, policy.errorType());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, doc.length);
        if (e instanceof Refusal && ((Refusal) e).status() == 405) {
            r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", routes.methods(lastUri)));
        }
        policy.decorate(r.headers());
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        long linger = policy.lingerMillis();
        if (uploading && linger > 0) {
            // The rest of the body is read and dropped until the client has sent nothing for the linger (at most
            // LINGER_ROUNDS lingers in all): closed while it is still sending, the connection would be reset and the
            // client's system would drop the answer unread (a large refused upload told "closed before it answered").
            held.clear();
            ctx.channel().config().setAutoRead(true);
            ctx.writeAndFlush(r).addListener(f -> {
                lingerClose = ctx.executor().schedule(() -> ctx.close(), linger, TimeUnit.MILLISECONDS);
                ctx.executor().schedule(() -> ctx.close(), linger * LINGER_ROUNDS, TimeUnit.MILLISECONDS);
            });
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The URI and path parameters of the last request (for refusals after it was handed on). */
    private String lastUri = "";
    private Map<String, String> lastParams = Map.of();

    private void dropBuffered() {
        buffered = null;
        if (bufferedLease != null) {
            bufferedLease.release();
            bufferedLease = null;
        }
    }

    /** The connection broke or stalled: a body being taken is suspended (the check's worker decides, if it runs). */
    private void cutOff() {
        held.clear();
        dropBuffered();
        if (body != null) {
            if (checking) {
                body.disconnectedDuringCheck();
            } else {
                body.suspend();
                body = null;
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cutOff();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        OffLoopChunks d = downloading;
        if (d != null) { // who stopped: the client (channel not writable) or the node (a chunk not read, or not taken)
            LogManager.getLogger(FrontDoor.class).info("a download was cut off {} ({}; the channel {} writable)",
                    d.state(), cause, ctx.channel().isWritable() ? "was" : "was not");
        }
        policy.failed(ctx.channel(), cause);
        cutOff();
        ctx.close();
    }
}
